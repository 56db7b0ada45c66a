/**
 * Reverse-mode differentiation on the graph: `grad` appends the backward nodes to
 * the same graph, so forward and backward run as one ONNX Runtime session.
 *
 * Only what a requested gradient needs is built: a node's VJP is asked only for the
 * inputs that lie on a path from `wrt` (so differentiating the image through a frozen
 * VGG never builds filter gradients), and frozen weights stay constants.
 */
import { GraphError, topoSort, type Tensor } from './graph.js';
import * as F from './ops/index.js';

export interface GradOptions {
  /** Gradient of the outputs (defaults to ones, i.e. the gradient of their sum). */
  seeds?: readonly Tensor[];
  /** Return null instead of throwing for a `wrt` tensor that no output depends on. */
  allowUnused?: boolean;
}

/** Gradients of sum(outputs) (or of Σ<seed, output>) with respect to each `wrt` tensor. */
export function grad(outputs: Tensor | readonly Tensor[], wrt: readonly Tensor[], opts?: GradOptions & { allowUnused?: false }): Tensor[];
export function grad(outputs: Tensor | readonly Tensor[], wrt: readonly Tensor[], opts: GradOptions): (Tensor | null)[];
export function grad(outputs: Tensor | readonly Tensor[], wrt: readonly Tensor[], opts: GradOptions = {}): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? (outputs as readonly Tensor[]) : [outputs as Tensor];
  if (outs.length === 0) throw new GraphError('grad: no outputs');
  const g = outs[0].graph;
  for (const t of [...outs, ...wrt]) {
    if (t.graph !== g) throw new GraphError(`grad: ${t} belongs to another graph`);
    if (t.dtype !== 'float32') throw new GraphError(`grad: ${t} is ${t.dtype}; only float32 tensors have gradients`);
  }

  const nodes = topoSort(outs);
  // Forward pass: which tensors depend on a wrt tensor through differentiable nodes.
  const live = new Set<number>(wrt.map((t) => t.id));
  for (const n of nodes) {
    if (n.differentiable && n.inputs.some((i) => live.has(i.id))) for (const o of n.outputs) live.add(o.id);
  }

  const acc = new Map<number, Tensor>();
  const accumulate = (t: Tensor, gt: Tensor): void => {
    const prev = acc.get(t.id);
    acc.set(t.id, prev ? F.add(prev, gt) : gt);
  };
  outs.forEach((o, i) => {
    if (!live.has(o.id)) return;
    const seed = opts.seeds?.[i];
    if (seed && (seed.shape.length !== o.shape.length || seed.shape.some((d, k) => d !== o.shape[k]))) {
      throw new GraphError(`grad: seed ${seed} does not match output ${o}`);
    }
    accumulate(o, seed ?? F.expand(g.scalar(1), o.shape));
  });

  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k];
    if (!n.differentiable) continue;
    const gOut = n.outputs.map((o) => acc.get(o.id) ?? null);
    if (gOut.every((x) => x === null)) continue;
    const needs = n.inputs.map((i) => live.has(i.id) && i.dtype === 'float32');
    if (!needs.some(Boolean)) continue;
    // Backward nodes carry the forward node's label, so profiles and errors name the layer.
    const gIn = g.scope(`grad(${n.label})`, () => n.vjp(gOut, needs, F));
    n.inputs.forEach((inp, i) => {
      const gi = gIn[i];
      if (!needs[i] || !gi) return;
      if (gi.shape.length !== inp.shape.length || gi.shape.some((d, j) => d !== inp.shape[j])) {
        throw new GraphError(`grad: ${n.type} (${n.label}) produced gradient ${gi} for input ${inp}`);
      }
      accumulate(inp, gi);
    });
  }

  return wrt.map((t) => {
    const gt = acc.get(t.id);
    if (gt) return gt;
    if (opts.allowUnused) return null;
    throw new GraphError(`grad: no output depends on ${t}; pass allowUnused to get null instead`);
  });
}
