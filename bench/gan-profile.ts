/**
 * `node --import tsx bench/gan-profile.ts [pix2pix256|cyclegan128|cyclegan256] [weight-grad method]`: one training step with
 * ORT's profiler on, summed by op type and by layer (the node's label), to see where a step's
 * time goes. Steps are timed after one warm-up run.
 */
import fs from 'node:fs';
import os from 'node:os';
import ort from 'onnxruntime-node';
import { CycleGANStep } from '../src/gan/cyclegan_step.js';
import { Pix2PixStep } from '../src/gan/pix2pix_step.js';
import { defineD, defineG } from '../src/models/define.js';
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
const image = (size: number, seed: number) => ({ data: new Rng(seed).fillUniform(new Float32Array(3 * size * size), -1, 1), shape: [1, 3, size, size] });
let run: () => Promise<unknown>;
if (which === 'pix2pix256') {
  const G = defineG({ netG: 'unet_256', norm: 'batch' }, { rng });
  const D = defineD({ netD: 'basic', norm: 'batch', input_nc: 6 }, { rng });
  const step = new Pix2PixStep({ G, D }, { gan_mode: 'vanilla', lambda_L1: 100, lr: 0.0002, beta1: 0.5, threads, rng });
  const batch = { real_A: image(256, 4), real_B: image(256, 5) };
  run = () => step.optimizeParameters(batch);
} else {
  const nets = {
    G_A: defineG({ netG: 'resnet_9blocks', no_dropout: true }, { rng }),
    G_B: defineG({ netG: 'resnet_9blocks', no_dropout: true }, { rng }),
    D_A: defineD({ netD: 'basic' }, { rng }),
    D_B: defineD({ netD: 'basic' }, { rng }),
  };
  const step = new CycleGANStep(nets, { gan_mode: 'lsgan', lr: 0.0002, beta1: 0.5, threads, rng });
  const size = which === 'cyclegan256' ? 256 : 128;
  const batch = { real_A: image(size, 1), real_B: image(size, 2) };
  run = () => step.optimizeParameters(batch);
}
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
