/** ReduceSum and ReduceMean, and `sumToShape`, which undoes broadcasting in gradients. */
import { GraphError, fmtShape, sizeOf, type OpDef, type Shape, type Tensor } from '../graph.js';
import { int } from '../onnx.js';
import { broadcastAxes } from './broadcast.js';
import { expand, reshape } from './shape.js';

interface ReduceAttrs {
  axes: number[];
  keepdims: boolean;
}

function normAxes(op: string, axes: readonly number[], x: Tensor): number[] {
  const rank = x.rank;
  const out = axes.map((a) => (a < 0 ? a + rank : a));
  for (const a of out) {
    if (!Number.isInteger(a) || a < 0 || a >= rank) throw new GraphError(`${op}: axes [${axes}] out of range for ${x}`);
  }
  if (new Set(out).size !== out.length) throw new GraphError(`${op}: repeated axis in [${axes}] for ${x}`);
  return out.sort((x, y) => x - y);
}

function reducedShape(shape: Shape, axes: readonly number[], keepdims: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, k) => {
    if (!axes.includes(k)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

function reduceOp(type: 'ReduceSum' | 'ReduceMean'): OpDef<ReduceAttrs> {
  return {
    type,
    infer: ([x], a) => {
      if (x.dtype !== 'float32') throw new GraphError(`${type}: expects float32, got ${x.dtype}`);
      return [{ shape: reducedShape(x.shape, a.axes, a.keepdims), dtype: 'float32' }];
    },
    lower: (n, e) =>
      e.node(type, [e.name(n.inputs[0]), e.constI64(n.attrs.axes)], [e.name(n.outputs[0])], {
        keepdims: int(n.attrs.keepdims ? 1 : 0),
      }),
    vjp: (n, [g], _needs, F) => {
      const x = n.inputs[0];
      let gx = expand(reshape(g!, reducedShape(x.shape, n.attrs.axes, true)), x.shape);
      if (type === 'ReduceMean') {
        const count = sizeOf(n.attrs.axes.map((a) => x.shape[a]));
        gx = F.div(gx, count);
      }
      return [gx];
    },
  };
}
const ReduceSumOp = reduceOp('ReduceSum');
const ReduceMeanOp = reduceOp('ReduceMean');

/** Sums over `axes` (all axes when omitted). */
export function reduceSum(x: Tensor, axes?: readonly number[], keepdims = false): Tensor {
  const ax = normAxes('ReduceSum', axes ?? x.shape.map((_, i) => i), x);
  if (ax.length === 0) return x;
  return x.graph.apply(ReduceSumOp, [x], { axes: ax, keepdims })[0];
}

export function reduceMean(x: Tensor, axes?: readonly number[], keepdims = false): Tensor {
  const ax = normAxes('ReduceMean', axes ?? x.shape.map((_, i) => i), x);
  if (ax.length === 0) return x;
  return x.graph.apply(ReduceMeanOp, [x], { axes: ax, keepdims })[0];
}

/** Sums a broadcast result back to `shape` (the adjoint of broadcasting). */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  if (shape.length > g.shape.length) throw new GraphError(`sumToShape: ${fmtShape(g.shape)} cannot reduce to ${fmtShape(shape)}`);
  const { axes } = broadcastAxes(shape, g.shape);
  const r = reduceSum(g, axes, true);
  return reshape(r, shape);
}
