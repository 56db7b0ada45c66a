/** Batched matrix product with numpy broadcasting over the leading axes. */
import { GraphError, type OpDef, type Tensor } from '../graph.js';
import { ints } from '../onnx.js';
import { broadcastShapes } from './broadcast.js';
import { add } from './elementwise.js';
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

/**
 * a @ aᵀ (a Gram matrix, as style costs use). The generic VJP would take two products of the
 * size of the forward one (one per operand); here (g + gᵀ) @ a is one, which saves a third of
 * the Gram work of a style cost's forward and backward.
 */
const GramOp: OpDef<null> = {
  type: 'Gram',
  infer: ([a]) => {
    if (a.dtype !== 'float32' || a.rank < 2) throw new GraphError(`Gram: needs float32 matrices, got ${a}`);
    const m = a.shape[a.rank - 2];
    return [{ shape: [...a.shape.slice(0, -2), m, m], dtype: 'float32' }];
  },
  lower: (n, e) => {
    // ORT fuses the Transpose into the MatMul (FusedMatMul with transB).
    const a = n.inputs[0];
    const perm = a.shape.map((_, i) => i);
    [perm[a.rank - 2], perm[a.rank - 1]] = [perm[a.rank - 1], perm[a.rank - 2]];
    const t = e.tmp();
    e.node('Transpose', [e.name(a)], [t], { perm: ints(perm) });
    e.node('MatMul', [e.name(a), t], [e.name(n.outputs[0])]);
  },
  vjp: (n, [g]) => [matmul(add(g!, transposeLast(g!)), n.inputs[0])],
};

export const matmul = (a: Tensor, b: Tensor): Tensor => a.graph.apply(MatMulOp, [a, b], null)[0];

/** a @ transposeLast(a), with the one-product VJP of the Gram op. */
export const gram = (a: Tensor): Tensor => a.graph.apply(GramOp, [a], null)[0];
