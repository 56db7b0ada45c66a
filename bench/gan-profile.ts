/**
 * `node --import tsx bench/gan-profile.ts [pix2pix256|cyclegan128|cyclegan256] [auto|taps|im2col|conv|gshift]
 *   [--threads N]`: one training step with ORT's profiler on, summed by op type and by layer (the
 * node's label), to see where a step's time goes. The second argument is the weight-gradient
 * lowering (engine/lowering/conv_backprop_filter.ts), 'auto' unless given. Steps are timed after one warm-up run.
 * --threads 1 gives per-node times that add up to the work done.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { cycleganBench, pix2pixBench } from './gan_setup.js';
import { Rng } from '../src/nn/index.js';
import { withPolicy, type LoweringPolicy } from '../src/engine/index.js';
import { intArg, positionals } from './peer.js';

const MODELS = ['pix2pix256', 'cyclegan128', 'cyclegan256'] as const;
const METHODS = ['auto', 'taps', 'im2col', 'conv', 'gshift'] as const satisfies readonly LoweringPolicy['weightGrad'][];
const [which = 'pix2pix256', method = 'auto', ...extra] = positionals(['threads']);
if (extra.length) throw new Error(`unexpected argument(s) ${extra.join(' ')}`);
if (!(MODELS as readonly string[]).includes(which)) throw new Error(`unknown model '${which}'; choose from ${MODELS.join(', ')}`);
if (!(METHODS as readonly string[]).includes(method)) throw new Error(`unknown weight-gradient method '${method}'; choose from ${METHODS.join(', ')}`);
const policy = withPolicy({ weightGrad: method as (typeof METHODS)[number] });
const threads = intArg('threads', os.availableParallelism(), 1);

// ORT names each profile <prefix>_<time>.json and its endProfiling() returns nothing through
// onnxruntime-node, so every session writes into a directory of this process alone.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-art-ganprof-'));
const sessions: ort.InferenceSession[] = [];
let runMs = 0;
const create = ort.InferenceSession.create.bind(ort.InferenceSession) as (b: Uint8Array, o: ort.InferenceSession.SessionOptions) => Promise<ort.InferenceSession>;
(ort.InferenceSession as unknown as { create: typeof create }).create = async (b, o) => {
  const s = await create(b, { ...o, enableProfiling: true, profileFilePrefix: path.join(dir, `s${sessions.length}`) });
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
const rng = new Rng(0);
const { step, run } = which === 'pix2pix256' ? pix2pixBench(threads, rng, policy) : cycleganBench(which === 'cyclegan256' ? 256 : 128, threads, rng, policy);
await run();
const t = performance.now();
runMs = 0;
await run();
console.log(`step ${((performance.now() - t) / 1000).toFixed(3)} s at ${threads} thread(s), of which ${(runMs / 1000).toFixed(3)} s in session.run (profiled, both runs in the profile)`);
interface Ev { cat: string; name: string; dur: number; args?: { op_name?: string } }
const byOp = new Map<string, number>();
const byNode = new Map<string, number>();
for (const s of sessions) s.endProfiling();
await step.release();
for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
  const evs = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Ev[];
  for (const e of evs) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const op = e.args?.op_name ?? '?';
    byOp.set(op, (byOp.get(op) ?? 0) + e.dur / 2000);
    const node = e.name.replace(/_kernel_time$/, '');
    byNode.set(`${op} ${node}`, (byNode.get(`${op} ${node}`) ?? 0) + e.dur / 2000);
  }
}
fs.rmSync(dir, { recursive: true, force: true });
const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${v.toFixed(1).padStart(8)} ms  ${k}`).join('\n');
console.log(`per step, ms of kernel time (summed over both runs / 2), total ${[...byOp.values()].reduce((a, b) => a + b, 0).toFixed(0)}\n${top(byOp, 25)}\n--- nodes\n${top(byNode, 40)}`);
