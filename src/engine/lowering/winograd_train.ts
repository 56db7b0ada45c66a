/**
 * Winograd F(4x4, 3x3) for 3x3 stride-1 convolutions whose filters are trained (fed inputs),
 * built from ordinary graph ops (Pad, Conv with constant filters, MatMul, Reshape, Transpose)
 * so that autodiff derives the backward pass from them:
 *
 *   V[ξν, C, T] = Bᵀ d B of every 6x6 input tile (T = th·tw tiles, 4x4 outputs each)
 *   U[ξν, K, C] = G w Gᵀ, one product of the filters with (G ⊗ G)ᵀ
 *   M = U @ V (36 batched products), y = Aᵀ M A back into 4x4 blocks
 *
 * and backwards dM = A dy Aᵀ, dU = dM @ Vᵀ, dV = Uᵀ @ dM, dw = (G ⊗ G)ᵀ-fold of dU, dx the
 * overlap-add of B dV Bᵀ: the forward, the input gradient and the weight gradient all cost 36
 * instead of 144 products per tile and channel pair, and V and dM are each computed once for
 * two products. The frozen-filter form (WinogradConv, winograd.ts) folds U at session creation;
 * here U is a cheap product per run (K·C·9·36 multiply-adds), shared by every call of the
 * same filters in one graph.
 *
 * The input transform of every overlapping 6x6 tile is one strided Conv over the channels
 * taken as a batch, V = Conv(x as [C, 1, H, W], Bᵀ⊗Bᵀ, stride 4) -> [C, 36, th, tw], and the
 * output transform one MatMul with Aᵀ⊗Aᵀ into the blocked layout. Autodiff makes the gather's
 * adjoint (the overlap-add of B dV Bᵀ) one ConvTranspose, where gathering the tiles from the
 * blocked layout (two Slices and a Concat per axis, as winograd_s1.ts does) costs Split, Pads
 * and Adds backwards, and ORT fuses the [C, 36, T] -> [36, C, T] Transpose into the products
 * (FusedMatMul transBatch; dV takes one back for the ConvTranspose). The tile output placement
 * stays a MatMul and DepthToSpace (a stride-4 ConvTranspose instead would need M transposed to
 * [K, 36, T] first, measured no faster; docs/performance.md has the per-block figures).
 */
import type { Tensor } from '../graph.js';
import { add } from '../ops/elementwise.js';
import { matmul } from '../ops/matmul.js';
import { pad, reshape, transpose } from '../ops/shape.js';
import { convDirect } from '../ops/conv.js';
import { fromBlocks } from './blocks.js';
import { filterTransform } from './winograd_s1.js';
import { sharedConstant } from './shared_constants.js';
import { WINOGRAD_M, stride1OutSize, winogradTransforms } from './winograd_transforms.js';

const M = WINOGRAD_M;
const N = M + 2;
const T = winogradTransforms(M, 3);

/**
 * y = conv2d(x, w, b) for x [1, C, H, W], w [K, C, 3, 3], stride 1, zero padding (ph, pw):
 * y is [1, K, H + 2ph - 2, W + 2pw - 2].
 */
export function winogradConvTrain(x: Tensor, w: Tensor, b: Tensor | null, padding: [number, number]): Tensor {
  const g = x.graph;
  const [, c, h, wd] = x.shape;
  const k = w.shape[0];
  const [ho, wo] = stride1OutSize(x, 3, padding);
  const th = Math.ceil(ho / M);
  const tw = Math.ceil(wo / M);
  const t = th * tw;
  // Zero padding on the far side up to whole tiles.
  const hp = M * th + 2;
  const wp = M * tw + 2;
  const xp = pad(x, [0, 0, padding[0], padding[1], 0, 0, hp - h - padding[0], wp - wd - padding[1]]);
  const bk = sharedConstant(g, 'winograd_BTxBT', [N * N, 1, N, N], () => T.BB);
  const at = sharedConstant(g, 'winograd_ATxAT', [M * M, N * N], () => T.AA);
  const vc = convDirect(reshape(xp, [c, 1, hp, wp]), bk, null, { stride: [M, M], padding: [0, 0], dilation: [1, 1], groups: 1, outputPadding: [0, 0] }); // [C, 36, th, tw]
  const v = transpose(reshape(vc, [c, N * N, t]), [1, 0, 2]); // [36, C, T]
  const m = matmul(filterTransform(w, T), v); // [36, K, T]
  const y = fromBlocks(reshape(matmul(at, reshape(m, [N * N, k * t])), [M, M, k, th, tw]), ho, wo);
  return b ? add(y, reshape(b, [1, k, 1, 1])) : y;
}
