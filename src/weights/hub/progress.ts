/** Text for download progress, for the CLI to redraw on one line. */
import type { DownloadProgress } from './download.js';

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[i]}`;
}

export function formatDuration(s: number): string {
  const t = Math.round(s);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}:${String(t % 60).padStart(2, '0')}`;
  return `${Math.floor(t / 3600)}:${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}:${String(t % 60).padStart(2, '0')}`;
}

/** e.g. `[#########...........]  45%  248 MB / 575 MB  12.1 MB/s  ETA 0:27` */
export function formatProgress(p: DownloadProgress, width = 24): string {
  const rate = `${formatBytes(Math.round(p.bytesPerSecond))}/s`;
  if (p.total === null || p.total === 0) return `${formatBytes(p.received)}  ${rate}`;
  const frac = Math.min(1, p.received / p.total);
  const filled = Math.round(frac * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const eta = p.done ? 'done' : p.etaSeconds === null ? 'ETA --' : `ETA ${formatDuration(p.etaSeconds)}`;
  return `${bar} ${String(Math.floor(frac * 100)).padStart(3)}%  ${formatBytes(p.received)} / ${formatBytes(p.total)}  ${rate}  ${eta}`;
}
