/**
 * `npm run bench:fast`: fast style transfer inference against PyTorch in one run, alternating
 * the two sides so that load on the shared machine hits both.
 *
 *   image: one 1024x768 picture through the full-width TransformerNet, ai-art's compiled graph
 *          vs pytorch/examples' module in eval mode under no_grad (bench/fast_peer.py), both on
 *          --threads (default 2) threads; medians of --runs per round over --rounds rounds, of wall
 *          seconds and of CPU seconds (all threads; ORT without spinning, OpenMP passive), which
 *          a loaded machine disturbs much less; the ratios (target <= 0.8x) and the rate in
 *          direct-convolution GFLOP/s against ORT's MatMul peak.
 *   video: a 640x360 clip made by ffmpeg (testsrc2 with per-frame noise, as a camera adds;
 *          --frames at 30 fps), end to end with ffmpeg pipes on both sides: `stylizeVideo`
 *          (batches of --batch) vs a PyTorch per-frame loop; and the flicker measure
 *          (smoothing.ts) without and with --smoothing.
 *
 * Options: --parts image,video --threads 2 --runs 5 --rounds 2 --frames 60 --batch 4 --width full|half --smoothing 0.6
 * Debian's PyTorch 1.13 runs AVX2 kernels on an AVX-512 machine; ORT uses AVX-512.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runtimeDefaults } from '../src/engine/index.js';
import { TransformerNetModel, stylizeVideo } from '../src/fast/index.js';
import { TransformerNet } from '../src/models/networks.js';
import { PY, arg, intArg, matmulPeak, median } from './peer.js';

const PARTS = arg('parts', 'image,video').split(',');
for (const p of PARTS) if (!['image', 'video'].includes(p)) throw new Error(`--parts takes image and/or video, got '${p}'`);
const THREADS = intArg('threads', 2, 1);
const RUNS = intArg('runs', 5, 1);
const ROUNDS = intArg('rounds', 2, 1);
const FRAMES = intArg('frames', 60, 2);
const BATCH = intArg('batch', 4, 1);
const WIDTH = arg('width', 'full');
const SMOOTHING = Number(arg('smoothing', '0.6'));
if (!(SMOOTHING > 0 && SMOOTHING < 1)) throw new Error(`--smoothing takes a number in (0, 1), got '${arg('smoothing', '')}'`);
if (WIDTH !== 'full' && WIDTH !== 'half') throw new Error(`--width takes full or half, got '${WIDTH}'`);
const PEER = path.resolve('bench/fast_peer.py');
const torch = spawnSync(PY, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

/** Direct-convolution FLOPs of TransformerNet at h x w (the network's own count; Winograd does fewer). */
function transformerFlops(h: number, w: number, b: number): number {
  const conv = (cin: number, cout: number, k: number, oh: number, ow: number): number => 2 * cin * cout * k * k * oh * ow;
  const h2 = Math.floor((h - 1) / 2) + 1;
  const w2 = Math.floor((w - 1) / 2) + 1;
  const h4 = Math.floor((h2 - 1) / 2) + 1;
  const w4 = Math.floor((w2 - 1) / 2) + 1;
  return (
    conv(3, b, 9, h, w) + conv(b, 2 * b, 3, h2, w2) + conv(2 * b, 4 * b, 3, h4, w4) + 10 * conv(4 * b, 4 * b, 3, h4, w4) +
    conv(4 * b, 2 * b, 3, 2 * h4, 2 * w4) + conv(2 * b, b, 3, 4 * h4, 4 * w4) + conv(b, 3, 9, 4 * h4, 4 * w4)
  );
}

function peer(args: string[]): Record<string, number | number[]> {
  const out = execFileSync(PY, [PEER, '--threads', String(THREADS), '--width', WIDTH === 'full' ? '32' : '16', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, OMP_NUM_THREADS: String(THREADS), OMP_WAIT_POLICY: 'PASSIVE' },
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, number | number[]>;
}

function load(): string {
  return os.loadavg().map((v) => v.toFixed(1)).join(' ');
}

async function imagePart(): Promise<void> {
  const [h, w] = [768, 1024];
  const model = new TransformerNetModel(new TransformerNet({ width: WIDTH as 'full' | 'half' }).eval(), 'random', THREADS);
  const x = new Float32Array(3 * h * w).map((_, i) => (i * 7919) % 256);
  await model.run(x, [1, 3, h, w]);
  const ours: number[] = [];
  const oursCpu: number[] = [];
  const theirs: number[] = [];
  const theirsCpu: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const c = process.cpuUsage();
      await model.run(x, [1, 3, h, w]);
      const d = process.cpuUsage(c);
      ours.push((performance.now() - t) / 1000);
      oursCpu.push((d.user + d.system) / 1e6);
    }
    if (torch) {
      const p = peer(['--image', `${h}x${w}`, '--runs', String(RUNS)]);
      theirs.push(...(p.image_seconds as number[]));
      theirsCpu.push(...(p.image_cpu_seconds as number[]));
    }
  }
  await model.release();
  const o = median(ours);
  const oc = median(oursCpu);
  const gflop = transformerFlops(h, w, WIDTH === 'full' ? 32 : 16) / 1e9;
  const peak = await matmulPeak(THREADS);
  let line = `image ${w}x${h}, ${WIDTH} width, ${THREADS} threads: ai-art ${o.toFixed(3)} s wall, ${oc.toFixed(3)} CPU s (medians of ${ours.length}; ${gflop.toFixed(0)} GFLOP as direct convolutions: ${(gflop / o).toFixed(0)} GFLOP/s, ${((100 * gflop) / o / peak).toFixed(0)}% of ORT's ${peak.toFixed(0)} GFLOP/s MatMul peak measured now)`;
  if (torch) {
    const t = median(theirs);
    const tc = median(theirsCpu);
    line += `; PyTorch ${t.toFixed(3)} s wall, ${tc.toFixed(3)} CPU s (medians of ${theirs.length}); ratio ai-art/PyTorch ${(o / t).toFixed(2)}x wall, ${(oc / tc).toFixed(2)}x CPU (target <= 0.8x)`;
  }
  console.log(`${line}; load ${load()}`);
}

async function videoPart(tmp: string): Promise<void> {
  const clip = path.join(tmp, 'clip.mp4');
  execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-vf', 'noise=alls=10:allf=t', '-frames:v', String(FRAMES), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', clip]);
  const model = new TransformerNetModel(new TransformerNet({ width: WIDTH as 'full' | 'half' }).eval(), 'random', THREADS);
  const ours: number[] = [];
  const theirs: number[] = [];
  let flicker: number | null = null;
  for (let r = 0; r < ROUNDS; r++) {
    const res = await stylizeVideo(model, clip, path.join(tmp, `out${r}.mp4`), { batch: BATCH });
    ours.push(res.framesPerSecond);
    flicker = res.flicker.ratio;
    if (torch) {
      const p = peer(['--video', clip, '--size', '640x360', '--out', path.join(tmp, `peer${r}.mp4`)]);
      theirs.push((p.video_frames as number) / (p.video_seconds as number));
    }
  }
  const smooth = await stylizeVideo(model, clip, path.join(tmp, 'smooth.mp4'), { batch: BATCH, temporalSmoothing: SMOOTHING });
  await model.release();
  const o = median(ours);
  const fmt = (v: number | null): string => (v === null ? '?' : v.toFixed(3));
  console.log(
    `flicker (mean |change| between consecutive frames, output/input; input ${smooth.flicker.input.toFixed(2)} levels): ` +
      `${fmt(flicker)} without smoothing, ${fmt(smooth.flicker.ratio)} with --temporal-smoothing ${SMOOTHING} (${smooth.framesPerSecond.toFixed(2)} frames/s)`,
  );
  let line = `video 640x360, ${FRAMES} frames, ${WIDTH} width, batch ${BATCH}, ${THREADS} threads, decode+network+encode: ai-art ${o.toFixed(2)} frames/s`;
  if (torch) {
    const t = median(theirs);
    line += `; PyTorch per-frame loop ${t.toFixed(2)} frames/s; ai-art/PyTorch ${(o / t).toFixed(2)}x the frame rate`;
  }
  console.log(`${line}; load ${load()}`);
}

async function main(): Promise<void> {
  // ORT threads sleep when idle, as PyTorch's OpenMP threads do on a shared machine.
  runtimeDefaults.spinning = false;
  console.log(`machine: ${os.cpus()[0]?.model ?? '?'} x${os.availableParallelism()}, node ${process.version}, load ${load()}${torch ? '' : ' (no PyTorch: ai-art only)'}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-art-bench-fast-'));
  try {
    if (PARTS.includes('image')) await imagePart();
    if (PARTS.includes('video')) await videoPart(tmp);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
