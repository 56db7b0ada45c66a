/**
 * `npm run bench:job`: the default job end to end, `ai-art style` at 512 px with 500
 * L-BFGS evaluations, against the PyTorch reference doing the same, one after the other:
 * wall time and peak memory (RSS, from /usr/bin/time) of each.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SHARED_IMAGES, intArg, runPeer, torchAvailable } from './peer.js';

const SIZE = intArg('size', 512, 1);
const EVALS = intArg('iterations', 500, 1);

if (!fs.existsSync('dist/cli/bin.js')) {
  console.log('run `npm run build` first');
  process.exit(1);
}
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-art-job-'));
const content = path.join(SHARED_IMAGES, 'tubingen.jpg');
const style = path.join(SHARED_IMAGES, 'starry_night.jpg');
if (!fs.existsSync(content)) {
  console.log('needs ../shared/images');
  process.exit(0);
}
const t0 = performance.now();
const r = spawnSync(
  '/usr/bin/time',
  ['-f', 'PEAK_RSS_KB %M', process.execPath, 'dist/cli/bin.js', 'style', content, style, '-o', path.join(tmp, 'out.png'), '--size', String(SIZE), '--iterations', String(EVALS), '--weights', 'random', '--json'],
  { encoding: 'utf8', maxBuffer: 1 << 24 },
);
const wall = (performance.now() - t0) / 1000;
if (r.status !== 0) throw new Error(r.stderr);
const ours = JSON.parse(r.stdout.trim().split('\n').pop()!);
const rss = Number(/PEAK_RSS_KB (\d+)/.exec(r.stderr)![1]) / 1024;
console.log(`ai-art: ${wall.toFixed(0)} s wall, ${ours.seconds_per_evaluation.toFixed(3)} s/eval, peak RSS ${rss.toFixed(0)} MB`);
if (torchAvailable()) {
  const t1 = performance.now();
  const peer = runPeer([content, style, '--size', String(SIZE), '--iterations', String(EVALS), '--normalize-layers', '--beta', '1e12'], true);
  const pwall = (performance.now() - t1) / 1000;
  console.log(`PyTorch: ${pwall.toFixed(0)} s wall, ${peer.seconds_per_evaluation.toFixed(3)} s/eval, peak RSS ${peer.peakRssMB!.toFixed(0)} MB`);
  console.log(`ratios ai-art/PyTorch: wall ${(wall / pwall).toFixed(2)}x, memory ${(rss / peer.peakRssMB!).toFixed(2)}x`);
}
fs.rmSync(tmp, { recursive: true, force: true });
