/**
 * Winograd F(4x4, 3x3) for 3x3, stride-1, pad-1 convolutions with frozen (constant) filters,
 * the maths and ONNX lowering of conv.ts's WinogradConv op (chosen by `winogradApplies`). Each
 * 6x6 input tile costs 36 products per channel pair for its 4x4 outputs instead of 144 (4x
 * fewer in the batched MatMul that dominates), in plain ONNX ops on the blocked layout of
 * blocks.ts, xb[p, q, C, i, j] = x[C, 4i+p, 4j+q], which needs no gather of overlapping tiles:
 *
 *   rows:    Concat(shift(xb[3]), xb, shift(xb[0])) along p   (tile rows 4i-1 .. 4i+4), MatMul Bᵀ
 *   columns: the same along q, MatMul Bᵀ                        -> V[ξ, ν, C, T]   (T = th·tw tiles)
 *   MatMul   U[ξν] (K x C, constant) @ V[ξν] (C x T)            -> M[ξ, ν, K, T]
 *   output:  MatMul Aᵀ over ξ, then over ν                     -> [p, q, K, T] = yb, blocked again
 *
 * Every transform is a MatMul with a small constant from the left over a leading axis (ORT runs
 * those multi-threaded), the shifts are one Pad each on a quarter of the data, and there is no
 * Transpose. Measured (ORT 1.30, Zen 4, 2 threads, CPU ms; direct = ORT's NCHWc Conv):
 *   256->256 at 48x64 (3.6 GFLOP): direct 34-37, this 17-19 including SpaceToDepth and
 *   DepthToSpace in and out (0.7 ms each, which the blocked layout mostly avoids); one thread
 *   per node: products 10.5, transforms ~4 (MatMuls), Concat+Pad ~1.5. Relative RMS error vs
 *   a float64 reference 1-2.3e-6 (direct float32 conv ~1e-7).
 *   Tried and dropped: strided Slice gathers of the tiles + MatMuls, 21-24; a dense 6x6
 *   stride-4 Conv as the input transform, as fast as the MatMuls but its [C, ξν, T] result
 *   needs a Transpose; one Kronecker (Aᵀ⊗Aᵀ) MatMul for the output transform, no faster.
 */
import { int, ints, str, type Emitter } from '../onnx.js';
import { winogradTransforms, type WinogradShape } from './winograd_transforms.js';

/**
 * Output tile size m of F(m x m, 3 x 3); the input tile is m + 2. The blocked layout of
 * blocks.ts takes its block size from this.
 */
export const WINOGRAD_M = 4;

/**
 * Whether `conv2d` (algorithm 'auto') lowers a 3x3 stride-1 pad-1 conv of one image with frozen
 * filters to Winograd. Measured per conv, forward, CPU ms (ORT 1.30, 2 threads, spinning off;
 * direct = ORT's NCHWc Conv; Winograd including its own layout conversions):
 *
 *   C->K      at 192x256-scale layer sizes (256 px image)    at 384x512-scale (512 px)
 *   64->64    192x256   43.0 vs 45.2 (1.05)                    384x512  190.6 vs 200.7 (1.05)
 *   64->128   96x128    19.4 vs 15.5 (0.80)                    192x256   87.4 vs  72.2 (0.83)
 *   128->64   96x128    18.2 vs 17.0 (0.93)                    192x256   76.0 vs  79.7 (1.05)
 *   128->128  96x128    37.6 vs 24.4 (0.65)                    192x256  145.7 vs 123.9 (0.85)
 *   128->256  48x64     17.3 vs 11.2 (0.65)
 *   256->256  48x64     35.2 vs 17.1 (0.49)                     96x128  143.0 vs  79.9 (0.56)
 *   256->512  24x32     16.8 vs  9.9 (0.59)
 *   512->512  24x32     35.6 vs 14.8 (0.42)                     48x64   137.8 vs  59.1 (0.43)
 *   512->512  12x16     10.0 vs  5.4 (0.54)
 *   64->64    48x64      2.7 vs  2.5 (0.94)    32->64 96x128 5.7 vs 6.1 (1.06)
 *
 * The transforms move ~2.25x the input and output through memory, which costs about as much
 * as the 4x cheaper products save at 64 channels and less from 128 up. So: at least 128 output
 * channels (and 64 input), and two tiles each way. With the layout kept between convs (no
 * conversions), 64->64 in the whole VGG-19 objective came out 0.6% faster at 256 px and 1.7%
 * at 512 px: not worth its larger memory traffic on a busier machine. The input gradient
 * (K->C) of a Winograd conv is Winograd too, whatever C; that of a direct conv is a conv2d
 * that decides for itself.
 *
 * F(6x6, 3x3) (64/36 instead of 36/16 products per output, relative error 8.5e-6 instead of
 * 2.3e-6, 6-blocks) was slower over the whole objective (445 vs 400 ms, one thread): its
 * padding of 32- and 16-wide layers to multiples of 6, fewer tiles per product (smaller,
 * less efficient MatMuls) and no blocked pooling at sizes that are not multiples of 12.
 */
export function winogradApplies(s: WinogradShape): boolean {
  const th = Math.ceil(s.h / WINOGRAD_M);
  const tw = Math.ceil(s.w / WINOGRAD_M);
  if (th < 2 || tw < 2) return false;
  return s.k >= 128 && s.c >= 64;
}

/** F(4x4, 3x3)'s Bᵀ, Aᵀ and (G ⊗ G)ᵀ [9, 36], built once for every WinogradConv. */
const T4 = winogradTransforms(WINOGRAD_M, 3);

/**
 * Emits the blocked conv yb = conv(xb, w, padding 1) (+ b), zeroed outside the image by `mask`:
 * xb [4, 4, C, th, tw] as in blocks.ts, w [K, C, 3, 3] computed from initializers alone (the
 * filter transform on it is folded by ORT), b [K] or '' for none, mask a [4, 4, 1, th, tw] 0/1
 * initializer or '' when the image fills its blocks.
 */
export function emitWinogradBlocked(
  e: Emitter,
  xb: string,
  shape: readonly number[],
  w: string,
  k: number,
  b: string,
  mask: string,
  out: string,
): void {
  const [, , c, th, tw] = shape;
  const m = WINOGRAD_M;
  const n = m + 2;
  const t = th * tw;
  const BT = e.constF32(T4.BT, [n, n], 'winograd4_3_BT');
  const AT = e.constF32(T4.AT, [m, n], 'winograd4_3_AT');
  const op = (type: string, ins: string[], attrs = {}, o = e.tmp()): string => {
    e.node(type, ins, [o], attrs);
    return o;
  };
  const reshape = (v: string, to: readonly number[]): string => op('Reshape', [v, e.constI64(to)]);
  // One block row of a 5-D tensor (index `at` of axis `pick`) shifted by one tile along `axis`,
  // zero-filled, in one Pad: negative pads crop, positive ones pad.
  const shiftedRow = (v: string, pick: number, at: number, axis: number, by: 1 | -1): string => {
    const pads = new Array<number>(10).fill(0);
    pads[pick] = -at;
    pads[pick + 5] = -(m - 1 - at);
    pads[axis] = by;
    pads[axis + 5] = -by;
    return op('Pad', [v, e.constI64(pads)], { mode: str('constant') });
  };

  // Tile row i covers input rows 4i-1 .. 4i+4: the last row of block i-1, block i, the first of block i+1.
  const d1 = op('Concat', [shiftedRow(xb, 0, m - 1, 3, 1), xb, shiftedRow(xb, 0, 0, 3, -1)], {
    axis: int(0),
  });
  const e1 = reshape(op('MatMul', [BT, reshape(d1, [n, m * c * t])]), [n, m, c, th, tw]);
  const d2 = op('Concat', [shiftedRow(e1, 1, m - 1, 4, 1), e1, shiftedRow(e1, 1, 0, 4, -1)], {
    axis: int(1),
  });
  const v = reshape(op('MatMul', [BT, reshape(d2, [n, n, c * t])]), [n * n, c, t]);
  // U = G w Gᵀ per filter as one product of the frozen filters with (G ⊗ G)ᵀ [9, 36]: ORT folds
  // it into an initializer when the session is created (so the model carries only the filters,
  // 52 MB for VGG-19 to conv5_1 instead of 413 MB); two batched 6x3 products instead took ORT
  // seconds to fold.
  const uflat = op('MatMul', [reshape(w, [k * c, 9]), e.constF32(T4.GGt, [9, n * n], 'winograd4_3_GxG_T')]);
  const u = reshape(op('Transpose', [uflat], { perm: ints([1, 0]) }), [n * n, k, c]);
  const mm = op('MatMul', [u, v]);
  const o1 = op('MatMul', [AT, reshape(mm, [n, n * k * t])]);
  const last = !b && !mask;
  const o2 = op('MatMul', [AT, reshape(o1, [m, n, k * t])]);
  let y = op('Reshape', [o2, e.constI64([m, m, k, th, tw])], {}, last ? out : e.tmp());
  if (b) y = op('Add', [y, reshape(b, [1, 1, k, 1, 1])], {}, mask ? e.tmp() : out);
  if (mask) op('Mul', [y, mask], {}, out);
}
