/**
 * Elementwise ops with numpy broadcasting. Each gradient is reduced back to its
 * input's shape by `sumToShape`.
 */
import { GraphError, fmtShape, type DType, type OpDef, type Tensor } from '../graph.js';
import { float } from '../onnx.js';
import { broadcastShapes } from './broadcast.js';

export type Operand = Tensor | number;

function lift(ref: Tensor, x: Operand): Tensor {
  return typeof x === 'number' ? ref.graph.scalar(x) : x;
}

function requireFloat(op: string, ts: readonly Tensor[]): void {
  for (const t of ts) {
    if (t.dtype !== 'float32') throw new GraphError(`${op}: expects float32, got ${t.dtype} for ${t}`);
  }
}

function binary(
  type: string,
  vjp: (a: Tensor, b: Tensor, y: Tensor, g: Tensor, needs: readonly boolean[]) => (Tensor | null)[],
  outDtype?: DType,
): OpDef<null> {
  return {
    type,
    infer: ([a, b]) => {
      if (!outDtype) requireFloat(type, [a, b]);
      else if (a.dtype !== b.dtype) throw new GraphError(`${type}: dtypes differ (${a.dtype} vs ${b.dtype})`);
      return [{ shape: broadcastShapes(type, [a.shape, b.shape]), dtype: outDtype ?? 'float32' }];
    },
    lower: (n, e) => e.node(type, n.inputs.map(e.name), [e.name(n.outputs[0])]),
    vjp: outDtype
      ? undefined
      : (n, [g], needs, F) => {
          const [a, b] = n.inputs;
          const gs = vjp(a, b, n.outputs[0], g!, needs);
          return [gs[0] && needs[0] ? F.sumToShape(gs[0], a.shape) : null, gs[1] && needs[1] ? F.sumToShape(gs[1], b.shape) : null];
        },
  };
}

const AddOp = binary('Add', (_a, _b, _y, g) => [g, g]);
const SubOp = binary('Sub', (_a, _b, _y, g, needs) => [g, needs[1] ? neg(g) : null]);
const MulOp = binary('Mul', (a, b, _y, g, needs) => [needs[0] ? mul(g, b) : null, needs[1] ? mul(g, a) : null]);
const DivOp = binary('Div', (a, b, y, g, needs) => [
  needs[0] ? div(g, b) : null,
  needs[1] ? neg(div(mul(g, y), b)) : null,
]);
const PowOp = binary('Pow', (a, b, y, g, needs) => [
  needs[0] ? mul(g, mul(b, pow(a, sub(b, 1)))) : null,
  needs[1] ? mul(g, mul(y, log(a))) : null,
]);

export const add = (a: Tensor, b: Operand): Tensor => a.graph.apply(AddOp, [a, lift(a, b)], null)[0];
export const sub = (a: Tensor, b: Operand): Tensor => a.graph.apply(SubOp, [a, lift(a, b)], null)[0];
export const mul = (a: Tensor, b: Operand): Tensor => a.graph.apply(MulOp, [a, lift(a, b)], null)[0];
export const div = (a: Tensor, b: Operand): Tensor => a.graph.apply(DivOp, [a, lift(a, b)], null)[0];
export const pow = (a: Tensor, b: Operand): Tensor => a.graph.apply(PowOp, [a, lift(a, b)], null)[0];
/** `number - tensor` and friends, for when the scalar comes first. */
export const rsub = (a: number, b: Tensor): Tensor => b.graph.apply(SubOp, [b.graph.scalar(a), b], null)[0];
export const rdiv = (a: number, b: Tensor): Tensor => b.graph.apply(DivOp, [b.graph.scalar(a), b], null)[0];

function unary(type: string, vjp?: (x: Tensor, y: Tensor, g: Tensor) => Tensor, attrs?: (a: number) => Record<string, ReturnType<typeof float>>): OpDef<number> {
  return {
    type,
    infer: ([x]) => {
      requireFloat(type, [x]);
      return [{ shape: x.shape, dtype: x.dtype }];
    },
    lower: (n, e) => e.node(type, [e.name(n.inputs[0])], [e.name(n.outputs[0])], attrs ? attrs(n.attrs) : {}),
    vjp: vjp ? (n, [g]) => [vjp(n.inputs[0], n.outputs[0], g!)] : undefined,
  };
}

const NegOp = unary('Neg', (_x, _y, g) => neg(g));
const SqrtOp = unary('Sqrt', (_x, y, g) => div(g, mul(y, 2)));
const ExpOp = unary('Exp', (_x, y, g) => mul(g, y));
const LogOp = unary('Log', (x, _y, g) => div(g, x));
const AbsOp = unary('Abs', (x, _y, g) => mul(g, sign(x)));
const SignOp = unary('Sign');
const ReluOp = unary('Relu', (_x, y, g) => where(greater(y, 0), g, 0));
// PyTorch's leaky_relu backward uses x > 0 ? g : slope * g.
const LeakyReluOp = unary('LeakyRelu', undefined, (alpha) => ({ alpha: float(alpha) }));
const LeakyReluDiff: OpDef<number> = {
  ...LeakyReluOp,
  vjp: (n, [g]) => [where(greater(n.inputs[0], 0), g!, mul(g!, n.attrs))],
};
const TanhOp = unary('Tanh', (_x, y, g) => mul(g, rsub(1, mul(y, y))));
const SigmoidOp = unary('Sigmoid', (_x, y, g) => mul(g, mul(y, rsub(1, y))));

export const neg = (x: Tensor): Tensor => x.graph.apply(NegOp, [x], 0)[0];
export const sqrt = (x: Tensor): Tensor => x.graph.apply(SqrtOp, [x], 0)[0];
export const exp = (x: Tensor): Tensor => x.graph.apply(ExpOp, [x], 0)[0];
export const log = (x: Tensor): Tensor => x.graph.apply(LogOp, [x], 0)[0];
export const abs = (x: Tensor): Tensor => x.graph.apply(AbsOp, [x], 0)[0];
export const sign = (x: Tensor): Tensor => x.graph.apply(SignOp, [x], 0)[0];
export const relu = (x: Tensor): Tensor => x.graph.apply(ReluOp, [x], 0)[0];
export const leakyRelu = (x: Tensor, alpha = 0.01): Tensor => x.graph.apply(LeakyReluDiff, [x], alpha)[0];
export const tanh = (x: Tensor): Tensor => x.graph.apply(TanhOp, [x], 0)[0];
export const sigmoid = (x: Tensor): Tensor => x.graph.apply(SigmoidOp, [x], 0)[0];

const compare = (type: string): OpDef<null> => binary(type, () => [], 'bool');
const GreaterOp = compare('Greater');
const LessOp = compare('Less');
const EqualOp = compare('Equal');
const GreaterEqualOp = compare('GreaterOrEqual');
const LessEqualOp = compare('LessOrEqual');
const AndOp = compare('And');
export const greater = (a: Tensor, b: Operand): Tensor => a.graph.apply(GreaterOp, [a, lift(a, b)], null)[0];
export const less = (a: Tensor, b: Operand): Tensor => a.graph.apply(LessOp, [a, lift(a, b)], null)[0];
export const equal = (a: Tensor, b: Operand): Tensor => a.graph.apply(EqualOp, [a, lift(a, b)], null)[0];
export const greaterEqual = (a: Tensor, b: Operand): Tensor => a.graph.apply(GreaterEqualOp, [a, lift(a, b)], null)[0];
export const lessEqual = (a: Tensor, b: Operand): Tensor => a.graph.apply(LessEqualOp, [a, lift(a, b)], null)[0];
export const and = (a: Tensor, b: Tensor): Tensor => {
  if (a.dtype !== 'bool' || b.dtype !== 'bool') throw new GraphError(`And: expects bool tensors, got ${a.dtype} and ${b.dtype}`);
  return a.graph.apply(AndOp, [a, b], null)[0];
};

const WhereOp: OpDef<null> = {
  type: 'Where',
  infer: ([c, x, y]) => {
    if (c.dtype !== 'bool') throw new GraphError(`Where: condition must be bool, got ${c.dtype} ${fmtShape(c.shape)}`);
    requireFloat('Where', [x, y]);
    return [{ shape: broadcastShapes('Where', [c.shape, x.shape, y.shape]), dtype: 'float32' }];
  },
  lower: (n, e) => e.node('Where', n.inputs.map(e.name), [e.name(n.outputs[0])]),
  vjp: (n, [g], needs, F) => {
    const [c, x, y] = n.inputs;
    return [
      null,
      needs[1] ? F.sumToShape(where(c, g!, 0), x.shape) : null,
      needs[2] ? F.sumToShape(where(c, 0, g!), y.shape) : null,
    ];
  },
};
export function where(c: Tensor, x: Operand, y: Operand): Tensor {
  return c.graph.apply(WhereOp, [c, lift(c, x), lift(c, y)], null)[0];
}

interface ClipAttrs {
  min: number;
  max: number;
}
const ClipOp: OpDef<ClipAttrs> = {
  type: 'Clip',
  infer: ([x], a) => {
    requireFloat('Clip', [x]);
    if (!(a.min <= a.max)) throw new GraphError(`Clip: min ${a.min} is above max ${a.max}`);
    return [{ shape: x.shape, dtype: 'float32' }];
  },
  lower: (n, e) =>
    e.node('Clip', [e.name(n.inputs[0]), e.constF32([n.attrs.min], []), e.constF32([n.attrs.max], [])], [e.name(n.outputs[0])]),
  // As torch.clamp: the gradient passes where min <= x <= max.
  vjp: (n, [g]) => {
    const x = n.inputs[0];
    return [where(and(greaterEqual(x, n.attrs.min), lessEqual(x, n.attrs.max)), g!, 0)];
  },
};
export const clip = (x: Tensor, min: number, max: number): Tensor => x.graph.apply(ClipOp, [x], { min, max })[0];

const ONNX_DTYPE: Record<DType, number> = { float32: 1, int64: 7, bool: 9 };
const CastOp: OpDef<DType> = {
  type: 'Cast',
  infer: ([x], to) => [{ shape: x.shape, dtype: to }],
  lower: (n, e) => e.node('Cast', [e.name(n.inputs[0])], [e.name(n.outputs[0])], { to: { i: ONNX_DTYPE[n.attrs] } }),
  vjp: (n, [g]) => [n.inputs[0].dtype === 'float32' && n.attrs === 'float32' ? g : null],
};
export const cast = (x: Tensor, to: DType): Tensor => x.graph.apply(CastOp, [x], to)[0];

export const square = (x: Tensor): Tensor => mul(x, x);
