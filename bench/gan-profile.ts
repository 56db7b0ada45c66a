/**
 * `node --import tsx bench/gan-profile.ts [pix2pix256|cyclegan128|cyclegan256] [weight-grad method]`: one training step with
 * ORT's profiler on, summed by op type and by layer (the node's label), to see where a step's
 * time goes. Steps are timed after one warm-up run.
 */
import fs from 'node:fs';
import os from 'node:os';
import ort from 'onnxruntime-node';
import { cycleganBench, pix2pixBench } from './gan_setup.js';
import { Rng } from '../src/nn/index.js';
import { weightGradDefaults } from '../src/engine/ops/conv_grad.js';

const which = process.argv[2] ?? 'pix2pix256';
// The weight-gradient lowering to profile (conv_grad.ts), 'auto' unless given.
weightGradDefaults.method = (process.argv[3] ?? 'auto') as typeof weightGradDefaults.method;
const sessions: ort.InferenceSession[] = [];
let runMs = 0;
const create = ort.InferenceSession.create.bind(ort.InferenceSession) as (b: Uint8Array, o: ort.InferenceSession.SessionOptions) => Promise<ort.InferenceSession>;
(ort.InferenceSession as unknown as { create: typeof create }).create = async (b, o) => {
  const s = await create(b, { ...o, enableProfiling: true, profileFilePrefix: `/tmp/ganprof_${sessions.length}` });
  sessions.push(s);
  type Run = (...a: unknown[]) => Promise<unknown>;
  const run = (s.run as unknown as Run).bind(s);
  (s as unknown as { run: Run }).run = async (...a: unknown[]) => {
    const t0 = performance.now();
    const r = await run(...a);
    runMs += performance.now() - t0;
    return r;
  };
  return s;
};
const threads = os.availableParallelism();
const rng = new Rng(0);
const run: () => Promise<unknown> = which === 'pix2pix256' ? pix2pixBench(threads, rng).run : cycleganBench(which === 'cyclegan256' ? 256 : 128, threads, rng).run;
await run();
const t = performance.now();
runMs = 0;
await run();
console.log(`step ${((performance.now() - t) / 1000).toFixed(3)} s, of which ${(runMs / 1000).toFixed(3)} s in session.run (profiled, both runs in the profile)`);
interface Ev { cat: string; name: string; dur: number; args?: { op_name?: string } }
const byOp = new Map<string, number>();
const byNode = new Map<string, number>();
for (const s of sessions) {
  const file = (s as unknown as { endProfiling(): string }).endProfiling();
  void file;
}
for (const f of fs.readdirSync('/tmp').filter((f) => f.startsWith('ganprof_') && f.endsWith('.json'))) {
  const evs = JSON.parse(fs.readFileSync(`/tmp/${f}`, 'utf8')) as Ev[];
  for (const e of evs) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const op = e.args?.op_name ?? '?';
    byOp.set(op, (byOp.get(op) ?? 0) + e.dur / 2000);
    const node = e.name.replace(/_kernel_time$/, '');
    byNode.set(`${op} ${node}`, (byNode.get(`${op} ${node}`) ?? 0) + e.dur / 2000);
  }
  fs.unlinkSync(`/tmp/${f}`);
}
const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${v.toFixed(1).padStart(8)} ms  ${k}`).join('\n');
console.log(`per step, ms of kernel time (summed over both runs / 2), total ${[...byOp.values()].reduce((a, b) => a + b, 0).toFixed(0)}\n${top(byOp, 25)}\n--- nodes\n${top(byNode, 40)}`);
