/**
 * `npm run bench`: style-transfer cost evaluations (VGG-19 to conv5_1, content + Gram
 * style + TV costs, forward and gradient w.r.t. the image, L-BFGS included) side by side
 * with the PyTorch reference (../shared/peers/nst_torch.py) on the same machine, in one
 * run, alternating the two so drift hits both. Prints medians and ratios.
 *
 * With --cpu both sides report CPU seconds per evaluation instead of wall seconds (ORT without
 * spinning, OpenMP with OMP_WAIT_POLICY=PASSIVE): a comparison that other processes on the
 * machine disturb much less than the wall clock, which is what counts but needs an idle machine.
 *
 * Needs for the PyTorch side: apt-get install -y python3-torch python3-pil libopenblas0-pthread
 * (without OpenBLAS, Debian's PyTorch falls back to reference BLAS and is ~30x slower).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runtimeDefaults } from '../src/engine/index.js';
import { demoScenePng } from '../src/images/index.js';
import { stylize } from '../src/style/stylize.js';
import { PEER, PY, SHARED_IMAGES, arg, flag, intArg, matmulPeak, median, torchAvailable } from './peer.js';

const SIZES = arg('sizes', '256,512').split(',').map(Number);
if (SIZES.some((s) => !Number.isInteger(s) || s < 1)) throw new Error(`--sizes takes whole numbers >= 1, got '${arg('sizes', '')}'`);
const EVALS = intArg('evaluations', 10, 1);
const ROUNDS = intArg('rounds', 3, 1);
const CPU = flag('cpu');

/** Runs the peer script with its clock replaced by process CPU time. */
const CPU_WRAPPER = [
  'import runpy, sys, time',
  'time.perf_counter = time.process_time',
  'sys.argv = sys.argv[1:]',
  "runpy.run_path(sys.argv[0], run_name='__main__')",
].join('\n');

function openblasInstalled(): boolean {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Status}', 'libopenblas0-pthread'], { encoding: 'utf8' }).includes('ok installed');
  } catch {
    return false;
  }
}

/**
 * Forward+backward FLOPs of the VGG part as direct convolutions, for the fraction of peak.
 * Winograd layers do ~4x fewer, so this "direct-equivalent" rate can exceed the peak.
 */
function vggFlops(h: number, w: number): number {
  const cfg = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512];
  let c = 3;
  let flops = 0;
  let hh = h;
  let ww = w;
  for (const v of cfg) {
    if (v === 'M') {
      hh = Math.floor(hh / 2);
      ww = Math.floor(ww / 2);
      continue;
    }
    const f = 2 * hh * ww * c * (v as number) * 9;
    // forward + input gradient (+ no weight gradient); the first layer needs its input gradient too
    flops += 2 * f;
    c = v as number;
  }
  return flops;
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-art-bench-'));
  let content = path.join(SHARED_IMAGES, 'tubingen.jpg');
  let style = path.join(SHARED_IMAGES, 'starry_night.jpg');
  if (!fs.existsSync(content)) {
    content = path.join(tmp, 'content.png');
    style = path.join(tmp, 'style.png');
    fs.writeFileSync(content, await demoScenePng('landscape', { width: 1024, height: 768 }));
    fs.writeFileSync(style, await demoScenePng('swirls', { width: 1024, height: 768 }));
  }
  const torch = torchAvailable();
  const threads = os.availableParallelism();
  console.log(`machine: ${os.cpus()[0]?.model ?? '?'} x${threads}, node ${process.version}`);
  const peak = await matmulPeak();
  console.log(`ORT 2048^3 MatMul: ${peak.toFixed(0)} GFLOP/s (practical peak)`);
  if (!torch) console.log('PyTorch peer unavailable (needs ../shared/peers/nst_torch.py and /usr/bin/python3 with torch): ours only');
  else if (!openblasInstalled()) console.log('WARNING: libopenblas0-pthread is not installed: PyTorch uses reference BLAS and is an unfair peer');

  const wallNow = performance.now.bind(performance);
  const cpuNow = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  if (CPU) {
    runtimeDefaults.spinning = false;
    console.log('CPU-time mode: seconds are CPU seconds per evaluation (both sides, all threads)');
  }
  const rows: string[] = [];
  for (const size of SIZES) {
    const ours: number[] = [];
    const theirs: number[] = [];
    let hw: [number, number] = [0, 0];
    for (let r = 0; r < ROUNDS; r++) {
      // stylize times its optimisation loop with performance.now, so CPU mode swaps the clock.
      if (CPU) performance.now = cpuNow;
      const { report } = await stylize({
        content,
        styles: [style],
        size,
        iterations: EVALS,
        weights: 'random',
        pooling: 'avg',
        styleWeight: 1e3,
        contentLayers: ['conv3_2'],
        styleLayers: ['conv1_1', 'conv2_1', 'conv3_1', 'conv4_1', 'conv5_1'],
        styleLayerWeights: 'equal',
        threads,
      }).finally(() => {
        performance.now = wallNow;
      });
      ours.push(report.seconds_per_evaluation);
      hw = report.size;
      if (torch) {
        const peerArgs = [PEER, content, style, '--size', String(size), '--iterations', String(EVALS), '--normalize-layers', '--threads', String(threads)];
        const out = CPU
          ? execFileSync(PY, ['-c', CPU_WRAPPER, ...peerArgs], {
              encoding: 'utf8',
              stdio: ['ignore', 'pipe', 'ignore'],
              env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' },
            })
          : execFileSync(PY, peerArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
        theirs.push(JSON.parse(out.trim().split('\n').pop()!).seconds_per_evaluation);
      }
    }
    const o = median(ours);
    const gf = vggFlops(hw[0], hw[1]) / o / 1e9;
    // In CPU mode o sums all threads' CPU seconds: a rate per CPU second, not comparable with the
    // wall-clock peak of all threads.
    const rate = CPU
      ? `${gf.toFixed(0)} direct-equivalent conv GFLOP per CPU second`
      : `${gf.toFixed(0)} direct-equivalent conv GFLOP/s, ${((100 * gf) / peak).toFixed(0)}% of peak`;
    let line = `size ${size} (${hw[1]}x${hw[0]}): ai-art ${o.toFixed(3)} s/eval (${rate})`;
    if (torch) {
      const t = median(theirs);
      line += `, PyTorch ${t.toFixed(3)} s/eval, ratio ai-art/PyTorch ${(o / t).toFixed(2)}x (target <= 0.8x)`;
    }
    console.log(line);
    rows.push(line);
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}

await main();
