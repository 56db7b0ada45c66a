/**
 * `ai-art batch run|submit|status|wait|cancel|results` and `ai-art worker`: a thin shell over
 * src/batch (job file, local pool, BullMQ queue and worker, results page).
 */
import fs from 'node:fs';
import { readJobFile, JobFileError } from '../batch/jobfile.js';
import { expandJobs, isDone, jobLabel, type Expanded } from '../batch/expand.js';
import { runLocal } from '../batch/local.js';
import { writeResults, type JobOutcome } from '../batch/results.js';
import { batchStatus, cancelBatch, checkRedis, jobLogs, submitBatch, waitBatch, RedisUnavailableError, type BatchStatus } from '../batch/queue.js';
import { startWorker } from '../batch/worker.js';
import {
  batchCancelCommand,
  batchResultsCommand,
  batchRunCommand,
  batchStatusCommand,
  batchSubmitCommand,
  batchWaitCommand,
  workerCommand as workerSchema,
} from '../options/commands/batch.js';
import { UsageError } from '../options/errors.js';
import { parseCli } from './parse.js';
import { progressBar } from './progress.js';

const SUB = {
  run: batchRunCommand,
  submit: batchSubmitCommand,
  status: batchStatusCommand,
  wait: batchWaitCommand,
  cancel: batchCancelCommand,
  results: batchResultsCommand,
};

async function loadJobs(file: string): Promise<{ jf: ReturnType<typeof readJobFile>; ex: Expanded }> {
  const jf = readJobFile(file);
  try {
    return { jf, ex: await expandJobs(jf) };
  } catch (e) {
    if (e instanceof JobFileError) throw new JobFileError(`${file}: ${e.message}`);
    throw e;
  }
}

function needRedis(given: string | undefined, usage: string): string {
  const url = given ?? process.env.AI_ART_REDIS;
  if (!url) throw new UsageError(`missing --redis URL (or AI_ART_REDIS)\nusage: ${usage}`);
  return url;
}

function oneArg(positionals: string[], usage: string, required: boolean): string | undefined {
  if (positionals.length > 1 || (required && positionals.length === 0)) throw new UsageError(`usage: ${usage}`);
  return positionals[0];
}

function outcomesFrom(s: BatchStatus): JobOutcome[] {
  return s.jobs.map((j) => ({
    spec: j.spec,
    state: j.state === 'completed' && fs.existsSync(j.spec.output) ? 'done' : j.state === 'failed' ? 'failed' : 'pending',
    ...(j.error ? { error: j.error } : {}),
  }));
}

function printStatus(s: BatchStatus, json: boolean, index: string | undefined): void {
  if (json) {
    const jobs = s.jobs.map((j) => ({ id: j.spec.id, output: j.spec.output, state: j.state, attempts: j.attempts, ...(j.error ? { error: j.error } : {}) }));
    process.stdout.write(`${JSON.stringify({ id: s.id, counts: s.counts, finished: s.finished, cancelled: s.cancelled, ...(index ? { index } : {}), jobs })}\n`);
    return;
  }
  const counts = Object.entries(s.counts).map(([k, v]) => `${v} ${k}`).join(', ');
  process.stdout.write(`batch ${s.id}: ${s.jobs.length} jobs: ${counts}${s.cancelled ? ' (cancelled)' : ''}\n`);
  for (const j of s.jobs) if (j.state === 'failed') process.stdout.write(`  failed ${jobLabel(j.spec)}: ${j.error}\n`);
  if (index) process.stdout.write(`results: ${index}\n`);
}

async function run(argv: string[]): Promise<number> {
  const args = parseCli(batchRunCommand, argv);
  if (!args) return 0;
  const file = oneArg(args.positionals, batchRunCommand.usage, true)!;
  const { jf, ex } = await loadJobs(file);
  const quiet = args.quiet || args.json;
  const bar = progressBar(ex.jobs.length, 'batch', { quiet });
  const controller = new AbortController();
  const onSigint = () => {
    if (!controller.signal.aborted) bar.log('interrupted: stopping the workers; run again to resume');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  // Outputs already there count as finished from the start (a resumed run).
  const skipped = ex.jobs.filter(isDone).length;
  let finished = 0;
  const errors = new Map<string, string>();
  try {
    const summary = await runLocal(ex.jobs, {
      workers: args.options.workers,
      threads: args.options.threads,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type !== 'done' && e.type !== 'failed') return;
        finished++;
        if (e.type === 'failed') {
          errors.set(e.job.id, e.error);
          bar.log(`failed ${jobLabel(e.job)}: ${e.error}`);
        }
        bar.update(finished + skipped, { failed: String(errors.size) });
      },
    });
    const index = await writeResults({
      title: `batch ${jf.file}`,
      output: jf.output,
      layout: ex.layout,
      jobs: ex.jobs.map((spec) => {
        const error = errors.get(spec.id);
        return { spec, state: error ? 'failed' : isDone(spec) ? 'done' : 'pending', ...(error ? { error } : {}) };
      }),
    });
    bar.done(
      quiet
        ? undefined
        : `${summary.done.length} done, ${summary.skipped} already there, ${summary.failed.length} failed${summary.interrupted ? ', interrupted' : ''} in ${summary.seconds.toFixed(1)} s; results: ${index}`,
    );
    if (args.json) {
      const failed = summary.failed.map((f) => ({ id: f.job.id, output: f.job.output, error: f.error }));
      const outputs = ex.jobs.filter((j) => j.kind !== 'chunk').map((j) => j.output);
      const { total, done, interrupted, seconds } = summary;
      process.stdout.write(`${JSON.stringify({ total, done: done.length, skipped: summary.skipped, failed, interrupted, seconds, index, outputs })}\n`);
    }
    return summary.interrupted ? 130 : summary.failed.length ? 1 : 0;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

async function submit(argv: string[]): Promise<number> {
  const args = parseCli(batchSubmitCommand, argv);
  if (!args) return 0;
  const file = oneArg(args.positionals, batchSubmitCommand.usage, true)!;
  const url = needRedis(args.options.redis, batchSubmitCommand.usage);
  const { jf, ex } = await loadJobs(file);
  const o = args.options;
  const m = await submitBatch(url, ex, { output: jf.output, jobFile: jf.file }, { attempts: o.attempts ?? jf.attempts, backoffMs: o.backoff });
  if (args.json) process.stdout.write(`${JSON.stringify({ id: m.id, jobs: m.jobs.length, output: m.output })}\n`);
  else process.stdout.write(`${m.id}\n`);
  if (!args.quiet && !args.json) process.stderr.write(`submitted batch ${m.id}: ${m.jobs.length} jobs into ${m.output}\n`);
  return 0;
}

async function status(argv: string[]): Promise<number> {
  const args = parseCli(batchStatusCommand, argv);
  if (!args) return 0;
  const id = oneArg(args.positionals, batchStatusCommand.usage, false);
  printStatus(await batchStatus(needRedis(args.options.redis, batchStatusCommand.usage), id), args.json, undefined);
  return 0;
}

async function cancel(argv: string[]): Promise<number> {
  const args = parseCli(batchCancelCommand, argv);
  if (!args) return 0;
  const id = oneArg(args.positionals, batchCancelCommand.usage, false);
  const r = await cancelBatch(needRedis(args.options.redis, batchCancelCommand.usage), id);
  if (args.json) process.stdout.write(`${JSON.stringify(r)}\n`);
  else process.stdout.write(`batch ${r.id}: cancelled, ${r.removed} queued job(s) removed\n`);
  return 0;
}

async function wait(argv: string[]): Promise<number> {
  const args = parseCli(batchWaitCommand, argv);
  if (!args) return 0;
  const id = oneArg(args.positionals, batchWaitCommand.usage, false);
  const url = needRedis(args.options.redis, batchWaitCommand.usage);
  const quiet = args.quiet || args.json;
  const controller = new AbortController();
  const timeout = args.options.timeout;
  const timer = timeout ? setTimeout(() => controller.abort(), timeout * 1000) : undefined;
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  let bar: ReturnType<typeof progressBar> | undefined;
  try {
    const s = await waitBatch(url, id, {
      signal: controller.signal,
      onStatus: (st) => {
        bar ??= progressBar(st.jobs.length, `batch ${st.id}`, { quiet });
        bar.update((st.counts.completed ?? 0) + (st.counts.failed ?? 0), { failed: String(st.counts.failed ?? 0), active: String(st.counts.active ?? 0) });
      },
    });
    bar?.done();
    const index = await writeResults({ title: `batch ${s.id}`, output: s.manifest.output, layout: s.manifest.layout, jobs: outcomesFrom(s) });
    printStatus(s, args.json, index);
    if (!s.finished) return 3;
    return s.counts.failed ? 1 : 0;
  } finally {
    if (timer) clearTimeout(timer);
    process.removeListener('SIGINT', onSigint);
  }
}

async function results(argv: string[]): Promise<number> {
  const args = parseCli(batchResultsCommand, argv);
  if (!args) return 0;
  const id = oneArg(args.positionals, batchResultsCommand.usage, false);
  const url = needRedis(args.options.redis, batchResultsCommand.usage);
  const s = await batchStatus(url, id);
  const index = await writeResults({ title: `batch ${s.id}`, output: s.manifest.output, layout: s.manifest.layout, jobs: outcomesFrom(s) });
  printStatus(s, args.json, index);
  if (args.options.logs && !args.json) {
    for (const j of s.jobs) {
      process.stdout.write(`${j.spec.id} ${jobLabel(j.spec)} [${j.state}]\n`);
      for (const line of await jobLogs(url, s.id, j.spec)) process.stdout.write(`    ${line}\n`);
    }
  }
  return 0;
}

const RUN: Record<keyof typeof SUB, (argv: string[]) => Promise<number>> = { run, submit, status, wait, cancel, results };

export async function batchCommand(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || !(name in SUB)) {
    const rows = Object.entries(SUB).map(([k, c]) => `  ${k.padEnd(9)}${c.summary}`).join('\n');
    const text = `usage: ai-art batch run|submit|status|wait|cancel|results ...   (ai-art batch SUBCOMMAND --help)\n\n${rows}\n\nThe job file: docs/batch.md\n`;
    if (name && name !== '--help' && name !== '-h') throw new UsageError(`unknown subcommand '${name}'\n${text}`);
    process.stdout.write(text);
    return name ? 0 : 2;
  }
  try {
    return await RUN[name as keyof typeof SUB](rest);
  } catch (e) {
    if (e instanceof JobFileError || e instanceof RedisUnavailableError) throw new UsageError(e.message);
    throw e;
  }
}

export async function workerCommand(argv: string[]): Promise<number> {
  const args = parseCli(workerSchema, argv);
  if (!args) return 0;
  const o = args.options;
  const url = needRedis(o.redis, workerSchema.usage);
  const say = (line: string) => {
    if (!args.quiet) process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  };
  try {
    await checkRedis(url);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const w = await startWorker({
    redis: url,
    concurrency: o.concurrency,
    threads: o.threads,
    lockDuration: o.lockDuration,
    stalledInterval: o.stalledInterval,
    onEvent: (e) => {
      if (e.type === 'active') say(`start ${e.label}`);
      else if (e.type === 'completed') say(`done ${e.label} (${e.result.written ? 'wrote' : 'exists'} ${e.result.output}, ${e.result.seconds.toFixed(2)} s)`);
      else if (e.type === 'failed') say(`${e.final ? 'failed' : 'will retry'} ${e.label}: ${e.error}`);
      else say(`error: ${e.error}`);
    },
  });
  say(`worker ${process.pid} ready on ${url}`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      say('stopping: finishing the running jobs');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await w.close();
  return 0;
}
