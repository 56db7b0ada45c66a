/**
 * Batches on a real redis-server with real `ai-art worker` processes (BullMQ sandboxed
 * processors): a grid on two workers, a worker killed with SIGKILL, Redis restarted, a job that
 * always fails, a malformed job file, and `batch run` giving the same files without Redis.
 */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { demoScenePng, loadImage } from '../../src/images/index.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { FIXTURES_DIR } from '../helpers/fixtures.js';
import { probeVideo } from '../../src/batch/video.js';
import { readJobFile } from '../../src/batch/jobfile.js';
import { expandJobs } from '../../src/batch/expand.js';
import { redisMissing, removeRedis, startRedis, type TestRedis } from '../helpers/redis.js';

const skip = redisMissing();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-art-batch-'));
let redis: TestRedis;
const workers = new Set<TestWorker>();

// Shallow layers and few evaluations: a job is a second or two, mostly start-up.
const OPTIONS = { size: 32, iterations: 3, weights: 'random', 'style-layers': 'conv1_1,conv2_1', 'content-layers': 'conv2_1' };

async function picture(name: string, scene: 'landscape' | 'mosaic', w: number, h: number): Promise<string> {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, await demoScenePng(scene, { width: w, height: h }));
  return file;
}

function jobFile(name: string, doc: unknown): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, JSON.stringify(doc));
  return file;
}

interface TestWorker {
  proc: ChildProcess;
  log: string;
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

function startWorker(extra: string[] = []): TestWorker {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'src/cli/bin.ts'), 'worker', '--redis', redis.url, '--threads', '1', '--lock-duration', '2000', '--stalled-interval', '1000', ...extra],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const w: TestWorker = {
    proc,
    log: '',
    waitFor(re, timeoutMs = 60000) {
      return new Promise((resolve, reject) => {
        const t0 = Date.now();
        const poll = () => {
          const m = re.exec(w.log);
          if (m) resolve(m);
          else if (Date.now() - t0 > timeoutMs) reject(new Error(`worker log never matched ${re}:\n${w.log}`));
          else setTimeout(poll, 50);
        };
        poll();
      });
    },
    async stop() {
      workers.delete(w);
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((res) => proc.once('exit', res));
      proc.kill('SIGTERM');
      await exited;
    },
  };
  proc.stderr!.on('data', (d: Buffer) => (w.log += d.toString()));
  workers.add(w);
  return w;
}

async function cli(args: string[]) {
  const r = await runCli([...args, '--redis', redis.url]);
  return r;
}

async function waitJson(id: string) {
  const r = await cli(['batch', 'wait', id, '--json', '--timeout', '150']);
  assert.ok((r.code === 0 || r.code === 1) && r.stdout.startsWith('{'), `exit ${r.code}: ${r.stderr}`);
  return { code: r.code, status: JSON.parse(r.stdout) as { counts: Record<string, number>; index: string; jobs: { id: string; output: string; state: string; attempts: number; error?: string }[] } };
}

function tmpFiles(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.tmp')) : [];
}

before(async () => {
  if (skip) return;
  redis = await startRedis();
  await picture('c1.png', 'landscape', 48, 32);
  await picture('c2.png', 'mosaic', 32, 40);
  await picture('s1.png', 'mosaic', 40, 40);
  await picture('s2.png', 'landscape', 40, 30);
  await picture('s3.png', 'mosaic', 24, 36);
});

// A test that failed half-way leaves no worker behind to take the next test's jobs.
beforeEach(async () => {
  await Promise.all([...workers].map((w) => w.stop()));
});

after(async () => {
  if (skip) return;
  await Promise.all([...workers].map((w) => w.stop()));
  await removeRedis(redis);
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('a malformed job file is refused before anything is queued', { skip }, async () => {
  const file = jobFile('bad.json', { output: 'out-bad', tasks: [{ style: { contents: ['c1.png'], styles: ['s1.png'], options: { size: 8 } } }] });
  const r = await cli(['batch', 'submit', file]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bad\.json: tasks\[0\]\.style\.options\.size: must be a whole number ≥ 16, got 8/);
  const c = new Redis(redis.url);
  try {
    assert.equal(await c.dbsize(), 0, 'nothing written to Redis');
  } finally {
    c.disconnect();
  }
});

let gridOutputs: string[] = [];

test('a 2x3 style grid on two workers: six valid images, each written once, and a results page', { skip }, async () => {
  const file = jobFile('grid.json', { output: 'out-grid', tasks: [{ style: { contents: ['c1.png', 'c2.png'], styles: ['s1.png', 's2.png', 's3.png'], options: OPTIONS } }] });
  const sub = await cli(['batch', 'submit', file]);
  assert.equal(sub.code, 0, sub.stderr);
  const id = sub.stdout.trim();
  const [w1, w2] = [startWorker(), startWorker()];
  const { code, status } = await waitJson(id);
  assert.equal(code, 0, JSON.stringify(status));
  assert.equal(status.counts.completed, 6);
  gridOutputs = status.jobs.map((j) => j.output);
  for (const out of gridOutputs) {
    const img = await loadImage(out);
    assert.equal(Math.max(img.width, img.height), 32);
    assert.ok(img.data.every(Number.isFinite));
  }
  // Each output written by exactly one job run, and both workers took part.
  const wrote = (w: TestWorker) => [...w.log.matchAll(/done \S+ .*\(wrote (\S+),/g)].map((m) => m[1]);
  const all = [...wrote(w1), ...wrote(w2)];
  assert.deepEqual([...all].sort(), [...gridOutputs].sort());
  assert.ok(wrote(w1).length > 0 && wrote(w2).length > 0, `${w1.log}\n${w2.log}`);
  assert.ok(status.jobs.every((j) => j.attempts === 1));
  const html = fs.readFileSync(status.index, 'utf8');
  assert.equal((html.match(/<img src="style\//g) ?? []).length, 6);
  // The grid as one picture too: three cells across, two down.
  const sheet = await loadImage(path.join(tmp, 'out-grid', 'sheet-task1.png'));
  assert.ok(sheet.width > 3 * 192 && sheet.width < 4 * 192 && sheet.height > 2 * 192 && sheet.height < 3 * 192, `${sheet.width}x${sheet.height}`);
  // Submitting the same job file again adds nothing: same batch, same jobs.
  const again = await cli(['batch', 'submit', file]);
  assert.equal(again.stdout.trim(), id);
  await Promise.all([w1.stop(), w2.stop()]);
  assert.deepEqual(tmpFiles(path.join(tmp, 'out-grid')), []);
});

test('batch run without Redis writes the same files with the same pixels', { skip }, async () => {
  const file = jobFile('grid-local.json', { output: 'out-local', tasks: [{ style: { contents: ['c1.png', 'c2.png'], styles: ['s1.png', 's2.png', 's3.png'], options: OPTIONS } }] });
  const r = await runCli(['batch', 'run', file, '--workers', '2', '--threads', '1', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout) as { done: number; outputs: string[]; index: string };
  assert.equal(rep.done, 6);
  assert.deepEqual(rep.outputs.map((f) => path.basename(f)).sort(), gridOutputs.map((f) => path.basename(f)).sort());
  for (const out of rep.outputs) {
    const twin = gridOutputs.find((g) => path.basename(g) === path.basename(out))!;
    assert.deepEqual((await loadImage(out)).data, (await loadImage(twin)).data, path.basename(out));
  }
  assert.ok(fs.existsSync(rep.index));
  // A re-run skips everything.
  const again = await runCli(['batch', 'run', file, '--json']);
  assert.equal(JSON.parse(again.stdout).skipped, 6);
});

test('a worker killed with SIGKILL mid-job: the job runs again on the other worker, no partial file', { skip }, async () => {
  const file = jobFile('kill.json', {
    output: 'out-kill',
    tasks: [{ style: { contents: ['c1.png'], styles: ['s1.png', 's2.png'], options: { ...OPTIONS, iterations: 40 } } }],
  });
  const w1 = startWorker();
  await w1.waitFor(/ready on/);
  const sub = await cli(['batch', 'submit', file]);
  const id = sub.stdout.trim();
  const [, victim] = await w1.waitFor(/start (\S+)/);
  const w2 = startWorker();
  w1.proc.kill('SIGKILL');
  const { code, status } = await waitJson(id);
  assert.equal(code, 0, JSON.stringify(status));
  assert.equal(status.counts.completed, 2);
  await w2.waitFor(new RegExp(`done ${victim} .*wrote`));
  for (const j of status.jobs) await loadImage(j.output);
  // The killed worker's sandboxed process left with it: nothing appears later either.
  await new Promise((res) => setTimeout(res, 1500));
  assert.deepEqual(tmpFiles(path.join(tmp, 'out-kill')), []);
  await w2.stop();
});

test('Redis restarted mid-batch: the batch completes after it returns', { skip }, async () => {
  const file = jobFile('restart.json', { output: 'out-restart', tasks: [{ style: { contents: ['c1.png', 'c2.png'], styles: ['s3.png', 's2.png'], options: OPTIONS } }] });
  const id = (await cli(['batch', 'submit', file])).stdout.trim();
  const w = startWorker();
  await w.waitFor(/done /);
  await redis.stop();
  await new Promise((res) => setTimeout(res, 1000));
  await redis.start();
  const { code, status } = await waitJson(id);
  assert.equal(code, 0, `${JSON.stringify(status)}\n${w.log}`);
  assert.equal(status.counts.completed, 4);
  for (const j of status.jobs) await loadImage(j.output);
  await w.stop();
});

test('a video on the queue: chunks as a BullMQ flow, assembled in order once all are done', { skip }, async () => {
  const clip = path.join(tmp, 'clip.mp4');
  const waves = "geq=r='128+127*sin(X/3+N)':g='128+127*sin(Y/2+2*N)':b='128+127*cos((X+Y)/4+3*N)'";
  const ff = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `nullsrc=size=32x24:rate=10,${waves}`, '-f', 'lavfi', '-i', 'sine=frequency=440', '-t', '1.1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', clip]);
  assert.equal(ff.status, 0, ff.stderr?.toString());
  const gen = path.join(FIXTURES_DIR, 'gan', 'fwd_resnet9_instance.pth');
  const file = jobFile('video.json', { output: 'out-video', chunkFrames: 3, tasks: [{ translate: { inputs: ['clip.mp4'], model: gen } }] });
  const id = (await cli(['batch', 'submit', file])).stdout.trim();
  const w = startWorker(['--concurrency', '2']);
  const { code, status } = await waitJson(id);
  assert.equal(code, 0, `${JSON.stringify(status)}\n${w.log}`);
  assert.equal(status.counts.completed, 5, 'four chunks and the assembly');
  const video = status.jobs.find((j) => j.output.endsWith('.mp4'))!;
  // The assembly started only after its last chunk finished.
  const at = (re: RegExp) => w.log.split('\n').findIndex((l) => re.test(l));
  const lastChunk = Math.max(...[0, 3, 6, 9].map((s) => at(new RegExp(`done \\S+-${s} `))));
  assert.ok(at(new RegExp(`start \\S+ clip\\.mp4 assembly`)) > lastChunk, w.log);
  const info = await probeVideo(video.output);
  assert.equal(info.frames, 11);
  assert.ok(info.audio);
  await w.stop();
});

test('batches share workers round-robin, counted in jobs, whatever their speed', { skip }, async () => {
  // Outputs already there make every job instant, so only the queue's order shows.
  const grid = (out: string, styles: string[]) => ({ output: out, tasks: [{ style: { contents: ['c1.png', 'c2.png'], styles, options: OPTIONS } }] });
  const a = jobFile('fair-a.json', grid('out-fair-a', ['s1.png', 's2.png']));
  const b = jobFile('fair-b.json', grid('out-fair-b', ['s3.png']));
  for (const f of [a, b]) {
    const ex = await expandJobs(readJobFile(f));
    for (const j of ex.jobs) {
      fs.mkdirSync(path.dirname(j.output), { recursive: true });
      fs.writeFileSync(j.output, 'x');
    }
  }
  const ida = (await cli(['batch', 'submit', a])).stdout.trim();
  const idb = (await cli(['batch', 'submit', b])).stdout.trim();
  const w = startWorker();
  await waitJson(idb);
  await waitJson(ida);
  const order = [...w.log.matchAll(/start (\w+)-/g)].map((m) => (m[1] === ida ? 'A' : m[1] === idb ? 'B' : '?')).join('');
  assert.equal(order, 'ABABAA');
  await w.stop();
});

test('a job that always fails ends failed after its retries, with its error; the rest completes', { skip }, async () => {
  fs.writeFileSync(path.join(tmp, 'broken.png'), 'not a picture');
  const file = jobFile('fail.json', { output: 'out-fail', attempts: 2, tasks: [{ style: { contents: ['c1.png', 'broken.png'], styles: ['s1.png'], options: OPTIONS } }] });
  const id = (await cli(['batch', 'submit', file, '--backoff', '100'])).stdout.trim();
  const w = startWorker();
  const { code, status } = await waitJson(id);
  assert.equal(code, 1);
  assert.deepEqual(status.counts, { completed: 1, failed: 1 });
  const bad = status.jobs.find((j) => j.state === 'failed')!;
  assert.equal(bad.attempts, 2);
  assert.match(bad.error ?? '', /broken\.png/);
  assert.match(w.log, /will retry .*broken\.png[\s\S]*failed .*broken\.png/);
  const html = fs.readFileSync(status.index, 'utf8');
  assert.match(html, /class="failed"[\s\S]*broken\.png/);
  const res = await cli(['batch', 'results', id, '--logs']);
  assert.match(res.stdout, /attempt 2 on pid/);
  await w.stop();
});

test("cancel removes a batch's queued jobs: a worker started afterwards writes nothing", { skip }, async () => {
  const file = jobFile('cancel.json', { output: 'out-cancel', tasks: [{ style: { contents: ['c1.png', 'c2.png'], styles: ['s1.png'], options: OPTIONS } }] });
  const id = (await cli(['batch', 'submit', file])).stdout.trim();
  const r = await cli(['batch', 'cancel', id, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { removed: number }).removed, 2);
  const w = startWorker();
  await new Promise((done) => setTimeout(done, 4000));
  await w.stop();
  const out = path.join(tmp, 'out-cancel');
  const written = fs.existsSync(out) ? fs.readdirSync(out).filter((f) => /\.(png|jpg)$/.test(f)) : [];
  assert.deepEqual(written, [], 'no job of a cancelled batch runs');
  const s = await cli(['batch', 'status', id, '--json']);
  assert.equal((JSON.parse(s.stdout) as { cancelled: boolean }).cancelled, true);
});
