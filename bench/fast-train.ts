/**
 * `npm run bench:fast-train`: one fast style transfer training step (batch 4, 256 px, VGG-16
 * loss: content relu2_2, style relu1_2..relu4_3, Adam) for the half- and full-width
 * TransformerNet, ai-art against PyTorch's step written as pytorch/examples' loop
 * (bench/fast_train_peer.py on Debian's PyTorch), side by side in one run, medians and ratios.
 * Also the step's FLOPs (convolutions and Gram matrices, counted from the shapes) and the
 * fraction of this machine's GEMM peak (a 2048³ ORT MatMul at the same thread count) it reaches.
 * Options: --steps N (timed steps per side, default 3), --threads N (default 2), --size N,
 * --batch N, --widths half,full.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { F, Graph, Program } from '../src/engine/index.js';
import { FastTrainStep, styleTargets } from '../src/fast/train_step.js';
import { VGGFeatures } from '../src/models/vgg.js';
import { TransformerNet, baseChannels } from '../src/models/transformer_net.js';
import { Rng } from '../src/nn/index.js';
import { arg, intArg, median } from './peer.js';

const STEPS = intArg('steps', 3, 1);
const THREADS = intArg('threads', 2, 1);
const SIZE = intArg('size', 256, 16);
const BATCH = intArg('batch', 4, 1);
const WIDTHS = arg('widths', 'half,full').split(',') as ('half' | 'full')[];

/** Multiply-adds ×2 of a conv producing an h×w map. */
const conv = (cin: number, cout: number, k: number, h: number, w = h): number => 2 * cin * cout * k * k * h * w;

/** FLOPs of one step: TransformerNet forward and backward (input and weight gradients), VGG-16 on y to relu4_3 forward and backward (input gradients), on x to relu2_2 forward, Grams. */
function stepFlops(width: 'half' | 'full', s: number, n: number): { total: number; transformer: number; vgg: number } {
  const b = baseChannels(width);
  const tf = [conv(3, b, 9, s), conv(b, 2 * b, 3, s / 2), conv(2 * b, 4 * b, 3, s / 4), ...Array(10).fill(conv(4 * b, 4 * b, 3, s / 4)), conv(4 * b, 2 * b, 3, s / 2), conv(2 * b, b, 3, s), conv(b, 3, 9, s)];
  // Backward: a weight gradient for every conv, an input gradient for all but the first.
  const transformer = n * (3 * tf.reduce((a, c) => a + c, 0) - tf[0]);
  const toRelu22 = [conv(3, 64, 3, s), conv(64, 64, 3, s), conv(64, 128, 3, s / 2), conv(128, 128, 3, s / 2)];
  const rest = [conv(128, 256, 3, s / 4), conv(256, 256, 3, s / 4), conv(256, 256, 3, s / 4), conv(256, 512, 3, s / 8), conv(512, 512, 3, s / 8), conv(512, 512, 3, s / 8)];
  const sum = (xs: number[]) => xs.reduce((a, c) => a + c, 0);
  const vggY = sum(toRelu22) + sum(rest);
  const grams = [[64, s], [128, s / 2], [256, s / 4], [512, s / 8]].reduce((a, [c, h]) => a + 2 * c * c * h * h, 0);
  const vgg = n * (2 * vggY - toRelu22[0] + sum(toRelu22) + 3 * grams);
  return { total: transformer + vgg, transformer, vgg };
}

async function gemmPeak(): Promise<number> {
  const N = 2048;
  const g = new Graph();
  const p = await Program.create({ c: F.matmul(g.input('a', [N, N]), g.input('b', [N, N])) }, { threads: THREADS });
  const rng = new Rng(1);
  const a = rng.fillUniform(new Float32Array(N * N), -1, 1);
  const ts: number[] = [];
  for (let i = 0; i < 6; i++) {
    const t = performance.now();
    await p.run({ a, b: a });
    if (i) ts.push((performance.now() - t) / 1000);
  }
  await p.release();
  return (2 * N ** 3) / median(ts);
}

function peer(width: string): number | null {
  const r = spawnSync('/usr/bin/python3', [path.resolve('bench/fast_train_peer.py'), '--width', width, '--size', String(SIZE), '--batch', String(BATCH), '--steps', String(STEPS), '--threads', String(THREADS)], { encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  if (r.status !== 0) {
    console.log(`PyTorch peer failed (is python3-torch installed?): ${r.stderr.trim().split('\n').pop()}`);
    return null;
  }
  return (JSON.parse(r.stdout.trim().split('\n').pop()!) as { step_seconds: number }).step_seconds;
}

const load = () => os.loadavg().map((v) => v.toFixed(1)).join(' ');
console.log(`fast train step, batch ${BATCH}, ${SIZE}x${SIZE}, ${THREADS} threads; load average at start ${load()}`);
console.log('(Debian PyTorch 1.13 runs AVX2 kernels on this AVX-512 machine; the machine is shared, so figures are noisy)');
const peak = await gemmPeak();
console.log(`GEMM peak (ORT MatMul 2048^3, ${THREADS} threads): ${(peak / 1e9).toFixed(1)} GFLOP/s`);
const rng = new Rng(7);
for (const width of WIDTHS) {
  const net = new TransformerNet({ width, seed: 42 });
  const vgg = new VGGFeatures('vgg16').initRandom(0);
  const style = { data: rng.fillUniform(new Float32Array(3 * SIZE * SIZE), 0, 255), shape: [1, 3, SIZE, SIZE] };
  const x = { data: rng.fillUniform(new Float32Array(BATCH * 3 * SIZE * SIZE), 0, 255), shape: [BATCH, 3, SIZE, SIZE] };
  const step = new FastTrainStep(net, vgg, await styleTargets(vgg, style, THREADS), { contentWeight: 1e5, styleWeight: 1e10 }, { threads: THREADS, checkFinite: false });
  const t0 = performance.now();
  await step.step(x);
  await step.step(x); // ORT's second run still allocates; both untimed
  const warm = (performance.now() - t0) / 1000;
  const ts: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const t = performance.now();
    await step.step(x);
    ts.push((performance.now() - t) / 1000);
  }
  await step.release();
  const ours = median(ts);
  const theirs = peer(width);
  const f = stepFlops(width, SIZE, BATCH);
  const rate = f.total / ours;
  console.log(
    `${width} width: ai-art ${ours.toFixed(2)} s/step (runs ${ts.map((v) => v.toFixed(2)).join(', ')}; compile + 2 warm-up steps ${warm.toFixed(0)} s)` +
      (theirs ? ` | PyTorch ${theirs.toFixed(2)} s/step | ratio ${(ours / theirs).toFixed(2)}x (target <= 0.8x)` : '') +
      `\n  ${(f.total / 1e9).toFixed(0)} GFLOP/step (TransformerNet ${(f.transformer / 1e9).toFixed(0)}, VGG-16 ${(f.vgg / 1e9).toFixed(0)}): ${(rate / 1e9).toFixed(1)} GFLOP/s, ${((100 * rate) / peak).toFixed(0)}% of the GEMM peak; load ${load()}`,
  );
}
