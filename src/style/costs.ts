/**
 * The paper's cost terms as small pure functions on graph tensors.
 *   J_content = 1/(4 nH nW nC) Σ (a_C − a_G)²
 *   J_style_l = 1/(4 nC² (nH nW)²) Σ (G_S − G_G)²,  G = A Aᵀ over unrolled activations A (nC × nH·nW)
 *   J_tv      = Σ squared differences of neighbouring pixels
 */
import { F, type Tensor } from '../engine/index.js';

/** Gram matrix of NCHW activations (batch 1): (C, C). */
export function gram(a: Tensor): Tensor {
  const [, c, h, w] = a.shape;
  const A = F.reshape(a, [c, h * w]);
  return F.gram(A);
}

export function J_content(aC: Tensor, aG: Tensor): Tensor {
  const [, nC, nH, nW] = aG.shape;
  return F.div(F.reduceSum(F.square(F.sub(aG, aC))), 4 * nH * nW * nC);
}

/** Style cost of one layer from the style's Gram matrix (a target constant) and the generated activations. */
export function J_style_layer(gS: Tensor, aG: Tensor): Tensor {
  const [, nC, nH, nW] = aG.shape;
  return F.div(F.reduceSum(F.square(F.sub(gram(aG), gS))), 4 * nC * nC * (nH * nW) ** 2);
}

export function J_tv(img: Tensor): Tensor {
  const dy = F.sub(F.slice(img, [{ axis: 2, start: 1 }]), F.slice(img, [{ axis: 2, end: -1 }]));
  const dx = F.sub(F.slice(img, [{ axis: 3, start: 1 }]), F.slice(img, [{ axis: 3, end: -1 }]));
  return F.add(F.reduceSum(F.square(dy)), F.reduceSum(F.square(dx)));
}
