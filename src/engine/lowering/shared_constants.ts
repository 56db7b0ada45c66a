/**
 * Constants that many nodes of one graph use (Winograd transforms, one-hot tap filters,
 * exchange matrices): one tensor per graph and name, so the model carries one initializer
 * and ORT folds or pre-packs it once, instead of one per call site.
 */
import type { Graph, Shape, Tensor } from '../graph.js';

const byGraph = new WeakMap<Graph, Map<string, Tensor>>();

/** The graph's constant `name` (which must determine its values), made by `make` on first use. */
export function sharedConstant(graph: Graph, name: string, shape: Shape, make: () => Float32Array): Tensor {
  let byName = byGraph.get(graph);
  if (!byName) byGraph.set(graph, (byName = new Map()));
  let t = byName.get(name);
  if (!t) {
    t = graph.constant(make(), shape, name);
    byName.set(name, t);
  }
  return t;
}
