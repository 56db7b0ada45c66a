/**
 * Lowerings of ConvBackpropFilter for an ungrouped conv, dL/dw (K, C, kh, kw) from the input
 * x (N, C, H, W) and the output gradient g (N, K, Ho, Wo):
 *   dW[k, c, i, j] = sum over (n, oh, ow) of g[n, k, oh, ow] · xpad[n, c, oh·s + i·d, ow·s + j·d].
 * 'taps': each of the kh·kw taps is one strided Slice of the padded input (C × N·Ho·Wo) and a
 * MatMul; 'im2col': the taps stacked into one matrix and one MatMul; 'gshift': shifted copies of
 * a few-channel g instead of the many-channel x; 'conv': a Conv of the batch-transposed input
 * with the batch-transposed gradient as a huge dilated filter (ORT: im2col + thin GEMMs). The
 * graph's policy picks one (policy.ts `weightGradMethod`).
 */
import type { Graph, Tensor } from '../graph.js';
import { weightGradMethod, type WeightGradMethod } from '../policy.js';
import { convDirect } from '../ops/conv.js';
import { matmul } from '../ops/matmul.js';
import { concat, pad, reshape, slice, transpose, transposeLast } from '../ops/shape.js';
import { both } from '../ops/pairs.js';
import { sharedConstant } from './shared_constants.js';

export interface WeightGradGeometry {
  kh: number;
  kw: number;
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
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
 * one-hot filters (C groups of kh·kw outputs) instead of kh·kw strided Slices and a Concat
 * (faster at every U-Net layer measured, docs/performance.md); null where that Conv's output is
 * not g's size (a ConvTranspose's output padding can make it larger) or for other kernels.
 */
function im2colByConv(x: Tensor, g: Tensor, geo: WeightGradGeometry): Tensor | null {
  const [n, c] = x.shape;
  const [, , ho, wo] = g.shape;
  const { kh, kw, stride, padding, dilation } = geo;
  // Measured for these only; the 3x3 and 7x7 layers (CycleGAN) keep the Slices.
  if (kh !== 4 || kw !== 4 || stride[0] !== 2 || stride[1] !== 2) return null;
  const cols = convDirect(x, tapPicker(x.graph, c, kh, kw), null, { stride, padding, dilation, groups: c, outputPadding: [0, 0] });
  if (cols.shape[2] !== ho || cols.shape[3] !== wo) return null;
  const rows = c * kh * kw;
  return n === 1 ? reshape(cols, [rows, ho * wo]) : reshape(transpose(cols, [1, 0, 2, 3]), [rows, n * ho * wo]);
}

/** dL/dw (K, C, kh, kw) of y = conv(x, w) with one group, by the lowering the graph's policy picks. */
export function convWeightGradLowered(x: Tensor, g: Tensor, geo: WeightGradGeometry): Tensor {
  const gshiftOk = x.shape[0] === 1 && both(geo.stride, 1) && both(geo.dilation, 1);
  const method = weightGradMethod(x.graph.policy, x.shape[1], g.shape[1], gshiftOk);
  return method === 'conv' ? convWeightGradByConv(x, g, geo) : convWeightGradMatMul(x, g, geo, method);
}

/** The batch axis as channels: a Conv whose strides and dilations swap roles, cropped to the kernel. */
function convWeightGradByConv(x: Tensor, g: Tensor, geo: WeightGradGeometry): Tensor {
  const { kh, kw } = geo;
  const xt = transpose(x, [1, 0, 2, 3]);
  const gt = transpose(g, [1, 0, 2, 3]);
  const r = convDirect(xt, gt, null, { stride: geo.dilation, dilation: geo.stride, padding: geo.padding, groups: 1, outputPadding: [0, 0] });
  const cropped = r.shape[2] === kh && r.shape[3] === kw ? r : slice(r, [{ axis: 2, start: 0, end: kh }, { axis: 3, start: 0, end: kw }]);
  return transpose(cropped, [1, 0, 2, 3]);
}

function convWeightGradMatMul(x: Tensor, g: Tensor, geo: WeightGradGeometry, method: Exclude<WeightGradMethod, 'conv'>): Tensor {
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
