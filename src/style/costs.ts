/**
 * The paper's cost terms as small pure functions on graph tensors.
 *   J_content = 1/(4 nH nW nC) Σ (a_C − a_G)²
 *   J_style_l = 1/(4 nC² (nH nW)²) Σ (G_S − G_G)²,  G = A Aᵀ over unrolled activations A (nC × nH·nW)
 *   J_tv      = Σ squared differences of neighbouring pixels
 * Spatial control (Gatys et al. 2017, "Controlling Perceptual Factors"): per region r with a
 * mask T_r propagated to the layer, the guided Gram G_r = (A∘T_r)(A∘T_r)ᵀ · nH·nW / |T_r|, where
 * |T_r| = Σ T_r² is the region's size; the factor makes one all-ones region exactly G.
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

/**
 * Guided Gram matrix of one region: activations times the region's mask ([1,1,nH,nW],
 * broadcast over channels), scaled by `scale` = nH·nW / Σ mask² (a graph input: the mask
 * does not depend on the image).
 */
export function guidedGram(a: Tensor, mask: Tensor, scale: Tensor): Tensor {
  return F.mul(gram(F.mul(a, mask)), scale);
}

/**
 * One region's share of a layer's guided style cost: J_style_layer with the region's guided
 * Grams of the style (target gS) and of the generated image. Summed over regions.
 */
export function J_style_region(gS: Tensor, aG: Tensor, mask: Tensor, scale: Tensor): Tensor {
  const [, nC, nH, nW] = aG.shape;
  return F.div(F.reduceSum(F.square(F.sub(guidedGram(aG, mask, scale), gS))), 4 * nC * nC * (nH * nW) ** 2);
}

export function J_tv(img: Tensor): Tensor {
  const dy = F.sub(F.slice(img, [{ axis: 2, start: 1 }]), F.slice(img, [{ axis: 2, end: -1 }]));
  const dx = F.sub(F.slice(img, [{ axis: 3, start: 1 }]), F.slice(img, [{ axis: 3, end: -1 }]));
  return F.add(F.reduceSum(F.square(dy)), F.reduceSum(F.square(dx)));
}
