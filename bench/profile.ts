/**
 * `node --import tsx bench/profile.ts [--size 256] [--runs 8] [--profile] [--opt all|extended|basic|disabled]
 *   [--spin 0|1] [--threads 2] [--dump file.onnx] [--optimized file.onnx] [--layer-ops] [--nodes 'fwd conv3_3']`
 * Times one style-transfer cost evaluation (the ORT session alone, no L-BFGS) and, with
 * --profile, sums ORT's per-node profile by op type and by VGG layer (forward and backward),
 * to see where time goes. --threads 1 gives per-node times that add up to the work done.
 * --dump writes the model as built, --optimized the model after ORT's graph optimisations.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { toOnnxBytes } from '../src/engine/index.js';
import { VGG19Features, VGG19_LAYERS } from '../src/models/vgg19.js';
import { Rng } from '../src/nn/index.js';
import { objectiveGraph } from '../src/style/objective.js';
import { arg, flag, intArg, median } from './peer.js';

const SIZE = intArg('size', 256, 1);
// The first run is left out of the medians (and of each node's fastest run): it needs two.
const RUNS = intArg('runs', 8, 2);
const THREADS = intArg('threads', os.availableParallelism(), 1);
const [h, w] = [Math.round((SIZE * 3) / 4), SIZE];

const cl = ['conv3_2'];
const sl = ['conv1_1', 'conv2_1', 'conv3_1', 'conv4_1', 'conv5_1'];
const vgg = new VGG19Features('avg').initRandom(0);
const outs = objectiveGraph(vgg, h, w, cl, sl);
const bytes = toOnnxBytes(outs);
if (arg('dump', '')) fs.writeFileSync(arg('dump', ''), bytes);

const prefix = path.join(os.tmpdir(), `ai-art-prof-${process.pid}`);
const opts: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: THREADS,
  interOpNumThreads: 1,
  graphOptimizationLevel: arg('opt', 'all') as 'all',
  executionMode: 'sequential',
  enableProfiling: flag('profile'),
  profileFilePrefix: prefix,
  extra: { session: { 'intra_op.allow_spinning': arg('spin', '1') } },
};
if (arg('optimized', '')) opts.optimizedModelFilePath = arg('optimized', '');
const t0 = performance.now();
const sess = await ort.InferenceSession.create(bytes, opts);
console.log(
  `${w}x${h}: session created in ${(performance.now() - t0).toFixed(0)} ms, model ${(bytes.length / 1e6).toFixed(1)} MB`,
);

const g = outs.total.graph;
const feeds: Record<string, ort.Tensor> = {};
const rng = new Rng(1);
for (const [name, t] of g.inputs) {
  const data = new Float32Array(t.shape.reduce((a, b) => a * b, 1));
  if (name.startsWith('k_') || name.length <= 5) data.fill(1);
  else rng.fillUniform(data, 0, 1);
  feeds[name] = new ort.Tensor('float32', data, [...t.shape]);
}
const used = new Set(sess.inputNames);
for (const k of Object.keys(feeds)) if (!used.has(k)) delete feeds[k];

const times: number[] = [];
const cpus: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const c = process.cpuUsage();
  const t = performance.now();
  await sess.run(feeds);
  times.push(performance.now() - t);
  const d = process.cpuUsage(c);
  cpus.push((d.user + d.system) / 1000);
}
// CPU time is robust to other processes on the machine when spinning is off (--spin 0).
console.log(
  `run ms: ${times.map((t) => t.toFixed(0)).join(' ')}; median of last ${RUNS - 1}: ${median(times.slice(1)).toFixed(1)}`,
);
console.log(
  `cpu ms: ${cpus.map((t) => t.toFixed(0)).join(' ')}; median of last ${RUNS - 1}: ${median(cpus.slice(1)).toFixed(1)}`,
);

if (flag('profile')) {
  sess.endProfiling();
  const dir = path.dirname(prefix);
  const file = fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(path.basename(prefix)) && f.endsWith('.json'))
    .map((f) => path.join(dir, f))[0];
  const events = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    cat: string;
    name: string;
    dur: number;
    args?: { op_name?: string };
  }[];
  fs.rmSync(file);
  // Per node, the fastest of the runs after the first: robust to other load on the machine.
  const perNode = new Map<string, { op: string; times: number[] }>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const name = e.name.replace(/_kernel_time$/, '');
    const entry =
      perNode.get(name) ?? perNode.set(name, { op: e.args?.op_name ?? '?', times: [] }).get(name)!;
    entry.times.push(e.dur / 1000);
  }
  const best = [...perNode].map(([name, v]) => ({ name, op: v.op, ms: Math.min(...v.times.slice(1)) }));
  // Node names end in '@<engine label>' (onnx.ts): the VGG layer index and whether it is backward.
  const layerOf = (name: string): string => {
    // ORT's NCHWc rewrite renames the direct convolutions and adds reorders.
    if (!name.includes('@')) return 'ORT NCHWc convs+reorders';
    const label = name.slice(name.indexOf('@') + 1);
    const m = /features\.(\d+)/.exec(label);
    const dir = label.startsWith('grad(') ? 'bwd' : 'fwd';
    return m ? `${dir} ${VGG19_LAYERS[Number(m[1])]}` : `${dir} costs/other`;
  };
  const sum = (rows: { ms: number }[]) => rows.reduce((a, r) => a + r.ms, 0);
  const group = (key: (r: (typeof best)[0]) => string) => {
    const m = new Map<string, number>();
    for (const r of best) m.set(key(r), (m.get(key(r)) ?? 0) + r.ms);
    return [...m].sort((a, b) => b[1] - a[1]);
  };
  console.log(`sum over nodes of each node's fastest run: ${sum(best).toFixed(1)} ms`);
  console.log('by op type:');
  for (const [op, ms] of group((r) => r.op))
    if (ms >= 0.05) console.log(`  ${op.padEnd(22)} ${ms.toFixed(2).padStart(8)} ms`);
  console.log('by layer (fwd = forward, bwd = its input gradient):');
  for (const [l, ms] of group((r) => layerOf(r.name)))
    if (ms >= 0.05) console.log(`  ${l.padEnd(22)} ${ms.toFixed(2).padStart(8)} ms`);
  const match = arg('nodes', '');
  if (match) {
    console.log(`nodes whose layer is '${match}':`);
    for (const r of best.filter((r) => layerOf(r.name) === match))
      console.log(`  ${r.ms.toFixed(2).padStart(8)} ms  ${r.op} ${r.name.split('@')[0]}`);
  }
  if (flag('layer-ops')) {
    console.log('by layer and op:');
    for (const [l, ms] of group((r) => `${layerOf(r.name)} ${r.op}`))
      if (ms >= 0.3) console.log(`  ${l.padEnd(34)} ${ms.toFixed(2).padStart(8)} ms`);
  }
}
await sess.release();
