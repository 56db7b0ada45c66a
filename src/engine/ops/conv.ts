/**
 * 2-D convolution and transposed convolution (NCHW, OIHW weights as PyTorch).
 *
 * conv2d picks its algorithm per call (`algorithm`, default `convDefaults.algorithm` = 'auto'):
 * a 3x3 stride-1 pad-1 conv of one image with frozen filters becomes a WinogradConv in the
 * blocked layout of blocks.ts (winograd.ts: F(4x4, 3x3), 4x fewer products) where
 * `winogradApplies` measured it faster; everything else is ORT's Conv.
 *
 * Gradients, as measured on this machine (ORT, 2 threads):
 * - input gradient of a stride-1 Conv = a Conv with the flipped, transposed filters (see
 *   `convInputGrad` for when), otherwise a ConvTranspose with the same weights; of a
 *   WinogradConv, a WinogradConv with the flipped, transposed filters;
 * - weight gradient = MatMuls of strided Slices of the input with the output gradient
 *   (conv_grad.ts, where that measured faster), else a Conv of the batch-transposed input with
 *   the batch-transposed output gradient (strides and dilations swap roles), cropped to the
 *   kernel size.
 * A ConvTranspose is the adjoint of a Conv, so its gradients are the same two pieces
 * with the roles of input and output exchanged.
 */
import { GraphError, dependsOnInput, type OpDef, type Tensor } from '../graph.js';
import { int, ints } from '../onnx.js';
import { reduceSum } from './reduce.js';
import { matmul } from './matmul.js';
import { concat, reshape, slice, transpose } from './shape.js';
import { BLOCK, blockMask, fromBlocks, toBlocks } from './blocks.js';
import { both, pair } from './pairs.js';
import { sharedConstant } from './shared_constants.js';
import { emitWinogradBlocked, winogradApplies } from './winograd.js';
import { convWeightGradMatMul, weightGradMethod } from './conv_grad.js';
import { trainWinogradApplies, winogradConvTrain } from './winograd_train.js';
import { s1Winograd4Applies, winogradConvS1 } from './winograd_s1.js';
import { winogradShape } from './winograd_transforms.js';

/** 'auto' picks Winograd where `winogradApplies` measured it faster; 'winograd' insists (or throws). */
export type ConvAlgorithm = 'auto' | 'direct' | 'winograd';

/** The algorithm of conv2d calls that do not name one (tests and benchmarks compare them). */
export const convDefaults: { algorithm: ConvAlgorithm } = { algorithm: 'auto' };

export interface Conv2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
  dilation?: number | [number, number];
  groups?: number;
  /** Conv2d only; also used for its input gradient. */
  algorithm?: ConvAlgorithm;
}
export interface ConvTranspose2dOptions extends Conv2dOptions {
  outputPadding?: number | [number, number];
}

interface ConvAttrs {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
  outputPadding: [number, number];
  algorithm: ConvAlgorithm;
}

function attrsOf(o: ConvTranspose2dOptions): ConvAttrs {
  const a: ConvAttrs = {
    stride: pair(o.stride, 1),
    padding: pair(o.padding, 0),
    dilation: pair(o.dilation, 1),
    groups: o.groups ?? 1,
    outputPadding: pair(o.outputPadding, 0),
    algorithm: o.algorithm ?? convDefaults.algorithm,
  };
  const bad = [...a.stride, ...a.dilation].some((v) => !Number.isInteger(v) || v < 1) ||
    [...a.padding, ...a.outputPadding].some((v) => !Number.isInteger(v) || v < 0) ||
    !Number.isInteger(a.groups) || a.groups < 1;
  if (bad) throw new GraphError(`conv: invalid options ${JSON.stringify(o)}`);
  return a;
}

function checkFloat4(op: string, what: string, t: Tensor): void {
  if (t.dtype !== 'float32' || t.rank !== 4) throw new GraphError(`${op}: ${what} must be a float32 NCHW tensor, got ${t} (${t.dtype})`);
}

function onnxAttrs(a: ConvAttrs, k: readonly number[]) {
  return {
    kernel_shape: ints(k),
    strides: ints(a.stride),
    pads: ints([a.padding[0], a.padding[1], a.padding[0], a.padding[1]]),
    dilations: ints(a.dilation),
    group: int(a.groups),
  };
}

const ConvOp: OpDef<ConvAttrs> = {
  type: 'Conv',
  infer: ([x, w, b], a) => {
    checkFloat4('Conv', 'input', x);
    checkFloat4('Conv', 'weight', w);
    const [n, c, h, wd] = x.shape;
    const [o, ci, kh, kw] = w.shape;
    if (c !== ci * a.groups) throw new GraphError(`Conv: input ${x} has ${c} channels, weight ${w} expects ${ci * a.groups}`);
    if (o % a.groups !== 0) throw new GraphError(`Conv: ${o} output channels do not split into ${a.groups} groups`);
    if (b && (b.rank !== 1 || b.shape[0] !== o)) throw new GraphError(`Conv: bias ${b} does not match ${o} output channels`);
    const oh = Math.floor((h + 2 * a.padding[0] - a.dilation[0] * (kh - 1) - 1) / a.stride[0]) + 1;
    const ow = Math.floor((wd + 2 * a.padding[1] - a.dilation[1] * (kw - 1) - 1) / a.stride[1]) + 1;
    if (oh < 1 || ow < 1) throw new GraphError(`Conv: input ${x} is too small for kernel ${kh}x${kw} with padding ${a.padding}`);
    return [{ shape: [n, o, oh, ow], dtype: 'float32' }];
  },
  lower: (n, e) => e.node('Conv', n.inputs.map(e.name), [e.name(n.outputs[0])], onnxAttrs(n.attrs, n.inputs[1].shape.slice(2))),
  vjp: (n, [g], needs) => {
    const [x, w] = n.inputs;
    const a = n.attrs;
    return [
      needs[0] ? convInputGrad(g!, w, x.shape[2], x.shape[3], a) : null,
      needs[1] ? convWeightGrad(x, g!, w.shape[2], w.shape[3], a) : null,
      needs[2] ? reduceSum(g!, [0, 2, 3]) : null,
    ];
  },
};

/**
 * A 3x3 stride-1 pad-1 conv of one h x w image in the blocked layout of blocks.ts, lowered to
 * Winograd F(4x4, 3x3) MatMuls (winograd.ts). The filters are frozen (computed from constants
 * alone), so ORT folds their transform into an initializer once. Its input gradient is the
 * same op with the flipped, transposed filters (frozen too).
 */
const WinogradConvOp: OpDef<{ h: number; w: number }> = {
  type: 'WinogradConv',
  infer: ([xb, w, b], a) => {
    const [k, c] = w.shape;
    const blocks = [BLOCK, BLOCK, c, Math.ceil(a.h / BLOCK), Math.ceil(a.w / BLOCK)];
    const ok = xb.rank === 5 && blocks.every((d, i) => xb.shape[i] === d) && w.rank === 4 && w.shape[2] === 3 && w.shape[3] === 3;
    if (!ok) throw new GraphError(`WinogradConv: blocked input ${xb} of a ${a.h}x${a.w} image does not fit filters ${w}`);
    if (b && (b.rank !== 1 || b.shape[0] !== k)) throw new GraphError(`WinogradConv: bias ${b} does not match ${k} output channels`);
    return [{ shape: [BLOCK, BLOCK, k, xb.shape[3], xb.shape[4]], dtype: 'float32' }];
  },
  lower: (n, e) => {
    const [xb, w, b] = n.inputs;
    const mask = blockMask(n.attrs.h, n.attrs.w);
    const [, , , th, tw] = xb.shape;
    const maskName = mask ? e.constF32(mask, [BLOCK, BLOCK, 1, th, tw], `block_mask_${n.attrs.h}x${n.attrs.w}`) : '';
    // Frozen all-zero biases (the random VGG's) cost a full pass over the output for nothing.
    const zeroBias = b && b.source.kind === 'constant' && b.source.data.every((v) => v === 0);
    emitWinogradBlocked(e, e.name(xb), xb.shape, e.name(w), w.shape[0], b && !zeroBias ? e.name(b) : '', maskName, e.name(n.outputs[0]));
  },
  vjp: (n, [g], needs) => {
    const [xb, w] = n.inputs;
    const { h, w: wd } = n.attrs;
    const direct = (): Tensor => {
      const a = attrsOf({ padding: 1, algorithm: 'direct' });
      return convWeightGrad(fromBlocks(xb, h, wd), fromBlocks(g!, h, wd), 3, 3, a);
    };
    return [
      needs[0] ? winogradBlocked(g!, flipTranspose(w), null, h, wd) : null,
      needs[1] ? direct() : null,
      needs[2] ? reduceSum(g!, [0, 1, 3, 4]) : null,
    ];
  },
};

function winogradBlocked(xb: Tensor, w: Tensor, b: Tensor | null, h: number, wd: number): Tensor {
  return xb.graph.apply(WinogradConvOp, b ? [xb, w, b] : [xb, w], { h, w: wd })[0];
}

const ConvTransposeOp: OpDef<ConvAttrs> = {
  type: 'ConvTranspose',
  infer: ([x, w, b], a) => {
    checkFloat4('ConvTranspose', 'input', x);
    checkFloat4('ConvTranspose', 'weight', w);
    const [n, c, h, wd] = x.shape;
    const [ci, og, kh, kw] = w.shape;
    if (c !== ci) throw new GraphError(`ConvTranspose: input ${x} has ${c} channels, weight ${w} expects ${ci}`);
    const o = og * a.groups;
    if (b && (b.rank !== 1 || b.shape[0] !== o)) throw new GraphError(`ConvTranspose: bias ${b} does not match ${o} output channels`);
    for (let i = 0; i < 2; i++) {
      if (a.outputPadding[i] >= Math.max(a.stride[i], a.dilation[i])) {
        throw new GraphError(`ConvTranspose: output_padding ${a.outputPadding[i]} must be smaller than stride or dilation`);
      }
      if (a.outputPadding[i] >= a.stride[i] && a.outputPadding[i] > a.padding[i]) {
        throw new GraphError(`ConvTranspose: output_padding ${a.outputPadding[i]} not below the stride needs padding of at least as much`);
      }
    }
    const oh = (h - 1) * a.stride[0] - 2 * a.padding[0] + a.dilation[0] * (kh - 1) + a.outputPadding[0] + 1;
    const ow = (wd - 1) * a.stride[1] - 2 * a.padding[1] + a.dilation[1] * (kw - 1) + a.outputPadding[1] + 1;
    if (oh < 1 || ow < 1) throw new GraphError(`ConvTranspose: output of ${x} would be empty`);
    return [{ shape: [n, o, oh, ow], dtype: 'float32' }];
  },
  lower: (n, e) => {
    const a = n.attrs;
    const attrs = { ...onnxAttrs(a, n.inputs[1].shape.slice(2)), output_padding: ints(a.outputPadding) };
    // ORT rejects output_padding >= stride, which PyTorch allows up to the dilation. Output
    // padding only un-crops the end padding, so a smaller end pad gives the same result.
    if (a.outputPadding.some((op, i) => op >= a.stride[i])) {
      // Per axis: the other axis may keep an output_padding below its stride.
      const moved = [0, 1].map((i) => a.outputPadding[i] >= a.stride[i]);
      const [p0, p1] = a.padding;
      attrs.pads = ints([p0, p1, ...[0, 1].map((i) => a.padding[i] - (moved[i] ? a.outputPadding[i] : 0))]);
      attrs.output_padding = ints([0, 1].map((i) => (moved[i] ? 0 : a.outputPadding[i])));
    }
    e.node('ConvTranspose', n.inputs.map(e.name), [e.name(n.outputs[0])], attrs);
  },
  vjp: (n, [g], needs) => {
    const [x, w] = n.inputs;
    const a = n.attrs;
    const plain = { ...a, outputPadding: [0, 0] as [number, number] };
    return [
      needs[0] ? cropHW(x.graph.apply(ConvOp, [g!, w], plain)[0], x.shape[2], x.shape[3]) : null,
      needs[1] ? convWeightGrad(g!, x, w.shape[2], w.shape[3], plain) : null,
      needs[2] ? reduceSum(g!, [0, 2, 3]) : null,
    ];
  },
};

/**
 * The adjoint Conv of a ConvTranspose whose output_padding reaches the stride (PyTorch allows
 * it up to the dilation) sees rows past the last input position; they have no input to go to.
 */
function cropHW(t: Tensor, h: number, w: number): Tensor {
  if (t.shape[2] === h && t.shape[3] === w) return t;
  return slice(t, [{ axis: 2, start: 0, end: h }, { axis: 3, start: 0, end: w }]);
}

/**
 * The flipped filter bank of a stride-1 conv's input gradient, (in, out) swapped: two cheap
 * ops on the filters, which ORT folds away when they are frozen.
 */
function flipTranspose(w: Tensor): Tensor {
  const [k, c, kh, kw] = w.shape;
  // Reversing the kh·kw taps is a product with the exchange matrix: exact, and ORT runs a
  // MatMul multi-threaded where a Slice with step -1 takes ~10% of the conv on 256x256 filters.
  const s = kh * kw;
  const exchange = sharedConstant(w.graph, `exchange${s}`, [s, s], () => {
    const e = new Float32Array(s * s);
    for (let i = 0; i < s; i++) e[i * s + (s - 1 - i)] = 1;
    return e;
  });
  const flipped = matmul(reshape(transpose(w, [1, 0, 2, 3]), [c, k, s]), exchange);
  return reshape(flipped, [c, k, kh, kw]);
}

/**
 * dL/dx of y = conv(x, w). With stride 1, no dilation, one group and padding p <= k-1 it is
 * the convolution of g with the flipped, transposed filters and padding k-1-p, which ORT runs
 * as an NCHWc Conv (and which may lower to Winograd itself): measured 1.2-2.2x faster than
 * ORT's ConvTranspose (im2col GEMM + col2im) on VGG layers, e.g. 256->256 at 48x64 34 vs 40 CPU
 * ms, 64->64 at 192x256 40 vs 56-59, 64->32 17-20 vs 37-40, 64->16 9.5 vs 13.9. Towards fewer
 * than 16 input channels (one NCHWc block) it turns: 64->8 9.8 vs 8.0, 64->3 (the image
 * gradient of VGG's first layer) 9.8 vs 4.0. Otherwise the transposed convolution of g, padded
 * out to x's size.
 */
function convInputGrad(g: Tensor, w: Tensor, h: number, wd: number, a: ConvAttrs): Tensor {
  const [kh, kw] = w.shape.slice(2);
  const padOk = a.padding[0] <= kh - 1 && a.padding[1] <= kw - 1;
  if (both(a.stride, 1) && both(a.dilation, 1) && a.groups === 1 && padOk && w.shape[1] >= 16) {
    return conv2d(g, flipTranspose(w), null, { padding: [kh - 1 - a.padding[0], kw - 1 - a.padding[1]], algorithm: a.algorithm });
  }
  const base = (size: number, i: number, k: number) => (size - 1) * a.stride[i] - 2 * a.padding[i] + a.dilation[i] * (k - 1) + 1;
  const op: [number, number] = [h - base(g.shape[2], 0, kh), wd - base(g.shape[3], 1, kw)];
  return g.graph.apply(ConvTransposeOp, [g, w], { ...a, outputPadding: op })[0];
}

/** dL/dw of y = conv(x, w): MatMuls (conv_grad.ts) or one convolution over the batch axis. */
function convWeightGrad(x: Tensor, g: Tensor, kh: number, kw: number, a: ConvAttrs): Tensor {
  if (a.groups !== 1) {
    // Group i's filters see only its own slice of channels on both sides.
    const cx = x.shape[1] / a.groups;
    const cg = g.shape[1] / a.groups;
    const one = { ...a, groups: 1 };
    const parts = Array.from({ length: a.groups }, (_, i) =>
      convWeightGrad(
        slice(x, [{ axis: 1, start: i * cx, end: (i + 1) * cx }]),
        slice(g, [{ axis: 1, start: i * cg, end: (i + 1) * cg }]),
        kh,
        kw,
        one,
      ),
    );
    return concat(parts, 0);
  }
  const geo = { kh, kw, stride: a.stride, padding: a.padding, dilation: a.dilation };
  const method = weightGradMethod(x, g, geo);
  if (method !== 'conv') return convWeightGradMatMul(x, g, geo, method);
  const xt = transpose(x, [1, 0, 2, 3]);
  const gt = transpose(g, [1, 0, 2, 3]);
  const r = x.graph.apply(ConvOp, [xt, gt], {
    stride: a.dilation,
    dilation: a.stride,
    padding: a.padding,
    groups: 1,
    outputPadding: [0, 0],
    algorithm: 'direct',
  })[0];
  const cropped = r.shape[2] === kh && r.shape[3] === kw ? r : slice(r, [{ axis: 2, start: 0, end: kh }, { axis: 3, start: 0, end: kw }]);
  return transpose(cropped, [1, 0, 2, 3]);
}

/**
 * conv(x, w) + b by one of the Winograd forms, or null for ORT's Conv. Frozen filters (computed
 * from constants alone, so ORT folds their transform when the session is created) with pad 1
 * take the blocked WinogradConv; 3x3 filters otherwise (trainable ones, and frozen ones with
 * other padding: the resnet blocks' reflect-padded convs at translation time) winograd_train.ts;
 * trainable 4x4 filters (the PatchGAN's stride-1 layers) F(3x3, 4x4) of winograd_s1.ts.
 */
function winogradConv(x: Tensor, w: Tensor, b: Tensor | null, a: ConvAttrs, opts: Conv2dOptions): Tensor | null {
  const s3 = winogradShape(x, w, a, 3);
  const s4 = s3 ? null : winogradShape(x, w, a, 4);
  // The graph walk only for convs some Winograd form could take.
  const frozen = (s3 !== null || s4 !== null) && !dependsOnInput(w);
  const blocked = s3 !== null && frozen && both(a.padding, 1);
  if (a.algorithm === 'winograd' && !blocked) {
    throw new GraphError(`conv2d: the Winograd algorithm needs a 3x3 stride-1 pad-1 ungrouped conv of one image with constant (frozen) filters, got ${x} * ${w} ${JSON.stringify(opts)}`);
  }
  if (s3 && blocked && (a.algorithm === 'winograd' || winogradApplies(s3))) {
    const [h, wd] = x.shape.slice(2);
    return fromBlocks(winogradBlocked(toBlocks(x), w, b, h, wd), h, wd);
  }
  // Only 'auto' gets here: 'winograd' returned or threw above.
  if (s3 && !blocked && trainWinogradApplies(s3)) return winogradConvTrain(x, w, b, a.padding);
  if (s4 && !frozen && s1Winograd4Applies(s4)) return winogradConvS1(x, w, b, a.padding);
  return null;
}

export function conv2d(x: Tensor, w: Tensor, b: Tensor | null = null, opts: Conv2dOptions = {}): Tensor {
  const a = attrsOf(opts);
  const y = a.algorithm === 'direct' ? null : winogradConv(x, w, b, a, opts);
  return y ?? x.graph.apply(ConvOp, b ? [x, w, b] : [x, w], a)[0];
}

/** PyTorch ConvTranspose2d: weight is (in, out/groups, kh, kw). */
export function convTranspose2d(x: Tensor, w: Tensor, b: Tensor | null = null, opts: ConvTranspose2dOptions = {}): Tensor {
  return x.graph.apply(ConvTransposeOp, b ? [x, w, b] : [x, w], { ...attrsOf(opts), algorithm: 'direct' })[0];
}
