/** `ai-art batch run|submit|status|wait|cancel|results` and `ai-art worker` (docs/batch.md). */
import { defineCommand, type OptionsOf, type Positional } from '../command.js';
import { opt, options } from '../schema.js';

const redis = opt.string({ help: 'Redis URL, e.g. redis://host:6379 (default: $AI_ART_REDIS)', metavar: 'URL' });
const ID: Positional = { name: 'ID', help: 'the batch (default: the latest submitted)', optional: true };
const JOBFILE: Positional = { name: 'JOBFILE', help: 'a job file, JSON or YAML (docs/batch.md)' };

export const batchRunCommand = defineCommand({
  name: 'batch run',
  summary: 'Run a job file on this machine, without Redis; a re-run skips what exists.',
  usage: 'ai-art batch run JOBFILE [--workers N] [--threads N]',
  description: 'N worker processes, the cores divided between them. Ctrl-C stops the running jobs without writing them (exit 130); the same command resumes. Writes OUT/index.html.',
  positionals: [JOBFILE],
  options: options({
    workers: opt.int({ default: 1, minimum: 1, help: 'worker processes', aliases: ['w'] }),
    threads: opt.int({ minimum: 1, help: 'compute threads per worker (default: the cores divided between the workers)' }),
  }),
  cliFlags: ['json', 'quiet'],
});

export const batchSubmitCommand = defineCommand({
  name: 'batch submit',
  summary: 'Queue a job file on Redis for `ai-art worker` processes; prints the batch id.',
  usage: 'ai-art batch submit JOBFILE --redis URL',
  description: 'Everything is checked before anything is queued. Submitting the same job file again adds nothing.',
  positionals: [JOBFILE],
  options: options({
    redis,
    attempts: opt.int({ minimum: 1, help: "tries per job (default: the job file's attempts, else 3)" }),
    backoff: opt.int({ default: 2000, minimum: 0, help: 'first retry delay in ms, doubling each retry' }),
  }),
  cliFlags: ['json', 'quiet'],
});

export const batchStatusCommand = defineCommand({
  name: 'batch status',
  summary: "A batch's jobs by state, and its failures with their errors.",
  usage: 'ai-art batch status [ID] --redis URL',
  positionals: [ID],
  options: options({ redis }),
  cliFlags: ['json'],
});

export const batchWaitCommand = defineCommand({
  name: 'batch wait',
  summary: 'Wait for a batch to finish, then write OUT/index.html; exit 1 if a job failed, 3 on timeout.',
  usage: 'ai-art batch wait [ID] --redis URL [--timeout S]',
  positionals: [ID],
  options: options({ redis, timeout: opt.number({ exclusiveMinimum: 0, help: 'give up after this many seconds' }) }),
  cliFlags: ['json', 'quiet'],
});

export const batchCancelCommand = defineCommand({
  name: 'batch cancel',
  summary: "Remove a batch's queued jobs; running ones finish.",
  usage: 'ai-art batch cancel [ID] --redis URL',
  positionals: [ID],
  options: options({ redis }),
  cliFlags: ['json'],
});

export const batchResultsCommand = defineCommand({
  name: 'batch results',
  summary: 'Write OUT/index.html from the queue and list each job with its state and error.',
  usage: 'ai-art batch results [ID] --redis URL [--logs]',
  positionals: [ID],
  options: options({ redis, logs: opt.bool({ help: "print each job's log lines too" }) }),
  cliFlags: ['json'],
});

export const workerCommand = defineCommand({
  name: 'worker',
  summary: 'Run queued batch jobs until stopped (Ctrl-C finishes the running jobs first).',
  usage: 'ai-art worker --redis URL [--concurrency N] [--threads N]',
  description: 'Each job runs in a sandboxed child process. A worker that dies leaves its jobs to be run again elsewhere once their locks expire.',
  options: options({
    redis,
    concurrency: opt.int({ default: 1, minimum: 1, help: 'jobs at a time, each in its own process', aliases: ['c'] }),
    threads: opt.int({ minimum: 1, help: 'compute threads per job (default: the cores divided by --concurrency)' }),
    lockDuration: opt.int({ default: 30000, minimum: 100, help: "ms a job's lock lives unrenewed; a dead worker's job runs again after it", advanced: true }),
    stalledInterval: opt.int({ default: 30000, minimum: 100, help: 'ms between checks for stalled jobs', advanced: true }),
  }),
  cliFlags: ['quiet'],
});

export const BATCH_COMMANDS = [batchRunCommand, batchSubmitCommand, batchStatusCommand, batchWaitCommand, batchCancelCommand, batchResultsCommand] as const;
export type BatchRunOptions = OptionsOf<typeof batchRunCommand>;
export type WorkerOptions = OptionsOf<typeof workerCommand>;
