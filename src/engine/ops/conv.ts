/**
 * 2-D convolution and transposed convolution (NCHW, OIHW weights as PyTorch): the ops, their
 * shape rules and ONNX lowerings (ORT's Conv and ConvTranspose), and their gradient rules.
 *
 * The gradient of y = conv(x, w) is two ops of its own, ConvBackpropInput (dL/dx) and
 * ConvBackpropFilter (dL/dw), and the bias gradient a sum; which lowering computes each is the
 * graph's policy's choice (lowering/conv.ts, policy.ts). A ConvTranspose is the adjoint of a
 * Conv, so its gradients are the same two pieces with the roles of input and output exchanged.
 */
import { GraphError, type OpDef, type Tensor } from '../graph.js';
import { int, ints } from '../onnx.js';
import { matmul } from './matmul.js';
import { reshape, slice, transpose } from './shape.js';
import { pair } from './pairs.js';
import { sharedConstant } from '../lowering/shared_constants.js';

export interface Conv2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
  dilation?: number | [number, number];
  groups?: number;
}
export interface ConvTranspose2dOptions extends Conv2dOptions {
  outputPadding?: number | [number, number];
}

export interface ConvAttrs {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
  outputPadding: [number, number];
}

export function convAttrs(o: ConvTranspose2dOptions): ConvAttrs {
  const a: ConvAttrs = {
    stride: pair(o.stride, 1),
    padding: pair(o.padding, 0),
    dilation: pair(o.dilation, 1),
    groups: o.groups ?? 1,
    outputPadding: pair(o.outputPadding, 0),
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
  vjp: (n, [g], needs, F) => {
    const [x, w] = n.inputs;
    const a = n.attrs;
    return [
      needs[0] ? F.convBackpropInput(g!, w, [x.shape[2], x.shape[3]], a) : null,
      needs[1] ? F.convBackpropFilter(x, g!, [w.shape[2], w.shape[3]], a) : null,
      needs[2] ? F.reduceSum(g!, [0, 2, 3]) : null,
    ];
  },
};

/** ORT's Conv, whatever the policy: the lowerings use it for their own helper convolutions. */
export function convDirect(x: Tensor, w: Tensor, b: Tensor | null, a: ConvAttrs): Tensor {
  return x.graph.apply(ConvOp, b ? [x, w, b] : [x, w], a)[0];
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
  vjp: (n, [g], needs, F) => {
    const [x, w] = n.inputs;
    const a = n.attrs;
    const plain = { ...a, outputPadding: [0, 0] as [number, number] };
    return [
      needs[0] ? cropHW(convDirect(g!, w, null, plain), x.shape[2], x.shape[3]) : null,
      needs[1] ? F.convBackpropFilter(g!, x, [w.shape[2], w.shape[3]], plain) : null,
      needs[2] ? F.reduceSum(g!, [0, 2, 3]) : null,
    ];
  },
};

/** ORT's ConvTranspose with the given attributes (output padding included). */
export function convTransposeDirect(x: Tensor, w: Tensor, b: Tensor | null, a: ConvAttrs): Tensor {
  return x.graph.apply(ConvTransposeOp, b ? [x, w, b] : [x, w], a)[0];
}

/** PyTorch ConvTranspose2d: weight is (in, out/groups, kh, kw). */
export function convTranspose2d(x: Tensor, w: Tensor, b: Tensor | null = null, opts: ConvTranspose2dOptions = {}): Tensor {
  return convTransposeDirect(x, w, b, convAttrs(opts));
}

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
export function flipTranspose(w: Tensor): Tensor {
  const [k, c, kh, kw] = w.shape;
  // Reversing the kh·kw taps is a product with the exchange matrix: exact, and ORT runs a
  // MatMul multi-threaded where a Slice with step -1 is much slower (docs/performance.md).
  const s = kh * kw;
  const exchange = sharedConstant(w.graph, `exchange${s}`, [s, s], () => {
    const e = new Float32Array(s * s);
    for (let i = 0; i < s; i++) e[i * s + (s - 1 - i)] = 1;
    return e;
  });
  const flipped = matmul(reshape(transpose(w, [1, 0, 2, 3]), [c, k, s]), exchange);
  return reshape(flipped, [c, k, kh, kw]);
}
