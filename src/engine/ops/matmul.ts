/** Batched matrix product with numpy broadcasting over the leading axes. */
import { GraphError, type OpDef, type Tensor } from '../graph.js';
import { broadcastShapes } from './broadcast.js';
import { sumToShape } from './reduce.js';
import { transposeLast } from './shape.js';

const MatMulOp: OpDef<null> = {
  type: 'MatMul',
  infer: ([a, b]) => {
    if (a.dtype !== 'float32' || b.dtype !== 'float32') throw new GraphError(`MatMul: expects float32, got ${a.dtype} and ${b.dtype}`);
    if (a.rank < 2 || b.rank < 2) throw new GraphError(`MatMul: needs matrices, got ${a} and ${b}`);
    const [m, k] = a.shape.slice(-2);
    const [k2, n] = b.shape.slice(-2);
    if (k !== k2) throw new GraphError(`MatMul: inner dimensions differ: ${a} @ ${b}`);
    const batch = broadcastShapes('MatMul', [a.shape.slice(0, -2), b.shape.slice(0, -2)]);
    return [{ shape: [...batch, m, n], dtype: 'float32' }];
  },
  lower: (n, e) => e.node('MatMul', n.inputs.map(e.name), [e.name(n.outputs[0])]),
  vjp: (n, [g], needs) => {
    const [a, b] = n.inputs;
    return [
      needs[0] ? sumToShape(matmul(g!, transposeLast(b)), a.shape) : null,
      needs[1] ? sumToShape(matmul(transposeLast(a), g!), b.shape) : null,
    ];
  },
};

export const matmul = (a: Tensor, b: Tensor): Tensor => a.graph.apply(MatMulOp, [a, b], null)[0];
