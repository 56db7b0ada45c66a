/** The PyTorch peer (../shared/peers/nst_torch.py on Debian's PyTorch), shared by the benchmarks. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { F, Graph, Program } from '../src/engine/index.js';

export const PY = '/usr/bin/python3';
export const PEER = path.resolve('../shared/peers/nst_torch.py');
export const SHARED_IMAGES = path.resolve('../shared/images');

const argv = process.argv.slice(2);

/** The value after `--name` on the command line, or `dflt` when the option is absent. */
export function arg(name: string, dflt: string): string {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`--${name} needs a value`);
  return v;
}

/** `arg` as a whole number, refused when it is not one or is below `min`. */
export function intArg(name: string, dflt: number, min = 0): number {
  const raw = arg(name, String(dflt));
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(v) || v < min) throw new Error(`--${name} takes a whole number >= ${min}, got '${raw}'`);
  return v;
}

export function flag(name: string): boolean {
  return argv.includes(`--${name}`);
}

/** The arguments that are neither options nor the value of one of the `valued` options. */
export function positionals(valued: readonly string[] = []): string[] {
  return argv.filter((a, i) => !a.startsWith('--') && !(i > 0 && valued.includes(argv[i - 1].replace(/^--/, ''))));
}

/** The sweeps' configurations: positionals (or `dflt`), each `form`, a comma list of whole numbers. */
export function configArgs(dflt: readonly string[], form: string): number[][] {
  const given = positionals();
  return (given.length ? given : dflt).map((raw) => {
    const v = raw.split(',').map(Number);
    if (v.length !== form.split(',').length || v.some((x) => !Number.isInteger(x) || x < 0)) throw new Error(`a configuration is ${form} (whole numbers), got '${raw}'`);
    return v;
  });
}

export function torchAvailable(): boolean {
  if (!fs.existsSync(PEER)) return false;
  return spawnSync(PY, ['-c', 'import torch, PIL'], { stdio: 'ignore' }).status === 0;
}

export interface PeerReport {
  size: [number, number];
  evaluations: number;
  seconds_per_evaluation: number;
  seconds: number;
  final: { total: number; content: number; style: number; tv: number };
  peakRssMB?: number;
}

/** Runs the peer; with `measureMemory`, under /usr/bin/time to read its peak RSS. */
export function runPeer(args: string[], measureMemory = false): PeerReport {
  const cmd = measureMemory ? '/usr/bin/time' : PY;
  const full = measureMemory ? ['-f', 'PEAK_RSS_KB %M', PY, PEER, ...args] : [PEER, ...args];
  const r = spawnSync(cmd, full, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`nst_torch.py failed: ${r.stderr}`);
  const rep = JSON.parse(r.stdout.trim().split('\n').pop()!) as PeerReport;
  const m = /PEAK_RSS_KB (\d+)/.exec(r.stderr);
  if (m) rep.peakRssMB = Number(m[1]) / 1024;
  return rep;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Median CPU milliseconds (user + system) of `runs` calls after one untimed warm-up. */
export async function cpuMedianMs(run: () => Promise<unknown>, runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const t = process.cpuUsage();
    await run();
    const d = process.cpuUsage(t);
    if (i > 0) times.push((d.user + d.system) / 1000);
  }
  return median(times);
}


/** ORT's rate on a 2048^3 MatMul (GFLOP/s, median of 3 after a warm-up): the practical peak convolutions are measured against. */
export async function matmulPeak(threads?: number): Promise<number> {
  const n = 2048;
  const g = new Graph();
  const a = g.input('a', [n, n]);
  const b = g.input('b', [n, n]);
  const p = await Program.create({ c: F.matmul(a, b) }, { threads });
  const da = new Float32Array(n * n).fill(0.5);
  const times: number[] = [];
  for (let i = 0; i < 4; i++) {
    const t = performance.now();
    await p.run({ a: da, b: da });
    times.push(performance.now() - t);
  }
  await p.release();
  return (2 * n ** 3) / (median(times.slice(1)) / 1000) / 1e9;
}
