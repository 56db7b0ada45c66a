/** The PyTorch peer (../shared/peers/nst_torch.py on Debian's PyTorch), shared by the benchmarks. */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const PY = '/usr/bin/python3';
export const PEER = path.resolve('../shared/peers/nst_torch.py');
export const SHARED_IMAGES = path.resolve('../shared/images');

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

export { execFileSync };
