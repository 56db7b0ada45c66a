/**
 * Reflection padding of the last two axes (PyTorch ReflectionPad2d) as one op whose VJP folds
 * each axis with one Split and one Concat: the border gradients are added to the thin slices
 * they mirror before the pieces are joined, so the full-size tensor is read and written once
 * per axis. The generic Pad VJP (shape.ts) instead pads every folded border back to full size
 * and adds it, about five full passes per axis; at the resnet blocks' 256x66x66 that was the
 * larger part of their reflection padding's cost.
 */
import { GraphError, type OpDef, type Tensor } from '../graph.js';
import { str } from '../onnx.js';
import { add } from './elementwise.js';
import { concat, slice } from './shape.js';

/**
 * Whether `reflectPad2d(x, p)` takes x: float32 of rank >= 2, p >= 1, and both last axes at
 * least 2p + 2 long, since the fold below needs the mirrored rows and the rows they land on to
 * be distinct. Elsewhere the generic Pad (mode 'reflect') computes the same.
 */
export function reflectPad2dFits(x: Tensor, p: number): boolean {
  const r = x.rank;
  return r >= 2 && x.dtype === 'float32' && Number.isInteger(p) && p >= 1 && x.shape[r - 2] >= 2 * p + 2 && x.shape[r - 1] >= 2 * p + 2;
}

const ReflectPadOp: OpDef<{ p: number }> = {
  type: 'ReflectPad',
  infer: ([x], { p }) => {
    const r = x.rank;
    if (!reflectPad2dFits(x, p)) {
      throw new GraphError(`ReflectPad: padding ${p} needs a float32 tensor of rank >= 2 whose last two axes are at least ${2 * p + 2}, got ${x} (${x.dtype})`);
    }
    return [{ shape: x.shape.map((d, i) => (i >= r - 2 ? d + 2 * p : d)), dtype: 'float32' }];
  },
  lower: (n, e) => {
    const r = n.inputs[0].rank;
    const pads = new Array<number>(2 * r).fill(0);
    pads[r - 2] = pads[r - 1] = pads[2 * r - 2] = pads[2 * r - 1] = n.attrs.p;
    e.node('Pad', [e.name(n.inputs[0]), e.constI64(pads)], [e.name(n.outputs[0])], { mode: str('reflect') });
  },
  vjp: (n, [g]) => {
    const r = g!.rank;
    return [fold(fold(g!, r - 1, n.attrs.p), r - 2, n.attrs.p)];
  },
};

/**
 * The adjoint of reflecting p entries onto each end of `axis` (input length n): input i gets
 * g[p+i], plus g[p-i] for 1 <= i <= p and g[2n+p-2-i] for n-1-p <= i <= n-2.
 */
function fold(g: Tensor, axis: number, p: number): Tensor {
  const n = g.shape[axis] - 2 * p;
  const part = (start: number, end: number, step = 1) =>
    step > 0 ? slice(g, [{ axis, start, end }]) : slice(g, [{ axis, start: end - 1, end: start === 0 ? null : start - 1, step: -1 }]);
  return concat(
    [
      part(p, p + 1),
      add(part(p + 1, 2 * p + 1), part(0, p, -1)),
      part(2 * p + 1, n - 1),
      add(part(n - 1, n - 1 + p), part(n + p, n + 2 * p, -1)),
      part(n - 1 + p, n + p),
    ].filter((t) => t.shape[axis] > 0),
    axis,
  );
}

/** ReflectionPad2d(p) of the last two axes. */
export function reflectPad2d(x: Tensor, p: number): Tensor {
  return x.graph.apply(ReflectPadOp, [x], { p })[0];
}
