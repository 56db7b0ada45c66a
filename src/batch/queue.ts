/**
 * Batches on BullMQ. One queue serves every batch; a batch is a manifest in Redis (its jobs, its
 * output folder, its grid layout) plus one BullMQ job per output, with the output's hash as the
 * job id, so submitting the same batch twice adds nothing.
 *
 * Fairness between batches, independent of how fast each runs: job k of a batch gets priority
 * level + k, where level is the priority of the latest job any worker started (kept in Redis by
 * the workers). Jobs at the same priority run in submission order, so every active batch gets one
 * job per priority step: round-robin, and a batch submitted behind a long one starts at once
 * instead of after it. BullMQ priorities stop at 2^21 - 1: past about two million jobs on one
 * Redis the level must be reset (`FLUSH` of the key with an empty queue).
 */
import { FlowProducer, Queue, type Job, type JobState } from 'bullmq';
import { Redis } from 'ioredis';
import { shortHash, type Expanded, type JobSpec } from './expand.js';
import type { JobResult } from './execute.js';

export const QUEUE_NAME = 'ai-art';
export const MAX_PRIORITY = 2_097_151;
const KEY = {
  batches: 'ai-art:batches',
  batch: (id: string) => `ai-art:batch:${id}`,
  cancelled: (id: string) => `ai-art:batch:${id}:cancelled`,
  level: 'ai-art:level',
};

/** What a queued job carries: the spec, and which batch it belongs to. */
export interface QueuedJob {
  batch: string;
  spec: JobSpec;
}

export interface BatchManifest extends Expanded {
  id: string;
  output: string;
  jobFile: string;
  attempts: number;
  submitted: string;
}

export interface RetryOptions {
  attempts: number;
  /** First retry delay in ms; doubles each time (BullMQ's exponential backoff). Default 2000. */
  backoffMs?: number;
}

export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

/** Connection options for every BullMQ object (workers need maxRetriesPerRequest null). */
export function connection(url: string): { url: string; maxRetriesPerRequest: null } {
  return { url, maxRetriesPerRequest: null };
}

/** Fails fast with a clear message when nothing answers at `url`. */
export async function checkRedis(url: string, timeoutMs = 5000): Promise<void> {
  const r = new Redis(url, { lazyConnect: true, retryStrategy: () => null, connectTimeout: timeoutMs, maxRetriesPerRequest: 0 });
  r.on('error', () => undefined);
  try {
    await r.connect();
    await r.ping();
  } catch (e) {
    throw new RedisUnavailableError(`cannot reach Redis at ${url}: ${(e as Error).message}`);
  } finally {
    r.disconnect();
  }
}

/** A client for the manifests and counters beside the queue. */
export function redisClient(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 3 });
}

export function openQueue(url: string): Queue<QueuedJob, JobResult> {
  return new Queue<QueuedJob, JobResult>(QUEUE_NAME, { connection: connection(url) });
}

/** A batch's id: the hash of its job ids and output folder, so resubmitting is idempotent. */
export function batchId(ex: Expanded, output: string): string {
  return shortHash({ output, jobs: ex.jobs.map((j) => j.id) }, 10);
}

export async function submitBatch(
  url: string,
  ex: Expanded,
  meta: { output: string; jobFile: string },
  retry: RetryOptions,
): Promise<BatchManifest> {
  await checkRedis(url);
  const id = batchId(ex, meta.output);
  const manifest: BatchManifest = { ...ex, ...meta, id, attempts: retry.attempts, submitted: new Date().toISOString() };
  const r = redisClient(url);
  const q = openQueue(url);
  const flows = new FlowProducer({ connection: connection(url) });
  try {
    await r.set(KEY.batch(id), JSON.stringify(manifest));
    await r.zadd(KEY.batches, Date.now(), id);
    await r.del(KEY.cancelled(id));
    const level = Number((await r.get(KEY.level)) ?? 0);
    const node = (spec: JobSpec, k: number) => ({
      name: spec.kind,
      queueName: QUEUE_NAME,
      data: { batch: id, spec },
      opts: {
        jobId: jobKey(id, spec),
        priority: Math.min(MAX_PRIORITY, level + 1 + k),
        attempts: retry.attempts,
        backoff: { type: 'exponential', delay: retry.backoffMs ?? 2000 },
        // A chunk that fails for good fails its video's assembly instead of leaving it waiting.
        failParentOnFailure: true,
      },
    });
    const index = new Map(ex.jobs.map((j, k) => [j.id, k]));
    const byId = new Map(ex.jobs.map((j) => [j.id, j]));
    const inFlow = new Set(ex.jobs.flatMap((j) => j.after ?? []));
    // Plain jobs in one round trip; a video as a BullMQ flow: its assembly the parent of its
    // chunks, run when they have all completed.
    await q.addBulk(ex.jobs.filter((j) => !j.after && !inFlow.has(j.id)).map((j) => node(j, index.get(j.id)!)));
    for (const parent of ex.jobs.filter((j) => j.after)) {
      await flows.add({ ...node(parent, index.get(parent.id)!), children: parent.after!.map((c) => node(byId.get(c)!, index.get(c)!)) });
    }
  } finally {
    await q.close();
    await flows.close();
    r.disconnect();
  }
  return manifest;
}

/** BullMQ job ids may not contain ':'. */
export function jobKey(batch: string, spec: JobSpec): string {
  return `${batch}-${spec.id}`;
}

/** Workers call this when a job starts: the fairness level only goes up. */
export async function raiseLevel(r: Redis, priority: number): Promise<void> {
  await r.eval(
    "local v = tonumber(redis.call('get', KEYS[1]) or '0') if v < tonumber(ARGV[1]) then redis.call('set', KEYS[1], ARGV[1]) end return 1",
    1,
    KEY.level,
    String(priority),
  );
}

export async function isCancelled(r: Redis, batch: string): Promise<boolean> {
  return (await r.exists(KEY.cancelled(batch))) === 1;
}

export async function readManifest(r: Redis, id: string): Promise<BatchManifest> {
  const text = await r.get(KEY.batch(id));
  if (!text) {
    const known = await r.zrange(KEY.batches, -5, -1);
    throw new Error(`no batch '${id}' on this Redis${known.length ? ` (latest: ${known.reverse().join(', ')})` : ''}`);
  }
  return JSON.parse(text) as BatchManifest;
}

/** The latest batch submitted, for commands given no id. */
export async function latestBatch(r: Redis): Promise<string> {
  const [id] = await r.zrange(KEY.batches, -1, -1);
  if (!id) throw new Error('no batch has been submitted to this Redis');
  return id;
}

export type BatchJobState = JobState | 'unknown';

export interface JobStatus {
  spec: JobSpec;
  state: BatchJobState;
  attempts: number;
  error?: string;
  result?: JobResult;
}

export interface BatchStatus {
  id: string;
  manifest: BatchManifest;
  counts: Record<string, number>;
  jobs: JobStatus[];
  /** Every job completed or failed for good. */
  finished: boolean;
  cancelled: boolean;
}

export async function batchStatus(url: string, id?: string): Promise<BatchStatus> {
  const r = redisClient(url);
  const q = openQueue(url);
  try {
    const bid = id ?? (await latestBatch(r));
    const manifest = await readManifest(r, bid);
    const jobs = await Promise.all(
      manifest.jobs.map(async (spec): Promise<JobStatus> => {
        const job = (await q.getJob(jobKey(bid, spec))) as Job<QueuedJob, JobResult> | undefined;
        if (!job) return { spec, state: 'unknown', attempts: 0 };
        const state = await job.getState();
        return {
          spec,
          state,
          attempts: job.attemptsMade,
          ...(job.failedReason ? { error: job.failedReason } : {}),
          ...(state === 'completed' ? { result: job.returnvalue } : {}),
        };
      }),
    );
    const counts: Record<string, number> = {};
    for (const j of jobs) counts[j.state] = (counts[j.state] ?? 0) + 1;
    const cancelled = await isCancelled(r, bid);
    const finished = jobs.every((j) => j.state === 'completed' || j.state === 'failed' || (cancelled && j.state === 'unknown'));
    return { id: bid, manifest, counts, jobs, finished, cancelled };
  } finally {
    await q.close();
    r.disconnect();
  }
}

/** Polls until every job has completed or failed for good (or the signal stops the wait). */
export async function waitBatch(
  url: string,
  id: string | undefined,
  opts: { pollMs?: number; signal?: AbortSignal; onStatus?: (s: BatchStatus) => void } = {},
): Promise<BatchStatus> {
  for (;;) {
    const s = await batchStatus(url, id);
    opts.onStatus?.(s);
    if (s.finished || opts.signal?.aborted) return s;
    await new Promise((res) => setTimeout(res, opts.pollMs ?? 500));
  }
}

/** Removes the batch's waiting and delayed jobs; running ones see the flag and stop at their start. */
export async function cancelBatch(url: string, id?: string): Promise<{ id: string; removed: number }> {
  const r = redisClient(url);
  const q = openQueue(url);
  try {
    const bid = id ?? (await latestBatch(r));
    const manifest = await readManifest(r, bid);
    await r.set(KEY.cancelled(bid), '1');
    let removed = 0;
    for (const spec of manifest.jobs) {
      const job = await q.getJob(jobKey(bid, spec));
      if (!job) continue;
      const state = await job.getState();
      if (state === 'waiting' || state === 'delayed' || state === 'prioritized' || state === 'waiting-children') {
        await job.remove().then(() => removed++, () => undefined);
      }
    }
    return { id: bid, removed };
  } finally {
    await q.close();
    r.disconnect();
  }
}

/** A job's log lines, as the worker wrote them. */
export async function jobLogs(url: string, batch: string, spec: JobSpec): Promise<string[]> {
  const q = openQueue(url);
  try {
    return (await q.getJobLogs(jobKey(batch, spec))).logs;
  } finally {
    await q.close();
  }
}
