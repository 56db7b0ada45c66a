/**
 * `batch run`: the jobs on this machine, in N child processes (each its own ONNX Runtime with
 * its share of the cores), no Redis. Outputs that exist are skipped, so after an interrupt a
 * re-run resumes where it stopped.
 */
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDone, type JobSpec } from './expand.js';
import type { JobResult } from './execute.js';

export type ToChild = { type: 'run'; job: JobSpec; threads?: number } | { type: 'stop' };
export type FromChild =
  | { type: 'ready' }
  | { type: 'log'; id: string; line: string }
  | { type: 'done'; result: JobResult }
  | { type: 'failed'; id: string; error: string; aborted: boolean };

export interface LocalOptions {
  workers?: number;
  /** Threads per worker; default: the cores divided between the workers. */
  threads?: number;
  signal?: AbortSignal;
  onEvent?: (e: LocalEvent) => void;
}

export type LocalEvent =
  | { type: 'start'; job: JobSpec; worker: number }
  | { type: 'done'; job: JobSpec; result: JobResult }
  | { type: 'failed'; job: JobSpec; error: string }
  | { type: 'log'; job: JobSpec; line: string };

export interface JobFailure {
  job: JobSpec;
  error: string;
}

export interface LocalSummary {
  total: number;
  skipped: number;
  done: JobResult[];
  failed: JobFailure[];
  interrupted: boolean;
  seconds: number;
}

/** A module beside this one, as .ts under tsx and .js when built. */
export function siblingModule(name: string, from: string = import.meta.url): string {
  const self = fileURLToPath(from);
  return path.join(path.dirname(self), `${name}${path.extname(self)}`);
}

/** The loader flags (tsx under source runs) a child needs, without the test runner's own. */
export function childExecArgv(): string[] {
  const out: string[] = [];
  const a = process.execArgv;
  for (let i = 0; i < a.length; i++) {
    if (/^--(import|require|loader|experimental-loader)$/.test(a[i]) && i + 1 < a.length) out.push(a[i], a[++i]);
    else if (/^--(import|require|loader|experimental-loader)=/.test(a[i]) || /^--(experimental|no-warnings|max-old-space)/.test(a[i])) out.push(a[i]);
  }
  return out;
}

export function splitThreads(workers: number, threads?: number): number {
  return threads ?? Math.max(1, Math.floor(os.availableParallelism() / workers));
}

export async function runLocal(jobs: readonly JobSpec[], opts: LocalOptions = {}): Promise<LocalSummary> {
  const t0 = performance.now();
  const pending = jobs.filter((j) => !isDone(j));
  const summary: LocalSummary = { total: jobs.length, skipped: jobs.length - pending.length, done: [], failed: [], interrupted: false, seconds: 0 };
  const nWorkers = Math.max(1, Math.min(opts.workers ?? 1, pending.length));
  const threads = splitThreads(nWorkers, opts.threads);
  const emit = opts.onEvent ?? (() => undefined);
  const byId = new Map(jobs.map((j) => [j.id, j]));
  let stopping = opts.signal?.aborted ?? false;
  const children = new Set<ChildProcess>();

  const onAbort = () => {
    stopping = true;
    summary.interrupted = true;
    for (const c of children) if (c.connected) c.send({ type: 'stop' } satisfies ToChild);
    wakeIdle();
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  // A job waits for the jobs in its `after` (a video's chunks); one whose prerequisite failed fails.
  const finishedOk = new Set(jobs.filter((j) => !pending.includes(j)).map((j) => j.id));
  const failedIds = new Set<string>();
  const idle: (() => void)[] = [];
  let running = 0;
  const fail = (job: JobSpec, error: string) => {
    failedIds.add(job.id);
    summary.failed.push({ job, error });
    emit({ type: 'failed', job, error });
  };
  const take = (): JobSpec | undefined => {
    for (;;) {
      const blocked = pending.find((j) => j.after?.some((a) => failedIds.has(a)));
      if (!blocked) break;
      pending.splice(pending.indexOf(blocked), 1);
      fail(blocked, `not run: ${blocked.after!.filter((a) => failedIds.has(a)).length} job(s) it needs failed`);
    }
    const i = pending.findIndex((j) => (j.after ?? []).every((a) => finishedOk.has(a)));
    return i < 0 ? undefined : pending.splice(i, 1)[0];
  };
  const wakeIdle = () => {
    for (const w of idle.splice(0)) w();
  };

  const startWorker = (index: number): Promise<void> =>
    new Promise((resolve) => {
      const child = fork(siblingModule('local_child'), [], { execArgv: childExecArgv(), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.add(child);
      let current: JobSpec | undefined;
      const next = () => {
        current = stopping ? undefined : take();
        if (!current) {
          // Nothing runnable now, but running jobs may unblock some: wait for them.
          if (!stopping && pending.length && running > 0) {
            idle.push(next);
            return;
          }
          child.disconnect();
          wakeIdle();
          return;
        }
        running++;
        emit({ type: 'start', job: current, worker: index });
        child.send({ type: 'run', job: current, threads } satisfies ToChild);
      };
      const finish = () => {
        running--;
        wakeIdle();
        next();
      };
      child.on('message', (m: FromChild) => {
        if (m.type === 'ready') next();
        else if (m.type === 'log') emit({ type: 'log', job: byId.get(m.id)!, line: m.line });
        else if (m.type === 'done') {
          summary.done.push(m.result);
          finishedOk.add(current!.id);
          emit({ type: 'done', job: current!, result: m.result });
          finish();
        } else if (m.type === 'failed') {
          if (!m.aborted) fail(current!, m.error);
          finish();
        }
      });
      child.on('exit', (code, signal) => {
        children.delete(child);
        if (current && !stopping) {
          // Died mid-job (out of memory, killed): that job fails, the others go on in a new process.
          running--;
          fail(current, `worker process exited (${signal ?? code}) while running this job`);
          wakeIdle();
          if (pending.length) {
            void startWorker(index).then(resolve);
            return;
          }
        }
        resolve();
      });
    });

  try {
    await Promise.all(Array.from({ length: pending.length ? nWorkers : 0 }, (_, i) => startWorker(i)));
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  summary.seconds = (performance.now() - t0) / 1000;
  return summary;
}
