/**
 * stopGradient(x): x itself, but autodiff does not look through it (an op without a VJP ends
 * every gradient path). For values computed in a graph that PyTorch would hold as leaf tensors,
 * such as weights after an optimizer step taken inside the same session.
 */
import { type OpDef, type Tensor } from '../graph.js';

const StopGradientOp: OpDef<null> = {
  type: 'StopGradient',
  infer: ([x]) => [{ shape: x.shape, dtype: x.dtype }],
  lower: (n, e) => e.node('Identity', [e.name(n.inputs[0])], [e.name(n.outputs[0])]),
};

export function stopGradient(x: Tensor): Tensor {
  return x.graph.apply(StopGradientOp, [x], null)[0];
}
