/**
 * `npm run bench:gan`: one CycleGAN optimize step (resnet_9blocks, basic D, batch 1) at 128
 * and 256 px, one pix2pix step (unet_256, batch norm) at 256 px, and generator inference
 * (resnet_9blocks and unet_256) at 256 and 512 px, side by side with the official PyTorch code
 * in one run. The official code comes from a checkout given by AI_ART_OFFICIAL (see
 * bench/gan_peer.py); without it, ours only.
 * Options: --steps N (timed runs of each, median; default 3), --threads N,
 * --only cyclegan128,cyclegan256,pix2pix256,translate (default: all four).
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { Inference } from '../src/gan/infer.js';
import { defineG } from '../src/models/define.js';
import { Rng } from '../src/nn/index.js';
import { arg, intArg, median } from './peer.js';
import { cycleganBench, image, pix2pixBench } from './gan_setup.js';

const PARTS = ['cyclegan128', 'cyclegan256', 'pix2pix256', 'translate'] as const;
type Part = (typeof PARTS)[number];
// A median of no runs is NaN, and the peer reports null for no steps: refuse it up front.
const STEPS = intArg('steps', 3, 1);
const only = arg('only', PARTS.join(',')).split(',').filter(Boolean);
const unknown = only.filter((p) => !(PARTS as readonly string[]).includes(p));
if (unknown.length) throw new Error(`--only: unknown part(s) ${unknown.join(', ')}; choose from ${PARTS.join(', ')}`);
const wanted = (p: Part) => only.includes(p);
const official = process.env.AI_ART_OFFICIAL;
// --threads 1 compares both sides on one core: far steadier than two threads when another
// process shares the machine (OpenMP and ORT thread pools both stall when a worker is descheduled).
const threads = intArg('threads', os.availableParallelism(), 1);

async function timeSteps(run: () => Promise<unknown>): Promise<number> {
  await run(); // compiles the sessions
  const ts: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const t = performance.now();
    await run();
    ts.push((performance.now() - t) / 1000);
  }
  return median(ts);
}

/** The official code's medians; step_seconds is null when it was asked for no steps. */
interface PeerTimes {
  step_seconds: number | null;
  infer_seconds: Record<string, number>;
}

function peer(model: string, size: number, infer: string, steps: number): PeerTimes | null {
  if (!official) return null;
  const r = spawnSync(
    '/usr/bin/python3',
    [path.resolve('bench/gan_peer.py'), '--official', official, '--model', model, '--size', String(size), '--steps', String(steps), '--infer', infer, '--infer-runs', String(STEPS), '--threads', String(threads)],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as PeerTimes;
}

const ratio = (a: number, b?: number | null) => (b ? ` | PyTorch ${b.toFixed(3)} s | ratio ${(a / b).toFixed(2)}x (target <= 0.8x)` : '');

if (!official) console.log('AI_ART_OFFICIAL is not set: ours only (set it to a checkout of the official code to compare)');
const rng = new Rng(0);
for (const size of [128, 256] as const) {
  if (!wanted(`cyclegan${size}`)) continue;
  const { step, run } = cycleganBench(size, threads, rng);
  const ours = await timeSteps(run);
  await step.release();
  const p = peer('cycle_gan', size, '', STEPS);
  console.log(`CycleGAN step ${size}x${size}: ai-art ${ours.toFixed(3)} s${ratio(ours, p?.step_seconds)}`);
}
if (wanted('pix2pix256')) {
  const { step, run } = pix2pixBench(threads, rng);
  const ours = await timeSteps(run);
  await step.release();
  const p = peer('pix2pix', 256, '', STEPS);
  console.log(`pix2pix step 256x256: ai-art ${ours.toFixed(3)} s${ratio(ours, p?.step_seconds)}`);
}

// Generator inference alone (the official test's forward, no_grad), both models, networks in
// training mode as the official test.py leaves them without --eval.
if (wanted('translate')) {
  const gens = [
    { model: 'cycle_gan', name: 'resnet_9blocks', G: defineG({ netG: 'resnet_9blocks', no_dropout: true }, { rng }) },
    { model: 'pix2pix', name: 'unet_256', G: defineG({ netG: 'unet_256', norm: 'batch' }, { rng }) },
  ];
  for (const { model, name, G } of gens) {
    const p = peer(model, 256, '256,512', 0);
    const inf = new Inference({ G }, (ins, call) => ({ fake: call('G', ins.real) }), { threads });
    for (const s of [256, 512]) {
      const x = image(s, 3);
      const t = await timeSteps(() => inf.run({ real: x }));
      console.log(`${name} translate ${s}x${s}: ai-art ${t.toFixed(3)} s${ratio(t, p?.infer_seconds[String(s)])}`);
    }
    await inf.release();
  }
}
