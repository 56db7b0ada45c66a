/**
 * `ai-art batch run|submit|status|wait|cancel|results` and `ai-art worker`: a thin shell over
 * src/batch (job file, local pool, BullMQ queue and worker, results page).
 */
import fs from 'node:fs';
import { readJobFile, JobFileError } from '../batch/jobfile.js';
import { expandJobs, isDone, jobLabel, type Expanded } from '../batch/expand.js';
import { runLocal } from '../batch/local.js';
import { writeResults, type JobOutcome } from '../batch/results.js';
import { batchStatus, cancelBatch, submitBatch, waitBatch, RedisUnavailableError, type BatchStatus } from '../batch/queue.js';
import { startWorker } from '../batch/worker.js';
import { Opts, UsageError, helpText, parseArgs, type OptSpec } from './args.js';
import { progressBar } from './progress.js';

const COMMON: OptSpec[] = [
  { name: 'json', type: 'boolean', help: 'one JSON line for scripts' },
  { name: 'quiet', aliases: ['q'], type: 'boolean', help: 'no progress' },
  { name: 'help', aliases: ['h'], type: 'boolean', help: 'show this help' },
];
const REDIS: OptSpec = { name: 'redis', type: 'string', help: 'Redis URL, e.g. redis://host:6379', metavar: 'URL' };

const SUB: Record<string, { usage: string; help: string; options: OptSpec[] }> = {
  run: {
    usage: 'ai-art batch run JOBFILE [--workers N] [--threads N]',
    help: 'run a job file on this machine (no Redis); a re-run skips what exists',
    options: [
      { name: 'workers', aliases: ['w'], type: 'int', help: 'worker processes', default: 1 },
      { name: 'threads', type: 'int', help: 'compute threads per worker (default: the cores divided between workers)' },
      ...COMMON,
    ],
  },
  submit: {
    usage: 'ai-art batch submit JOBFILE --redis URL',
    help: 'queue a job file on Redis for `ai-art worker` processes; prints the batch id',
    options: [
      REDIS,
      { name: 'attempts', type: 'int', help: "tries per job (default: the job file's attempts, else 3)" },
      { name: 'backoff', type: 'int', help: 'first retry delay in ms, doubling each retry', default: 2000 },
      ...COMMON,
    ],
  },
  status: { usage: 'ai-art batch status [ID] --redis URL', help: "a batch's job counts and failures (default: the latest batch)", options: [REDIS, ...COMMON] },
  wait: {
    usage: 'ai-art batch wait [ID] --redis URL',
    help: 'wait for a batch to finish, then write OUT/index.html; exit 1 if any job failed',
    options: [REDIS, { name: 'timeout', type: 'number', help: 'give up after this many seconds (exit 3)' }, ...COMMON],
  },
  cancel: { usage: 'ai-art batch cancel [ID] --redis URL', help: "remove a batch's queued jobs; running ones finish", options: [REDIS, ...COMMON] },
  results: {
    usage: 'ai-art batch results [ID] --redis URL',
    help: 'write OUT/index.html from the queue and list each job with its error',
    options: [REDIS, { name: 'logs', type: 'boolean', help: "print each job's log lines too" }, ...COMMON],
  },
};

const WORKER_OPTIONS: OptSpec[] = [
  REDIS,
  { name: 'concurrency', aliases: ['c'], type: 'int', help: 'jobs at a time, each in its own process', default: 1 },
  { name: 'threads', type: 'int', help: 'compute threads per job (default: the cores divided by concurrency)' },
  { name: 'lock-duration', type: 'int', help: "ms a job's lock lives unrenewed; a dead worker's job runs again after it", default: 30000 },
  { name: 'stalled-interval', type: 'int', help: 'ms between checks for stalled jobs', default: 30000 },
  { name: 'quiet', aliases: ['q'], type: 'boolean', help: 'no per-job lines' },
  { name: 'help', aliases: ['h'], type: 'boolean', help: 'show this help' },
];
const WORKER_USAGE = 'ai-art worker --redis URL [--concurrency N] [--threads N]';

async function loadJobs(file: string): Promise<{ jf: ReturnType<typeof readJobFile>; ex: Expanded }> {
  const jf = readJobFile(file);
  try {
    return { jf, ex: await expandJobs(jf) };
  } catch (e) {
    if (e instanceof JobFileError) throw new JobFileError(`${file}: ${e.message}`);
    throw e;
  }
}

function needRedis(o: Opts, usage: string): string {
  const url = o.str('redis') ?? process.env.AI_ART_REDIS;
  if (!url) throw new UsageError(`missing --redis URL (or AI_ART_REDIS)\nusage: ${usage}`);
  return url;
}

function outcomesFrom(s: BatchStatus): JobOutcome[] {
  return s.jobs.map((j) => ({
    spec: j.spec,
    state: j.state === 'completed' && fs.existsSync(j.spec.output) ? 'done' : j.state === 'failed' ? 'failed' : 'pending',
    ...(j.error ? { error: j.error } : {}),
  }));
}

function printStatus(s: BatchStatus, json: boolean, out: string | undefined): void {
  if (json) {
    const jobs = s.jobs.map((j) => ({ id: j.spec.id, output: j.spec.output, state: j.state, attempts: j.attempts, ...(j.error ? { error: j.error } : {}) }));
    process.stdout.write(`${JSON.stringify({ id: s.id, counts: s.counts, finished: s.finished, cancelled: s.cancelled, ...(out ? { index: out } : {}), jobs })}\n`);
    return;
  }
  const counts = Object.entries(s.counts).map(([k, v]) => `${v} ${k}`).join(', ');
  process.stdout.write(`batch ${s.id}: ${s.jobs.length} jobs: ${counts}${s.cancelled ? ' (cancelled)' : ''}\n`);
  for (const j of s.jobs) if (j.state === 'failed') process.stdout.write(`  failed ${jobLabel(j.spec)}: ${j.error}\n`);
  if (out) process.stdout.write(`results: ${out}\n`);
}

async function sub(name: string, argv: string[]): Promise<number> {
  const spec = SUB[name];
  const p = parseArgs(argv, spec.options);
  const o = new Opts(p);
  if (o.bool('help')) {
    process.stdout.write(helpText(spec.usage, spec.options, spec.help));
    return 0;
  }
  const json = o.bool('json');
  const quiet = o.bool('quiet') || json;
  const [arg] = p.positionals;
  if (p.positionals.length > 1) throw new UsageError(`one argument expected\nusage: ${spec.usage}`);

  if (name === 'run' || name === 'submit') {
    if (!arg) throw new UsageError(`usage: ${spec.usage}`);
    const { jf, ex } = await loadJobs(arg);
    if (name === 'submit') {
      const url = needRedis(o, spec.usage);
      const m = await submitBatch(url, ex, { output: jf.output, jobFile: jf.file }, { attempts: o.num('attempts') ?? jf.attempts, backoffMs: o.num('backoff') });
      if (json) process.stdout.write(`${JSON.stringify({ id: m.id, jobs: m.jobs.length, output: m.output })}\n`);
      else process.stdout.write(`${m.id}\n`);
      if (!quiet) process.stderr.write(`submitted batch ${m.id}: ${m.jobs.length} jobs into ${m.output}\n`);
      return 0;
    }
    const workers = o.num('workers') ?? 1;
    if (workers < 1) throw new UsageError('--workers must be at least 1');
    const bar = progressBar(ex.jobs.length, 'batch', { quiet });
    const controller = new AbortController();
    const onSigint = () => {
      if (!controller.signal.aborted) bar.log('interrupted: stopping the workers; run again to resume');
      controller.abort();
    };
    process.on('SIGINT', onSigint);
    // Outputs already there are counted as finished from the start (a resumed run).
    const skipped = ex.jobs.filter(isDone).length;
    let finished = 0;
    const errors = new Map<string, string>();
    try {
      const summary = await runLocal(ex.jobs, {
        workers,
        threads: o.num('threads'),
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'done' || e.type === 'failed') {
            finished++;
            if (e.type === 'failed') {
              errors.set(e.job.id, e.error);
              bar.log(`failed ${jobLabel(e.job)}: ${e.error}`);
            }
            bar.update(finished + skipped, { failed: String(errors.size) });
          }
        },
      });
      const index = await writeResults({
        title: `batch ${jf.file}`,
        output: jf.output,
        layout: ex.layout,
        jobs: ex.jobs.map((spec) => {
          const error = errors.get(spec.id);
          return { spec, state: error ? 'failed' : fs.existsSync(spec.output) ? 'done' : 'pending', ...(error ? { error } : {}) };
        }),
      });
      bar.done(
        quiet
          ? undefined
          : `${summary.done.length} done, ${summary.skipped} already there, ${summary.failed.length} failed${summary.interrupted ? ', interrupted' : ''} in ${summary.seconds.toFixed(1)} s; results: ${index}`,
      );
      if (json) {
        process.stdout.write(
          `${JSON.stringify({
            total: summary.total,
            done: summary.done.length,
            skipped: summary.skipped,
            failed: summary.failed.map((f) => ({ id: f.job.id, output: f.job.output, error: f.error })),
            interrupted: summary.interrupted,
            seconds: summary.seconds,
            index,
            outputs: ex.jobs.filter((j) => j.kind !== 'chunk').map((j) => j.output),
          })}\n`,
        );
      }
      return summary.interrupted ? 130 : summary.failed.length ? 1 : 0;
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
  }

  const url = needRedis(o, spec.usage);
  const id = arg;
  if (name === 'status') {
    printStatus(await batchStatus(url, id), json, undefined);
    return 0;
  }
  if (name === 'cancel') {
    const r = await cancelBatch(url, id);
    if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else process.stdout.write(`batch ${r.id}: cancelled, ${r.removed} queued job(s) removed\n`);
    return 0;
  }
  if (name === 'wait') {
    const controller = new AbortController();
    const timeout = o.num('timeout');
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
      printStatus(s, json, index);
      if (!s.finished) return 3;
      return s.counts.failed ? 1 : 0;
    } finally {
      if (timer) clearTimeout(timer);
      process.removeListener('SIGINT', onSigint);
    }
  }
  // results
  const s = await batchStatus(url, id);
  const index = await writeResults({ title: `batch ${s.id}`, output: s.manifest.output, layout: s.manifest.layout, jobs: outcomesFrom(s) });
  printStatus(s, json, index);
  if (o.bool('logs') && !json) {
    const { jobLogs } = await import('../batch/queue.js');
    for (const j of s.jobs) {
      process.stdout.write(`${j.spec.id} ${jobLabel(j.spec)} [${j.state}]\n`);
      for (const line of await jobLogs(url, s.id, j.spec)) process.stdout.write(`    ${line}\n`);
    }
  }
  return 0;
}

export async function batchCommand(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || !(name in SUB)) {
    const rows = Object.entries(SUB).map(([k, s]) => `  ${k.padEnd(9)}${s.help}`).join('\n');
    const text = `usage: ai-art batch run|submit|status|wait|cancel|results ...\n\n${rows}\n\nsee docs/batch.md for the job file\n`;
    if (name && name !== '--help' && name !== '-h') throw new UsageError(`unknown subcommand '${name}'\n${text}`);
    process.stdout.write(text);
    return name ? 0 : 2;
  }
  try {
    return await sub(name, rest);
  } catch (e) {
    if (e instanceof JobFileError || e instanceof RedisUnavailableError) throw new UsageError(e.message);
    throw e;
  }
}

export async function workerCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, WORKER_OPTIONS);
  const o = new Opts(p);
  if (o.bool('help')) {
    process.stdout.write(helpText(WORKER_USAGE, WORKER_OPTIONS, 'Run queued batch jobs until stopped (Ctrl-C finishes the running jobs first).'));
    return 0;
  }
  const url = needRedis(o, WORKER_USAGE);
  const quiet = o.bool('quiet');
  const say = (line: string) => {
    if (!quiet) process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  };
  const { checkRedis } = await import('../batch/queue.js');
  try {
    await checkRedis(url);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const w = await startWorker({
    redis: url,
    concurrency: o.num('concurrency'),
    threads: o.num('threads'),
    lockDuration: o.num('lock-duration'),
    stalledInterval: o.num('stalled-interval'),
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
