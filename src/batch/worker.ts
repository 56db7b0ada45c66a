/**
 * `ai-art worker`: takes jobs of every batch from the queue and runs each in a sandboxed child
 * process (BullMQ's child pool), `concurrency` at a time, with retries, backoff and stalled-job
 * recovery from BullMQ.
 */
import { Worker, type Job } from 'bullmq';
import { jobLabel } from './expand.js';
import type { JobResult } from './execute.js';
import { splitThreads, childExecArgv, siblingModule } from './local.js';
import { QUEUE_NAME, connection, raiseLevel, redisClient, type QueuedJob } from './queue.js';

export interface WorkerOptions {
  redis: string;
  /** Jobs at a time, each in its own process. Default 1. */
  concurrency?: number;
  /** Compute threads per job; default: the cores divided by concurrency. */
  threads?: number;
  /** How long a job's lock lives without renewal (ms); a dead worker's job runs again after it. BullMQ's default 30000. */
  lockDuration?: number;
  /** How often stalled jobs are looked for (ms). BullMQ's default 30000. */
  stalledInterval?: number;
  /** Times a job may stall before it fails. Default 2. */
  maxStalledCount?: number;
  onEvent?: (e: WorkerEvent) => void;
}

export type WorkerEvent =
  | { type: 'active'; id: string; label: string }
  | { type: 'completed'; id: string; label: string; result: JobResult }
  | { type: 'failed'; id: string; label: string; error: string; final: boolean }
  | { type: 'error'; error: string };

export interface RunningWorker {
  worker: Worker<QueuedJob, JobResult>;
  close(): Promise<void>;
}

export async function startWorker(o: WorkerOptions): Promise<RunningWorker> {
  const concurrency = o.concurrency ?? 1;
  const threads = splitThreads(concurrency, o.threads);
  const emit = o.onEvent ?? (() => undefined);
  const r = redisClient(o.redis);
  r.on('error', () => undefined);
  const worker = new Worker<QueuedJob, JobResult>(QUEUE_NAME, siblingModule('processor'), {
    connection: connection(o.redis),
    concurrency,
    useWorkerThreads: false,
    workerForkOptions: {
      execArgv: childExecArgv(),
      env: { ...process.env, AI_ART_THREADS: String(threads), AI_ART_REDIS_URL: o.redis },
    },
    ...(o.lockDuration ? { lockDuration: o.lockDuration } : {}),
    ...(o.stalledInterval ? { stalledInterval: o.stalledInterval } : {}),
    maxStalledCount: o.maxStalledCount ?? 2,
  });
  const label = (job: Job<QueuedJob, JobResult>) => `${job.id} ${jobLabel(job.data.spec)}`;
  worker.on('active', (job) => {
    emit({ type: 'active', id: job.id ?? '', label: label(job) });
    if (job.opts.priority) raiseLevel(r, job.opts.priority).catch(() => undefined);
  });
  worker.on('completed', (job, result) => emit({ type: 'completed', id: job.id ?? '', label: label(job), result }));
  worker.on('failed', (job, err) => {
    if (job) emit({ type: 'failed', id: job.id ?? '', label: label(job), error: err.message, final: job.attemptsMade >= (job.opts.attempts ?? 1) });
  });
  worker.on('error', (err) => emit({ type: 'error', error: err.message }));
  await worker.waitUntilReady();
  return {
    worker,
    async close() {
      await worker.close();
      r.disconnect();
    },
  };
}
