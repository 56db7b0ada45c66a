/** Batch jobs: a job file, a local pool, and BullMQ on Redis (docs/batch.md). */
export { readJobFile, checkJobFile, JobFileError, type JobFile, type Task } from './jobfile.js';
export { expandJobs, isDone, jobLabel, type Expanded, type JobSpec, type TaskLayout } from './expand.js';
export { runJob, JobAbortedError, type JobContext, type JobResult } from './execute.js';
export { runLocal, type LocalOptions, type LocalEvent, type LocalSummary } from './local.js';
export { submitBatch, batchStatus, waitBatch, cancelBatch, jobLogs, checkRedis, RedisUnavailableError, type BatchManifest, type BatchStatus } from './queue.js';
export { startWorker, type WorkerOptions, type WorkerEvent, type RunningWorker } from './worker.js';
export { writeResults, renderResults, type JobOutcome } from './results.js';
