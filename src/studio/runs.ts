/**
 * Training runs as the dashboard shows them: folders under the configured roots that hold a
 * loss_log.jsonl (cyclegan/pix2pix train: [checkpoints_dir]/[name]) or checkpoints/loss.jsonl
 * (fast train: its --save-model-dir), both read into one shape, with the studio job that
 * trains the run when there is one (the last root is the studio's own runs folder).
 */
import fs from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { runProgress, type RunPoint, type RunProgress } from './run_progress.js';
import type { JobRecord, JobStatus, RunKind, RunStatus, RunSummary } from './types.js';

export type { RunKind, RunPoint, RunProgress, RunStatus, RunSummary };

export const RUN_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;
const GAN_META = new Set(['epoch', 'iters', 'total_iters', 'progress', 't_comp', 't_data', 'lr', 'time']);

function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}

function timeOf(v: unknown): number | undefined {
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isFinite(t) ? t : undefined;
}

/** One line of either log. GAN `progress` is epoch + images/dataset (1 at the start of epoch 1). */
export function parsePoint(o: Record<string, unknown>, kind: RunKind, i: number): RunPoint {
  const time = timeOf(o.time);
  if (kind === 'fast') {
    const epoch = num(o.epoch);
    const p: RunPoint = {
      x: epoch - 1 + num(o.count) / Math.max(1, num(o.dataset)),
      epoch,
      step: num(o.step),
      losses: { content: num(o.content), style: num(o.style), total: num(o.total) },
    };
    if (typeof o.steps === 'number') p.steps = o.steps;
    if (time !== undefined) p.time = time;
    return p;
  }
  const losses: Record<string, number> = {};
  for (const [k, v] of Object.entries(o)) if (!GAN_META.has(k)) losses[k] = num(v);
  const p: RunPoint = {
    x: o.progress !== undefined ? num(o.progress) - 1 : i,
    epoch: num(o.epoch),
    losses,
    secondsPerImage: num(o.t_comp) + num(o.t_data),
  };
  if (time !== undefined) p.time = time;
  return p;
}

/** Where a run folder keeps its log, and whose format it is. */
export function logOf(dir: string): { file: string; kind: RunKind } | null {
  const gan = path.join(dir, 'loss_log.jsonl');
  if (fs.existsSync(gan)) return { file: gan, kind: 'gan' };
  const fast = path.join(dir, 'checkpoints', 'loss.jsonl');
  if (fs.existsSync(fast)) return { file: fast, kind: 'fast' };
  return null;
}

export async function readRunLog(file: string, kind: RunKind): Promise<RunPoint[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const out: RunPoint[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(parsePoint(JSON.parse(line) as Record<string, unknown>, kind, out.length));
    } catch {
      // a line being written
    }
  }
  return out;
}

/** The GAN run's recorded options (train_opt.json), or null. */
export async function runOptions(dir: string): Promise<Record<string, unknown> | null> {
  try {
    return JSON.parse(await readFile(path.join(dir, 'train_opt.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** Where a run's sample pictures are: GAN web/images, fast train its checkpoint folder. */
export function imagesDir(dir: string, kind: RunKind): string {
  return kind === 'gan' ? path.join(dir, 'web', 'images') : path.join(dir, 'checkpoints');
}

const JOB_STATUS: Record<JobStatus, RunStatus> = {
  queued: 'queued',
  running: 'training',
  done: 'finished',
  stopped: 'stopped',
  cancelled: 'stopped',
  failed: 'failed',
};

/**
 * A run's status: its studio job's when it has one; for CLI runs, training while the log
 * grows (written within a minute, or three of its usual spacings), finished when the
 * progress reached the end, stopped otherwise.
 */
export function runStatus(
  job: JobRecord | undefined,
  progress: RunProgress | null,
  updated: number,
  now = Date.now(),
): RunStatus {
  if (job) return JOB_STATUS[job.status];
  if (progress && progress.total !== null && progress.done >= progress.total - 1e-9) return 'finished';
  const spacing = progress?.rate ? 1000 / progress.rate : 0;
  return now - updated < Math.max(60000, 3 * spacing) ? 'training' : 'stopped';
}

export interface RunInfo {
  dir: string;
  kind: RunKind;
  log: string | null;
}

/** A run's summary from its folder (and job); the ETA only while it trains. */
export async function summarize(
  root: number,
  name: string,
  run: RunInfo,
  job: JobRecord | undefined,
): Promise<{ summary: RunSummary; points: RunPoint[] }> {
  const points = run.log ? await readRunLog(run.log, run.kind) : [];
  const opt = run.kind === 'gan' ? await runOptions(run.dir) : null;
  const lastEpoch = opt ? num(opt.n_epochs) + num(opt.n_epochs_decay) : NaN;
  const progress = runProgress(points, Number.isFinite(lastEpoch) ? { lastEpoch } : {});
  const updated = run.log ? (await stat(run.log)).mtimeMs : (job?.created ?? 0);
  const status = runStatus(job, progress, updated);
  if (progress && status !== 'training') progress.secondsLeft = null;
  const summary: RunSummary = {
    root,
    name,
    kind: run.kind,
    folder: run.dir,
    entries: points.length,
    last: points.at(-1) ?? null,
    updated,
    status,
    progress,
    job: job ? { id: job.id, kind: job.kind, status: job.status } : null,
    canStop: status === 'queued' || (status === 'training' && !!job),
    canResume: !!job && (status === 'stopped' || status === 'failed'),
  };
  return { summary, points };
}

/** Folder names directly under a root that look like runs (or are being started by a job). */
export async function runNames(root: string): Promise<string[]> {
  return (await readdir(root).catch(() => [] as string[])).filter((n) => RUN_NAME.test(n)).sort();
}
