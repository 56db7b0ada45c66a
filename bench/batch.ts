/**
 * `npm run bench:batch`: what BullMQ costs per job and how a machine's cores are best split.
 *  - queue overhead per job: submit → start (while a worker is free), the time a job spends in
 *    the worker beyond its own work (sandboxed process, lock, completion), and finish → the
 *    result seen by a listener; against the job's own time;
 *  - a batch of small style jobs with 1 job x 2 threads against 2 jobs x 1 thread at a time,
 *    interleaved (A B A B ...), medians;
 *  - projected throughput for N machines from the measured per-job times.
 * Needs redis-server (Debian's); starts its own on a free loopback port.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QueueEvents } from 'bullmq';
import { demoScenePng } from '../src/images/index.js';
import { checkJobFile } from '../src/batch/jobfile.js';
import { expandJobs } from '../src/batch/expand.js';
import { connection, jobKey, openQueue, QUEUE_NAME, submitBatch, waitBatch } from '../src/batch/queue.js';
import { startWorker } from '../src/batch/worker.js';
import { redisMissing, removeRedis, startRedis } from '../test/helpers/redis.js';
import { intArg, median } from './peer.js';

const JOBS = intArg('jobs', 6, 2);
const REPEATS = intArg('repeats', 2, 1);
const SIZE = intArg('size', 64, 16);
const ITERS = intArg('iterations', 10, 1);

const missing = redisMissing();
if (missing) {
  console.log(`skipped: ${missing}`);
  process.exit(0);
}
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-art-bench-batch-'));
const redis = await startRedis();
const load = () => os.loadavg().map((v) => v.toFixed(1)).join(' ');
console.log(`${os.availableParallelism()} cores; load ${load()}; ${JOBS} style jobs per batch at ${SIZE} px, ${ITERS} evaluations, random weights`);

const contents: string[] = [];
for (let i = 0; i < JOBS; i++) {
  const f = path.join(tmp, `c${i}.png`);
  fs.writeFileSync(f, await demoScenePng(i % 2 ? 'mosaic' : 'landscape', { width: SIZE + 8 * i, height: SIZE }));
  contents.push(f);
}
const style = path.join(tmp, 'style.png');
fs.writeFileSync(style, await demoScenePng('mosaic', { width: SIZE, height: SIZE }));

const events = new QueueEvents(QUEUE_NAME, { connection: connection(redis.url) });
await events.waitUntilReady();
const seen = new Map<string, number>();
events.on('completed', ({ jobId }) => seen.set(jobId, Date.now()));

interface Run {
  wall: number;
  own: number[];
  dispatch: number[];
  inWorker: number[];
  notify: number[];
}

let runNo = 0;
async function runBatch(concurrency: number, threads: number): Promise<Run> {
  const out = path.join(tmp, `out${runNo++}`);
  const jf = checkJobFile({ output: out, tasks: [{ style: { contents, styles: [style], options: { size: SIZE, iterations: ITERS, weights: 'random' } } }] }, tmp);
  const ex = await expandJobs(jf);
  const w = await startWorker({ redis: redis.url, concurrency, threads });
  // The worker forks its sandboxed processes on the first jobs and keeps them: their start-up
  // (module load, ONNX Runtime) counts in the first jobs' 'in worker' time.
  const t0 = Date.now();
  const m = await submitBatch(redis.url, ex, { output: out, jobFile: '' }, { attempts: 1 });
  await waitBatch(redis.url, m.id, { pollMs: 100 });
  const wall = (Date.now() - t0) / 1000;
  await w.close();
  const q = openQueue(redis.url);
  const jobs = await Promise.all(m.jobs.map((s) => q.getJob(jobKey(m.id, s))));
  await q.close();
  const r: Run = { wall, own: [], dispatch: [], inWorker: [], notify: [] };
  const done = jobs.map((j) => j!).sort((a, b) => a.processedOn! - b.processedOn!);
  const finishes: number[] = [];
  for (const j of done) {
    const own = j.returnvalue.seconds;
    r.own.push(own);
    // A job can only start once a worker slot is free: wait from then, not from submission.
    const free = finishes.length < concurrency ? j.timestamp : Math.max(j.timestamp, [...finishes].sort((a, b) => a - b)[finishes.length - concurrency]);
    r.dispatch.push((j.processedOn! - free) / 1000);
    r.inWorker.push((j.finishedOn! - j.processedOn!) / 1000 - own);
    const s = seen.get(j.id!);
    if (s) r.notify.push((s - j.finishedOn!) / 1000);
    finishes.push(j.finishedOn!);
  }
  return r;
}

const configs = [
  { name: '1 job x 2 threads', concurrency: 1, threads: 2 },
  { name: '2 jobs x 1 thread', concurrency: 2, threads: 1 },
];
const results = new Map<string, Run[]>(configs.map((c) => [c.name, []]));
for (let rep = 0; rep < REPEATS; rep++) {
  for (const c of configs) {
    const r = await runBatch(c.concurrency, c.threads);
    results.get(c.name)!.push(r);
    console.log(`  ${c.name}: ${r.wall.toFixed(1)} s for ${JOBS} jobs (load ${load()})`);
  }
}

const fmt = (v: number) => (v < 0.1 ? `${(v * 1000).toFixed(0)} ms` : `${v.toFixed(2)} s`);
console.log('\n| layout | batch wall (median) | jobs/min | job own time (median) | submit → start | in worker beyond the job | finish → result |');
console.log('|---|---|---|---|---|---|---|');
const perJob = new Map<string, { own: number; overhead: number; wall: number }>();
for (const c of configs) {
  const runs = results.get(c.name)!;
  const all = (k: keyof Omit<Run, 'wall'>) => runs.flatMap((r) => r[k]);
  const wall = median(runs.map((r) => r.wall));
  const own = median(all('own'));
  const overhead = median(all('dispatch')) + median(all('inWorker')) + median(all('notify'));
  perJob.set(c.name, { own, overhead, wall });
  console.log(
    `| ${c.name} | ${wall.toFixed(1)} s | ${((60 * JOBS) / wall).toFixed(1)} | ${fmt(own)} | ${fmt(median(all('dispatch')))} | ${fmt(median(all('inWorker')))} | ${fmt(median(all('notify')))} |`,
  );
}
const a = perJob.get(configs[0].name)!;
const b = perJob.get(configs[1].name)!;
console.log(`\n2 jobs x 1 thread / 1 job x 2 threads, batch wall: ${(b.wall / a.wall).toFixed(2)}x`);

// Machines add workers; the queue's own work per job (a few Redis round trips) is small next to
// a job, so throughput grows with machines until Redis or the shared folder saturates, which
// these figures do not reach.
const best = a.wall <= b.wall ? a : b;
const perMachine = (60 * JOBS) / Math.min(a.wall, b.wall);
console.log(`\nprojected from the faster layout (${(best.own + best.overhead).toFixed(2)} s per job incl. ${fmt(best.overhead)} queue overhead):`);
console.log('| machines | jobs/min | 1000 jobs in |');
console.log('|---|---|---|');
for (const n of [1, 2, 4, 8, 16]) {
  const rate = n * perMachine;
  console.log(`| ${n} | ${rate.toFixed(0)} | ${(1000 / rate).toFixed(1)} min |`);
}
console.log(`\nload at the end ${load()}`);

await events.close();
await removeRedis(redis);
fs.rmSync(tmp, { recursive: true, force: true });
