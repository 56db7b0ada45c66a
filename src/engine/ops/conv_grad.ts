/**
 * Weight gradient of an ungrouped conv without ORT's Conv:
 *   dW[k, c, i, j] = sum over (n, oh, ow) of g[n, k, oh, ow] · xpad[n, c, oh·s + i·d, ow·s + j·d].
 * Each of the kh·kw taps is one strided Slice of the padded input, (C × N·Ho·Wo). The alternative
 * in conv.ts, a Conv of the batch-transposed input with the batch-transposed gradient as a huge
 * dilated filter, runs in ORT as im2col + thin GEMMs and is what `weightGradMethod` measured it
 * against.
 */
import type { Graph, Tensor } from '../graph.js';
import { matmul } from './matmul.js';
import { concat, pad, reshape, slice, transpose, transposeLast } from './shape.js';
import { conv2d } from './conv.js';
import { both } from './pairs.js';
import { sharedConstant } from './shared_constants.js';

export interface WeightGradGeometry {
  kh: number;
  kw: number;
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
}

export type WeightGradMethod = 'taps' | 'im2col' | 'conv' | 'gshift';

/** Benchmarks and tests force one lowering; 'auto' is `weightGradMethod`'s measured rule. */
export const weightGradDefaults: { method: 'auto' | WeightGradMethod } = { method: 'auto' };

/**
 * The lowering for x (N, C, H, W) and output gradient g (N, K, Ho, Wo). Measured with
 * bench/wgrad-sweep.ts (ORT, 2 threads, batch 1, loaded machine, CPU ms; taps / im2col / Conv):
 * - 3x3, the resnet layers: 64->128 s2 at 128² 12.4 / 15.1 / 18.1, 128->256 s2 at 64² 9.9 /
 *   9.8 / 16.9, 256->256 s1 at 34² (reflection-padded) 18.0 / 16.6 / 31.0;
 * - 4x4 s2 p1 (U-Net Convs, and ConvTransposes as the adjoint Conv, C their output channels):
 *   even at large sizes (64->128 at 128² 18.9 / 19.3 / 17.7, 64<-256 at 128² 44 / 32.1 / 31.7,
 *   256<-1024 at 32² 62 / 35.5 / 30.2), im2col ahead at small ones (512->512 at 8² 32 / 8.7 /
 *   12.0, 512<-1024 at 4² 89 / 26.6 / 37.4, at 2² 32 / 4.9 / 7.6); taps lose here because the
 *   (kh·kw, C, K) result needs a slow transpose to (K, C, kh, kw);
 * - few channels: 3<-128 at 256² 9.7 / 8.5 / 4.9, 6->64 at 256² 7.0 / 5.5 / 4.7: the Conv;
 * - one output channel (the PatchGAN head 512->1 at 31²): 2.3 / 7.8 / 8.1, taps (no transpose
 *   of note, no im2col copy).
 * 7x7 (the resnet stem, 3 channels) is a tie and goes to the Conv with the few-channel rule.
 */
export function weightGradMethod(x: Tensor, g: Tensor, geo: WeightGradGeometry): WeightGradMethod {
  const gshiftOk = x.shape[0] === 1 && both(geo.stride, 1) && both(geo.dilation, 1);
  if (weightGradDefaults.method !== 'auto') {
    return weightGradDefaults.method === 'gshift' && !gshiftOk ? 'taps' : weightGradDefaults.method;
  }
  if (gshiftOk && g.shape[1] <= 4) return 'gshift';
  if (g.shape[1] === 1) return 'taps';
  if (x.shape[1] < 16) return 'conv';
  return 'im2col';
}

/** The padded input, channels first, cut to what the taps reach, and its kh·kw tap slices (C, N·Ho·Wo). */
function tapSlices(x: Tensor, g: Tensor, geo: WeightGradGeometry): Tensor[] {
  const [n, c] = x.shape;
  const [, , ho, wo] = g.shape;
  const { kh, kw, stride, padding, dilation } = geo;
  // Channels first so that each tap flattens to (C, N·Ho·Wo) without a copy (with one image
  // the transpose is a reshape).
  const xc = n === 1 ? reshape(x, [c, 1, x.shape[2], x.shape[3]]) : transpose(x, [1, 0, 2, 3]);
  // The far border may lie partly outside what the taps reach (the floor in the output size).
  const needH = (ho - 1) * stride[0] + (kh - 1) * dilation[0] + 1;
  const needW = (wo - 1) * stride[1] + (kw - 1) * dilation[1] + 1;
  const xp = pad(xc, [0, 0, padding[0], padding[1], 0, 0, needH - padding[0] - x.shape[2], needW - padding[1] - x.shape[3]], 'constant');
  const taps: Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const tap = slice(xp, [
        { axis: 2, start: i * dilation[0], end: i * dilation[0] + (ho - 1) * stride[0] + 1, step: stride[0] },
        { axis: 3, start: j * dilation[1], end: j * dilation[1] + (wo - 1) * stride[1] + 1, step: stride[1] },
      ]);
      taps.push(reshape(tap, [c, n * ho * wo]));
    }
  }
  return taps;
}

/**
 * For few output channels (the resnet generator's 64->3 7x7 output conv), stride 1, one image:
 * instead of kh·kw shifted copies of the many-channel input, kh·kw shifted (zero-padded) copies
 * of the few-channel gradient, and one MatMul with the padded input:
 *   dW[k, c, i, j] = Σ_p xpad[c, p] · gshift_ij[k, p],  gshift_ij[k, r, s] = g[k, r - i, s - j].
 * 64->3 7x7 at 128²: 30 (taps) / 54 (im2col) / 35 (Conv) CPU ms before, see notes/gan-speed.md.
 */
function convWeightGradShiftG(x: Tensor, g: Tensor, geo: WeightGradGeometry): Tensor {
  const [, c, h, w] = x.shape;
  const [, k, ho, wo] = g.shape;
  const { kh, kw, padding } = geo;
  const hp = ho + kh - 1;
  const wp = wo + kw - 1;
  // Only the rows and columns the taps reach (the floor in the output size may leave some out).
  const xp = pad(x, [0, 0, padding[0], padding[1], 0, 0, hp - padding[0] - h, wp - padding[1] - w]);
  const shifted: Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) shifted.push(pad(g, [0, 0, i, j, 0, 0, kh - 1 - i, kw - 1 - j]));
  }
  const gs = reshape(concat(shifted, 1), [kh * kw * k, hp * wp]);
  const dw = matmul(reshape(xp, [c, hp * wp]), transposeLast(gs)); // [C, kh·kw·K]
  return transpose(reshape(dw, [c, kh, kw, k]), [3, 0, 1, 2]);
}

/** One-hot filters [C·kh·kw, 1, kh, kw] per graph: filter c·kh·kw + t picks tap t of channel c. */
function tapPicker(graph: Graph, c: number, kh: number, kw: number): Tensor {
  const s = kh * kw;
  return sharedConstant(graph, `im2col_taps_${c}_${kh}x${kw}`, [c * s, 1, kh, kw], () => {
    const eye = new Float32Array(c * s * s);
    for (let i = 0; i < c * s; i++) eye[i * s + (i % s)] = 1;
    return eye;
  });
}

/**
 * The im2col matrix (C·kh·kw, N·Ho·Wo) of a 4x4 stride-2 conv as one depthwise Conv of x with
 * one-hot filters (C groups of kh·kw outputs) instead of kh·kw strided Slices and a Concat;
 * null where that Conv's output is not g's size (a ConvTranspose's output padding can make it
 * larger) or for other kernels. im2col + the weight-gradient GEMM of the U-Net's layers,
 * 1 thread, CPU ms, Slices / Conv: 64 ch at 128² 19.6 / 16.3, 128 at 64² 9.7 / 8.3, 256 at
 * 32² 5.7 / 4.1, 512 at 16² 4.0 / 2.5 (notes/gan-speed-pix2pix.md).
 */
function im2colByConv(x: Tensor, g: Tensor, geo: WeightGradGeometry): Tensor | null {
  const [n, c] = x.shape;
  const [, , ho, wo] = g.shape;
  const { kh, kw, stride, padding, dilation } = geo;
  // Measured for these only; the 3x3 and 7x7 layers (CycleGAN) keep the Slices.
  if (kh !== 4 || kw !== 4 || stride[0] !== 2 || stride[1] !== 2) return null;
  const cols = conv2d(x, tapPicker(x.graph, c, kh, kw), null, { stride, padding, dilation, groups: c, algorithm: 'direct' });
  if (cols.shape[2] !== ho || cols.shape[3] !== wo) return null;
  const rows = c * kh * kw;
  return n === 1 ? reshape(cols, [rows, ho * wo]) : reshape(transpose(cols, [1, 0, 2, 3]), [rows, n * ho * wo]);
}

/** dL/dw (K, C, kh, kw) of y = conv(x, w) with one group; x is (N, C, H, W), g is (N, K, Ho, Wo). */
export function convWeightGradMatMul(x: Tensor, g: Tensor, geo: WeightGradGeometry, method: 'taps' | 'im2col' | 'gshift'): Tensor {
  if (method === 'gshift') return convWeightGradShiftG(x, g, geo);
  const c = x.shape[1];
  const [n, k, ho, wo] = g.shape;
  const { kh, kw } = geo;
  const m = n * ho * wo;
  if (method === 'im2col') {
    // (C, kh·kw, M) is the weights' own order: G (K × M) times its transpose is dW with no
    // transpose of the result; ORT fuses the Transpose into the MatMul (FusedMatMul, transB).
    const xcol = im2colByConv(x, g, geo) ?? reshape(concat(tapSlices(x, g, geo).map((t) => reshape(t, [c, 1, m])), 1), [c * kh * kw, m]);
    const gk = n === 1 ? reshape(g, [k, m]) : reshape(transpose(g, [1, 0, 2, 3]), [k, m]);
    return reshape(matmul(gk, transposeLast(xcol)), [k, c, kh, kw]);
  }
  const gm = k === 1 ? reshape(g, [m, 1]) : reshape(transpose(g, [0, 2, 3, 1]), [m, k]);
  const parts = tapSlices(x, g, geo).map((t) => reshape(matmul(t, gm), [1, c, k]));
  return transpose(reshape(concat(parts, 0), [kh, kw, c, k]), [3, 2, 0, 1]);
}
