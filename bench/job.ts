/**
 * `npm run bench:job`: time to a finished picture, and memory, in one run (issue #16). Each job
 * runs in its own process under /usr/bin/time (peak RSS):
 *
 *   1. ai-art's default job at --size (its default scales, evaluations and --tolerance),
 *   2. ai-art single-scale, --iterations evaluations (--scales 1 --tolerance 0),
 *   3. PyTorch single-scale, the same evaluations (../shared/peers/nst_torch.py),
 *   4. --short evaluations single-scale on both sides (memory of a short job).
 *
 * Both sides use the same network and settings: the peer's seeded random VGG-19, saved as .pth
 * and loaded by ai-art, average pooling, normalised layers, the default preset's layers and layer
 * weights, and the default β at the full size; every written picture is then costed by one
 * objective (ai-art's at the full size). Prints the figures and ratios and writes
 * docs/job-cost-time.png (J at the full size against wall time) and docs/job-sheet.png.
 * Options: --size N, --iterations N, --short N, --threads N, --skip-single, --skip-peer, --out DIR.
 */
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  contactSheetPng,
  lossPlot,
  probeImage,
  sizeForLongestSide,
  type Series,
} from '../src/images/index.js';
import { autoStyleWeight, resolveSettings, stylize } from '../src/style/index.js';
import { PEER, PY, SHARED_IMAGES, arg, flag, intArg, torchAvailable } from './peer.js';

const SIZE = intArg('size', 512, 16);
const EVALS = intArg('iterations', 500, 1);
const SHORT = intArg('short', 30, 1);
const THREADS = intArg('threads', 2, 1);
const OUT = arg('out', 'docs');

interface Costs {
  total: number;
  content: number;
  style: number;
  tv: number;
}
interface Run {
  name: string;
  wall: number;
  evaluations: number;
  final: Costs;
  rssMB: number;
  picture: string;
  curve: { t: number; total: number }[];
  /** J of the last iterate (before the clamp to [0, 1]): ai-art's from its log, the peer's as it reports. */
  lastIterate: number;
}

if (!fs.existsSync('dist/style/index.js')) {
  console.log('run `npm run build` first');
  process.exit(1);
}
const content = path.join(SHARED_IMAGES, 'tubingen.jpg');
if (!fs.existsSync(content)) {
  console.log('needs ../shared/images');
  process.exit(0);
}
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-art-job-'));
// starry_night cropped to tubingen's 4:3: its Grams then cover the output's position count, where
// ai-art's style Gram scaling and the peer's unscaled Grams define the same objective.
const style = path.join(tmp, 'starry_night_4x3.png');
await sharp(path.join(SHARED_IMAGES, 'starry_night.jpg'))
  .resize(1024, 768, { fit: 'cover' })
  .png()
  .toFile(style);
const withPeer = !flag('skip-peer') && torchAvailable();

/** Runs argv under /usr/bin/time; its stdout's last line as JSON, and the peak RSS in MB. */
function timed(argv: string[]): { report: Record<string, unknown>; rssMB: number; wall: number } {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'PEAK_RSS_KB %M', ...argv], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${argv.slice(0, 3).join(' ')} failed:\n${r.stderr}`);
  const rss = /PEAK_RSS_KB (\d+)/.exec(r.stderr);
  return {
    report: JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>,
    rssMB: Number(rss![1]) / 1024,
    wall,
  };
}

// The peer's random VGG-19, so that both sides optimise the same objective.
let weights = 'random';
if (withPeer) {
  weights = path.join(tmp, 'vgg19_random.pth');
  timed([PY, PEER, content, style, '--size', '32', '--iterations', '1', '--save-weights', weights]);
}
const settings = resolveSettings({}, 1, true);
const meta = await probeImage(content);
const dims = sizeForLongestSide(meta.width, meta.height, SIZE);
const beta = autoStyleWeight(dims.height, dims.width, true);
const common = {
  content,
  styles: [style],
  size: SIZE,
  weights,
  pooling: 'avg' as const,
  normalizeLayers: true,
  threads: THREADS,
};

function ours(name: string, options: Record<string, unknown>): Run {
  const picture = path.join(tmp, `${name.replace(/\W+/g, '_')}.png`);
  const log = path.join(tmp, `${name.replace(/\W+/g, '_')}.jsonl`);
  const r = timed([
    process.execPath,
    'bench/job_child.mjs',
    JSON.stringify({ options: { ...common, ...options }, out: picture, log }),
  ]);
  const points = fs
    .readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { t: number; scale: number; scales: number; total: number });
  // J at the full size is only known on the last scale.
  const curve = points.filter((p) => p.scale === p.scales).map((p) => ({ t: p.t, total: p.total }));
  return runOf(name, r, picture, curve, points[points.length - 1].total);
}

/** A finished job's figures; `lastIterate` defaults to the reported final cost (the peer's is its last iterate's). */
function runOf(
  name: string,
  r: ReturnType<typeof timed>,
  picture: string,
  curve: Run['curve'] = [],
  lastIterate?: number,
): Run {
  const rep = r.report as { evaluations: number; final: Costs };
  return {
    name,
    wall: r.wall,
    evaluations: rep.evaluations,
    final: rep.final,
    rssMB: r.rssMB,
    picture,
    curve,
    lastIterate: lastIterate ?? rep.final.total,
  };
}

function peer(name: string, evals: number): Run {
  const picture = path.join(tmp, `${name.replace(/\W+/g, '_')}.png`);
  const r = timed([
    PY,
    PEER,
    content,
    style,
    '-o',
    picture,
    '--size',
    String(SIZE),
    '--iterations',
    String(evals),
    '--weights',
    weights,
    '--pooling',
    'avg',
    '--normalize-layers',
    '--alpha',
    String(settings.contentWeight),
    '--beta',
    String(beta),
    '--gamma',
    String(settings.tvWeight),
    '--content-layers',
    settings.contentLayers.join(','),
    '--style-layers',
    settings.styleLayers.join(','),
    '--style-layer-weights',
    settings.styleLayerWeights.join(','),
    '--threads',
    String(THREADS),
  ]);
  return runOf(name, r, picture);
}

const runs: Run[] = [];
const say = (r: Run) => {
  runs.push(r);
  console.log(
    `${r.name.padEnd(34)} ${r.wall.toFixed(0).padStart(5)} s wall  ${String(r.evaluations).padStart(4)} evals  J of the last iterate ${r.lastIterate.toPrecision(4)}  peak RSS ${r.rssMB.toFixed(0)} MB`,
  );
};
console.log(
  `${SIZE} px (${dims.width}x${dims.height}), tubingen x starry_night, ${THREADS} threads, weights ${withPeer ? "the peer's seeded random VGG-19" : 'random'}; load ${os.loadavg()[0].toFixed(1)}`,
);
const dflt = ours('ai-art default job', {});
say(dflt);
const single = flag('skip-single')
  ? null
  : ours(`ai-art single scale, ${EVALS} evals`, { scales: 1, iterations: EVALS, tolerance: 0 });
if (single) say(single);
const torch = withPeer ? peer(`PyTorch single scale, ${EVALS} evals`, EVALS) : null;
if (torch) say(torch);
const shortOurs = ours(`ai-art single scale, ${SHORT} evals`, { scales: 1, iterations: SHORT, tolerance: 0 });
say(shortOurs);
const shortTorch = withPeer ? peer(`PyTorch single scale, ${SHORT} evals`, SHORT) : null;
if (shortTorch) say(shortTorch);
console.log(`load after: ${os.loadavg()[0].toFixed(1)}`);

// Every picture's cost under one objective (ai-art's at the full size, the same weights): the
// cost of the first evaluation of a run that starts from the picture.
async function measured(picture: string): Promise<Costs> {
  let first: Costs | null = null;
  await stylize(
    { ...common, pooling: 'avg', init: picture, scales: 1, iterations: 1, tolerance: 0 },
    { onProgress: (p) => (first ??= { total: p.total, content: p.content, style: p.style, tv: p.tv }) },
  );
  return first!;
}
for (const r of runs) {
  if (r.name.includes(`${SHORT} evals`)) continue;
  r.final = await measured(r.picture);
  console.log(
    `${r.name.padEnd(34)} J of the written picture at ${dims.width}x${dims.height}: ${r.final.total.toPrecision(4)} (content ${r.final.content.toPrecision(3)}, style ${r.final.style.toPrecision(3)})`,
  );
}

const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
if (single)
  console.log(
    `default vs ai-art single scale: J ${ratio(dflt.final.total, single.final.total)} (goal <= 1.1x), wall ${ratio(dflt.wall, single.wall)}`,
  );
if (torch) {
  console.log(
    `default vs PyTorch single scale: J ${ratio(dflt.final.total, torch.final.total)}, wall ${ratio(dflt.wall, torch.wall)}, peak RSS ${ratio(dflt.rssMB, torch.rssMB)}`,
  );
  if (single)
    console.log(
      `ai-art vs PyTorch, both single scale: J ${ratio(single.final.total, torch.final.total)}, wall ${ratio(single.wall, torch.wall)}, peak RSS ${ratio(single.rssMB, torch.rssMB)}`,
    );
}
if (shortTorch)
  console.log(
    `${SHORT}-evaluation jobs: peak RSS ${ratio(shortOurs.rssMB, shortTorch.rssMB)} (ai-art ${shortOurs.rssMB.toFixed(0)} MB, PyTorch ${shortTorch.rssMB.toFixed(0)} MB; goal <= 1x)`,
  );

fs.mkdirSync(OUT, { recursive: true });
const series: Series[] = [dflt, ...(single ? [single] : [])].map((r) => ({
  name: r.name,
  x: r.curve.map((p) => p.t),
  values: r.curve.map((p) => p.total),
}));
const plot = await lossPlot(series, {
  title: `J at ${dims.width}x${dims.height} against wall time (${THREADS} threads)`,
  xLabel: 'seconds',
  yLabel: 'J',
  logY: true,
});
fs.writeFileSync(path.join(OUT, 'job-cost-time.png'), plot.png);
const label = (r: Run) => `${r.name}: ${r.wall.toFixed(0)} s, J ${r.final.total.toPrecision(3)}`;
const sheet = await contactSheetPng(
  [
    { image: content, label: 'content' },
    { image: style, label: 'style' },
    ...[dflt, single, torch]
      .filter((r): r is Run => r !== null)
      .map((r) => ({ image: r.picture, label: label(r) })),
  ],
  { columns: 5, cellSize: 320, title: `bench:job at ${SIZE} px` },
);
fs.writeFileSync(path.join(OUT, 'job-sheet.png'), sheet);
console.log(`wrote ${path.join(OUT, 'job-cost-time.png')} and ${path.join(OUT, 'job-sheet.png')}`);
fs.rmSync(tmp, { recursive: true, force: true });
