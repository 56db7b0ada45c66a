/**
 * Live memory of the style objective's graph, simulated at the engine's op level: each op's
 * outputs are allocated when it runs and freed after their last consumer, in the order the
 * model lists the ops. Prints the peak and what is live there (where the memory of a cost
 * program goes; ops' internal temporaries are not counted).
 */
import { topoSort, type Tensor } from '../src/engine/graph.js';
import { loadVgg } from '../src/style/vgg.js';
import { objectiveGraph } from '../src/style/objective.js';

const H = Number(process.argv[2] ?? 384);
const W = Number(process.argv[3] ?? 512);
const loaded = await loadVgg('random', 0, {});
const vgg = loaded.build('avg');
const outs = objectiveGraph(vgg, H, W, ['conv3_2'], ['conv1_1', 'conv2_1', 'conv3_1', 'conv4_1', 'conv5_1']);
const nodes = topoSort(Object.values(outs));
const bytes = (t: Tensor) => t.size * (t.dtype === 'int64' ? 8 : t.dtype === 'bool' ? 1 : 4);
const lastUse = new Map<Tensor, number>();
nodes.forEach((n, i) => n.inputs.forEach((t) => lastUse.set(t, i)));
const finals = new Set<Tensor>(Object.values(outs));
const live = new Map<Tensor, string>();
let cur = 0;
let peak = 0;
let atPeak: [string, number][] = [];
let peakAt = 0;
nodes.forEach((n, i) => {
  for (const t of n.outputs) {
    live.set(t, `${n.type} ${n.label} ${t.shape.join('x')}`);
    cur += bytes(t);
  }
  if (cur > peak) {
    peak = cur;
    peakAt = i;
    atPeak = [...live].map(([t, s]) => [s, bytes(t)]);
  }
  for (const t of [...n.inputs, ...n.outputs]) {
    if (t.source.kind === 'node' && !finals.has(t) && (lastUse.get(t) ?? -1) <= i && live.has(t)) {
      live.delete(t);
      cur -= bytes(t);
    }
  }
});
const MB = (b: number) => (b / 2 ** 20).toFixed(1);
console.log(
  `${nodes.length} ops; peak live ${MB(peak)} MB at op ${peakAt} (${nodes[peakAt].type} ${nodes[peakAt].label})`,
);
const byType = new Map<string, number>();
for (const [s, b] of atPeak) byType.set(s.split(' ')[0], (byType.get(s.split(' ')[0]) ?? 0) + b);
console.log(
  'live at the peak by op type:',
  [...byType]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${MB(v)}`)
    .join(', '),
);
for (const [s, b] of atPeak.sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(MB(b).padStart(7), s);
