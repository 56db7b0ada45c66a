/**
 * Max and average pooling. MaxPool's gradient goes to the argmax positions ONNX MaxPool
 * reports (flat NCHW indices): MaxUnpool where windows cannot overlap, else
 * ScatterElements(reduction=add), so overlapping windows accumulate as in PyTorch. AveragePool's gradient is a
 * depthwise ConvTranspose with a constant 1/(kh*kw) kernel.
 */
import { GraphError, sizeOf, type NodeOf, type OpDef, type Shape, type Tensor } from '../graph.js';
import { int, ints, str, type Attr, type Emitter } from '../onnx.js';
import { pair } from './pairs.js';

export interface Pool2dOptions {
  kernel: number | [number, number];
  stride?: number | [number, number];
  padding?: number | [number, number];
  ceilMode?: boolean;
  /** AveragePool only: count padded zeros in the divisor (PyTorch's default). */
  countIncludePad?: boolean;
}
export interface PoolAttrs {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  ceilMode: boolean;
  countIncludePad: boolean;
}

function attrsOf(o: Pool2dOptions): PoolAttrs {
  const kernel = pair(o.kernel, 1);
  return {
    kernel,
    stride: pair(o.stride, kernel),
    padding: pair(o.padding, 0),
    ceilMode: o.ceilMode ?? false,
    countIncludePad: o.countIncludePad ?? true,
  };
}

function poolShape(op: string, x: Tensor, a: PoolAttrs): number[] {
  if (x.rank !== 4 || x.dtype !== 'float32')
    throw new GraphError(`${op}: input must be a float32 NCHW tensor, got ${x}`);
  for (let i = 0; i < 2; i++) {
    if (a.padding[i] * 2 > a.kernel[i])
      throw new GraphError(`${op}: padding ${a.padding[i]} exceeds half the kernel ${a.kernel[i]}`);
  }
  const out = [0, 1].map((i) => {
    const span = x.shape[2 + i] + 2 * a.padding[i] - a.kernel[i];
    let o = (a.ceilMode ? Math.ceil(span / a.stride[i]) : Math.floor(span / a.stride[i])) + 1;
    // As PyTorch: the last window must start inside the input or left padding.
    if (a.ceilMode && (o - 1) * a.stride[i] >= x.shape[2 + i] + a.padding[i]) o--;
    return o;
  });
  if (out[0] < 1 || out[1] < 1)
    throw new GraphError(`${op}: input ${x} is smaller than the ${a.kernel.join('x')} window`);
  return [x.shape[0], x.shape[1], out[0], out[1]];
}

function onnxAttrs(a: PoolAttrs) {
  return {
    kernel_shape: ints(a.kernel),
    strides: ints(a.stride),
    pads: ints([a.padding[0], a.padding[1], a.padding[0], a.padding[1]]),
    ceil_mode: int(a.ceilMode ? 1 : 0),
  };
}

/**
 * ORT's ceil mode keeps a last window that starts in the right padding, which PyTorch (and
 * `poolShape`) drops; its output then has one row or column too many, cut off here.
 */
function lowerPool(n: NodeOf<PoolAttrs>, e: Emitter, type: string, attrs: Record<string, Attr>): void {
  const x = n.inputs[0];
  const a = n.attrs;
  const want = n.outputs[0].shape.slice(2);
  const ortSize = [0, 1].map((i) => {
    const span = x.shape[2 + i] + 2 * a.padding[i] - a.kernel[i];
    return (a.ceilMode ? Math.ceil(span / a.stride[i]) : Math.floor(span / a.stride[i])) + 1;
  });
  const names = n.outputs.map(e.name);
  if (ortSize[0] === want[0] && ortSize[1] === want[1]) {
    e.node(type, [e.name(x)], names, attrs);
    return;
  }
  const raw = names.map((name) => (name ? e.tmp() : ''));
  e.node(type, [e.name(x)], raw, attrs);
  const starts = e.constI64([0, 0]);
  const ends = e.constI64(want);
  const axes = e.constI64([2, 3]);
  raw.forEach((r, k) => {
    if (r) e.node('Slice', [r, starts, ends, axes], [names[k]]);
  });
}

const MaxPoolOp: OpDef<PoolAttrs> = {
  type: 'MaxPool',
  infer: ([x], a) => {
    const s = poolShape('MaxPool', x, a);
    return [
      { shape: s, dtype: 'float32' },
      { shape: s, dtype: 'int64' },
    ];
  },
  lower: (n, e) => lowerPool(n, e, 'MaxPool', onnxAttrs(n.attrs)),
  vjp: (n, [g]) => {
    const a = n.attrs;
    // Windows that cannot overlap send each input at most one gradient: MaxUnpool places them
    // without the zero-filled buffer ScatterElements needs (ORT folds that into an initializer
    // of the input's size).
    const overlap = a.kernel[0] > a.stride[0] || a.kernel[1] > a.stride[1];
    return [
      overlap
        ? scatterAdd(g!, n.outputs[1], n.inputs[0].shape)
        : g!.graph.apply(MaxUnpoolOp, [g!, n.outputs[1]], { ...a, inShape: n.inputs[0].shape })[0],
    ];
  },
};

const MaxUnpoolOp: OpDef<PoolAttrs & { inShape: Shape }> = {
  type: 'MaxUnpool',
  infer: ([g, idx], a) => {
    if (idx.dtype !== 'int64' || sizeOf(idx.shape) !== sizeOf(g.shape))
      throw new GraphError(`MaxUnpool: indices ${idx} do not match ${g}`);
    return [{ shape: a.inShape, dtype: 'float32' }];
  },
  lower: (n, e) => {
    const [g, idx] = n.inputs;
    const a = n.attrs;
    e.node('MaxUnpool', [e.name(g), e.name(idx), e.constI64(a.inShape)], [e.name(n.outputs[0])], {
      kernel_shape: ints(a.kernel),
      strides: ints(a.stride),
      pads: ints([a.padding[0], a.padding[1], a.padding[0], a.padding[1]]),
    });
  },
};

const ScatterAddOp: OpDef<Shape> = {
  type: 'ScatterAdd',
  infer: ([g, idx], shape) => {
    if (idx.dtype !== 'int64' || sizeOf(idx.shape) !== sizeOf(g.shape))
      throw new GraphError(`ScatterAdd: indices ${idx} do not match ${g}`);
    return [{ shape, dtype: 'float32' }];
  },
  lower: (n, e) => {
    const [g, idx] = n.inputs;
    const flatShape = e.constI64([-1]);
    const zeros = e.tmp();
    const gf = e.tmp();
    const idf = e.tmp();
    const out = e.tmp();
    e.node('Reshape', [e.name(g), flatShape], [gf]);
    e.node('Reshape', [e.name(idx), flatShape], [idf]);
    e.node('ConstantOfShape', [e.constI64([sizeOf(n.attrs)])], [zeros]);
    e.node('ScatterElements', [zeros, idf, gf], [out], { axis: int(0), reduction: str('add') });
    e.node('Reshape', [out, e.constI64(n.attrs)], [e.name(n.outputs[0])]);
  },
};
function scatterAdd(g: Tensor, idx: Tensor, shape: Shape): Tensor {
  return g.graph.apply(ScatterAddOp, [g, idx], [...shape])[0];
}

const AvgPoolOp: OpDef<PoolAttrs> = {
  type: 'AveragePool',
  infer: ([x], a) => [{ shape: poolShape('AveragePool', x, a), dtype: 'float32' }],
  lower: (n, e) =>
    lowerPool(n, e, 'AveragePool', {
      ...onnxAttrs(n.attrs),
      count_include_pad: int(n.attrs.countIncludePad ? 1 : 0),
    }),
  vjp: (n, [g]) => {
    const a = n.attrs;
    const x = n.inputs[0];
    if ((a.padding[0] || a.padding[1]) && !a.countIncludePad) {
      throw new GraphError('AveragePool: gradient with padding and countIncludePad=false is not supported');
    }
    if (a.ceilMode) throw new GraphError('AveragePool: gradient with ceilMode is not supported');
    return [g!.graph.apply(AvgPoolGradOp, [g!], { ...a, inShape: x.shape })[0]];
  },
};

const AvgPoolGradOp: OpDef<PoolAttrs & { inShape: Shape }> = {
  type: 'AvgPoolGrad',
  infer: (_, a) => [{ shape: a.inShape, dtype: 'float32' }],
  lower: (n, e) => {
    const a = n.attrs;
    const [, c, h, w] = a.inShape;
    const [kh, kw] = a.kernel;
    const g = n.inputs[0];
    const kernel = e.constF32(
      new Float32Array(c * kh * kw).fill(1 / (kh * kw)),
      [c, 1, kh, kw],
      `avgpool_grad_${c}_${kh}x${kw}`,
    );
    const base = (o: number, i: number) => (o - 1) * a.stride[i] - 2 * a.padding[i] + a.kernel[i];
    e.node('ConvTranspose', [e.name(g), kernel], [e.name(n.outputs[0])], {
      kernel_shape: ints(a.kernel),
      strides: ints(a.stride),
      pads: ints([a.padding[0], a.padding[1], a.padding[0], a.padding[1]]),
      group: int(c),
      output_padding: ints([h - base(g.shape[2], 0), w - base(g.shape[3], 1)]),
    });
  },
};

export function maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  return x.graph.apply(MaxPoolOp, [x], attrsOf(opts))[0];
}
export function avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  return x.graph.apply(AvgPoolOp, [x], attrsOf(opts))[0];
}
