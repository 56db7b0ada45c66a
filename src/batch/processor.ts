/**
 * BullMQ's sandboxed processor: runs in a child process of `ai-art worker`, so the CPU-heavy
 * job never blocks the event loop that renews the job's lock in the parent.
 */
import type { SandboxedJob } from 'bullmq';
import type { Redis } from 'ioredis';
import { runJob, type JobResult } from './execute.js';
import { isCancelled, redisClient, type QueuedJob } from './queue.js';
import { UnrecoverableError } from 'bullmq';

// The parent gone (SIGKILL, crash): stop at once rather than finish a job whose lock nobody
// renews and that another worker is about to run again. The exit hook of save.ts removes a
// half-written temp file.
process.on('disconnect', () => process.exit(1));

let redis: Redis | undefined;
const threads = Number(process.env.AI_ART_THREADS) || undefined;

export default async function processor(job: SandboxedJob<QueuedJob, JobResult>, _token?: string, signal?: AbortSignal): Promise<JobResult> {
  const url = process.env.AI_ART_REDIS_URL;
  if (url) {
    redis ??= redisClient(url);
    if (await isCancelled(redis, job.data.batch)) throw new UnrecoverableError(`batch ${job.data.batch} was cancelled`);
  }
  const log = (line: string) => void job.log(line);
  log(`attempt ${job.attemptsMade + 1} on pid ${process.pid} with ${threads ?? 'all'} threads`);
  return runJob(job.data.spec, { threads, signal, log });
}
