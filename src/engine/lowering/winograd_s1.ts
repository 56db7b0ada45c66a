/**
 * Winograd F(m x m, r x r) for trainable stride-1 convolutions of one image, built from
 * ordinary graph ops (Pad, Reshape, Transpose, Slice, Concat, MatMul) so that autodiff derives
 * the input and weight gradients from them, as winograd_train.ts does for 3x3 filters (there
 * with the tiles gathered by a strided Conv). Here the block is m (the output tile), the input
 * tile n = m + r - 1, r - 1 <= m:
 *
 *   xb[p, q, C, i, j] = xpad[C, m·i + p, m·j + q]   (Reshape + Transpose of the padded input)
 *   tile rows m·i .. m·i + n - 1 = block row i and the first r - 1 rows of block row i + 1
 *   V[ξν, C, T] = Bᵀ d B,  U[ξν, K, C] = (G ⊗ G) w,  M = U @ V,  y = Aᵀ M A back into blocks
 *
 * so the forward, the input gradient (Uᵀ @ dM) and the weight gradient (dM @ Vᵀ) each cost
 * n² instead of m²·r² products per tile and channel pair.
 *
 * Used for the 4x4 stride-1 convs of the PatchGAN discriminator (256->512 at 32² in pix2pix
 * at 256 px, the single most expensive layer of that step: three forwards, three input and two
 * weight gradients of 2.0 GMAC each) with F(3x3, 4x4): 36 instead of 144 products per tile.
 *
 * The stride-2 4x4 convs reduce to 2x2 stride-1 ones on the space-to-depth input (4C channels),
 * and this construction then gives F(3x3, 2x2) or F(4x4, 2x2): measured slower than ORT's
 * direct Conv at the U-Net's shapes (docs/performance.md), so it is not used there.
 */
import { GraphError, type Tensor } from '../graph.js';
import { add } from '../ops/elementwise.js';
import { matmul } from '../ops/matmul.js';
import { concat, pad, reshape, slice, transpose } from '../ops/shape.js';
import { sharedConstant } from './shared_constants.js';
import { stride1OutSize, winogradTransforms, type WinogradTransforms } from './winograd_transforms.js';

/** Output tile of the 4x4 filters' F(m, 4): n = 6, the points {0, ±1, ±2, ∞} of F(4, 3). */
export const S1_WINOGRAD4_M = 3;

/** U = (G ⊗ G) w per filter tensor, [n², K, C]: every use of the same filters in a graph (D(fake) and D(real)) shares one. */
const transformed = new WeakMap<Tensor, Map<string, Tensor>>();
export function filterTransform(w: Tensor, t: WinogradTransforms): Tensor {
  const key = `${t.m},${t.r}`;
  let byTile = transformed.get(w);
  if (!byTile) transformed.set(w, (byTile = new Map()));
  let u = byTile.get(key);
  if (u) return u;
  const [k, c] = w.shape;
  const { n, r } = t;
  // The constant times wᵀ: ORT fuses the Transpose into a GEMM (transB) whose [n², K, C] result
  // the products use as it is, and transposed (Uᵀ @ dM) by a transA fusion; (w · (G ⊗ G)ᵀ)ᵀ
  // instead left ORT a slow [K, C, n²] -> [n², C, K] Transpose (docs/performance.md).
  const wt = transpose(reshape(w, [k * c, r * r]), [1, 0]);
  const gg = sharedConstant(w.graph, `winograd${t.m}_${r}_GxG`, [n * n, r * r], () => t.GG);
  u = reshape(matmul(gg, wt), [n * n, k, c]);
  byTile.set(key, u);
  return u;
}

/**
 * y = conv2d(x, w, b) for x [1, C, H, W], w [K, C, r, r], stride 1, zero padding (ph, pw), by
 * Winograd F(m x m, r x r): y is [1, K, H + 2ph - r + 1, W + 2pw - r + 1].
 */
export function winogradConvS1(x: Tensor, w: Tensor, b: Tensor | null, padding: [number, number], m: number = S1_WINOGRAD4_M): Tensor {
  const g = x.graph;
  const [nb, c, h, wd] = x.shape;
  const [k, cw, r, r2] = w.shape;
  if (nb !== 1 || cw !== c || r !== r2 || r - 1 > m) {
    throw new GraphError(`winogradConvS1: needs one image and square r x r filters with r - 1 <= ${m}, got ${x} * ${w}`);
  }
  const t = winogradTransforms(m, r);
  const n = t.n;
  const [ho, wo] = stride1OutSize(x, r, padding);
  if (ho < 1 || wo < 1) throw new GraphError(`winogradConvS1: input ${x} is too small for ${r}x${r} filters`);
  const th = Math.ceil(ho / m);
  const tw = Math.ceil(wo / m);
  const tiles = th * tw;
  // Zero padding on the far side up to whole blocks, one block more than there are tiles
  // (r - 1 <= m keeps it non-negative).
  const hb = m * (th + 1);
  const wb = m * (tw + 1);
  const xp = pad(x, [0, 0, padding[0], padding[1], 0, 0, hb - h - padding[0], wb - wd - padding[1]]);
  const xb = transpose(reshape(xp, [c, th + 1, m, tw + 1, m]), [2, 4, 0, 1, 3]); // [m, m, C, th+1, tw+1]
  const bt = sharedConstant(g, `winograd${m}_${r}_BT`, [n, n], () => t.BT);
  const at = sharedConstant(g, `winograd${m}_${r}_AT`, [m, n], () => t.AT);

  const d1 = concat(
    [
      slice(xb, [{ axis: 3, start: 0, end: th }]),
      slice(xb, [
        { axis: 0, start: 0, end: r - 1 },
        { axis: 3, start: 1, end: th + 1 },
      ]),
    ],
    0,
  ); // [n, m, C, th, tw+1]
  const e1 = reshape(matmul(bt, reshape(d1, [n, m * c * th * (tw + 1)])), [n, m, c, th, tw + 1]);
  const d2 = concat(
    [
      slice(e1, [{ axis: 4, start: 0, end: tw }]),
      slice(e1, [
        { axis: 1, start: 0, end: r - 1 },
        { axis: 4, start: 1, end: tw + 1 },
      ]),
    ],
    1,
  ); // [n, n, C, th, tw]
  const v = reshape(matmul(bt, reshape(d2, [n, n, c * tiles])), [n * n, c, tiles]);
  const mm = matmul(filterTransform(w, t), v); // [n², K, T]
  const o1 = reshape(matmul(at, reshape(mm, [n, n * k * tiles])), [m, n, k * tiles]);
  const o2 = reshape(matmul(at, o1), [m, m, k, th, tw]);
  const yb = reshape(transpose(o2, [2, 3, 0, 4, 1]), [1, k, th * m, tw * m]);
  const y = th * m === ho && tw * m === wo ? yb : slice(yb, [{ axis: 2, start: 0, end: ho }, { axis: 3, start: 0, end: wo }]);
  return b ? add(y, reshape(b, [1, k, 1, 1])) : y;
}

