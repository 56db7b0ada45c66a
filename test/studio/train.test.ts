/**
 * Training from the studio: tiny cyclegan / pix2pix / fast train jobs on synthetic 32 px
 * pictures, stopped mid-run from the dashboard's API and resumed from their checkpoint (the
 * loss log goes on from the stopped step, not from 0); dataset folders only under the
 * configured roots; bad options refused with a 400 naming the option.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import type { RunSummary } from '../../src/studio/runs.js';
import type { JobRecord } from '../../src/studio/types.js';
import type { Studio } from '../../src/studio/server.js';
import { alignedDataset, unalignedDataset } from '../helpers/gan_data.js';
import { fastDataset } from '../helpers/fast_data.js';
import { picture, postJson, startStudio, tempHome, upload } from './helpers.js';

const home = tempHome('studio-train');
const datasets = path.join(home.dir, 'datasets');
let studio: Studio;
let url: string;
/** The studio's own runs folder is the last run root (after --runs). */
const STUDIO_ROOT = 1;

before(async () => {
  await unalignedDataset(path.join(datasets, 'discs'), { size: 32, phases: ['train'] });
  await alignedDataset(path.join(datasets, 'pairs'), { size: 32, phases: ['train'], n: 2 });
  await fastDataset(path.join(datasets, 'photos'), 8);
  await mkdir(path.join(home.dir, 'secret'), { recursive: true });
  // A link out of the root is not followed when counting, and is no way out when training.
  await symlink(path.join(home.dir, 'secret'), path.join(datasets, 'link'));
  studio = await startStudio(path.join(home.dir, 'studio'), { datasetRoots: [datasets], runRoots: [path.join(home.dir, 'checkpoints')] });
  url = studio.url;
});
after(async () => {
  await studio?.close();
  home.remove();
});

const GAN_TINY = { netG: 'resnet_6blocks', ngf: 4, ndf: 4, load_size: 32, crop_size: 32, num_threads: 0, threads: 1, print_freq: 1, display_freq: 1, save_latest_freq: 1000 };
const FAST_TINY = { imageSize: 32, batchSize: 2, width: 'half', vgg: 'random', holdBack: 2, logInterval: 1, checkpointInterval: 3, threads: 1, decodeThreads: 0 };

async function errorOf(r: Response): Promise<string> {
  return ((await r.json()) as { error: string }).error;
}

async function until<T>(what: string, f: () => Promise<T | null | undefined | false>, timeoutMs = 120000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const run = async (name: string) => (await (await fetch(`${url}/api/runs/${STUDIO_ROOT}/${name}`)).json()) as RunSummary & { entries: { x: number; epoch: number; step?: number }[]; images: string[] };
const job = async (id: string) => (await (await fetch(`${url}/api/jobs/${id}`)).json()) as JobRecord;

test('datasets: the folders directly under the configured roots, with their picture counts', async () => {
  const r = (await (await fetch(`${url}/api/datasets`)).json()) as { roots: { folder: string }[]; datasets: { root: number; name: string; images: number; folders: string[] }[] };
  assert.deepEqual(r.roots.map((x) => x.folder), [datasets]);
  const by = Object.fromEntries(r.datasets.map((d) => [d.name, d]));
  assert.deepEqual(by.discs, { root: 0, name: 'discs', images: 5, folders: ['trainA', 'trainB'] });
  assert.equal(by.pairs.images, 2);
  assert.equal(by.photos.images, 8);
  assert.equal(by.link, undefined, 'a symbolic link is not a dataset folder');
});

test('training requests: datasets only by root and folder name, traversal and bad options refused with the option named', async () => {
  const style = ((await (await upload(url, await picture(32, 32, 1), 'style.png')).json()) as { id: string }).id;
  const bad: [unknown, number, RegExp][] = [
    [{ kind: 'cyclegan-train', train: { dataset: { root: 3, name: 'discs' } } }, 400, /dataset root 3/],
    [{ kind: 'cyclegan-train', train: { dataset: { root: 0, name: '../secret' } } }, 400, /name/],
    [{ kind: 'cyclegan-train', train: { dataset: { root: 0, name: '..' } } }, 400, /name/],
    [{ kind: 'cyclegan-train', train: { dataset: { root: 0, name: '/etc' } } }, 400, /name/],
    [{ kind: 'cyclegan-train', train: { dataset: { root: 0, name: 'link' } } }, 400, /no folder 'link'|link/],
    [{ kind: 'cyclegan-train', train: { dataset: { root: 0, name: 'nothing' } } }, 400, /no folder 'nothing'/],
    [{ kind: 'cyclegan-train', train: { dataset: '/etc' } }, 400, /dataset/],
    [{ kind: 'cyclegan-train', train: { dataset: { root: 0, name: 'discs' }, options: { dataroot: '/etc' } } }, 400, /dataroot/],
    [{ kind: 'cyclegan-train', train: { dataset: { root: 0, name: 'discs' }, options: { checkpoints_dir: '/tmp' } } }, 400, /checkpoints_dir/],
    [{ kind: 'cyclegan-train', train: { dataset: { root: 0, name: 'discs' }, options: { n_epochs: -1 } } }, 400, /n_epochs/],
    [{ kind: 'cyclegan-train', train: { dataset: { root: 0, name: 'discs' }, options: { netG: 'huge' } } }, 400, /netG/],
    [{ kind: 'cyclegan-train', train: { dataset: { root: 0, name: 'discs' }, options: { lambda_L1: 5 } } }, 400, /lambda_L1/],
    [{ kind: 'pix2pix-train', train: { dataset: { root: 0, name: 'pairs' }, options: { lambda_A: 5 } } }, 400, /lambda_A/],
    [{ kind: 'cyclegan-train', train: { dataset: { root: 0, name: 'discs' }, name: '../../x' } }, 400, /name/],
    [{ kind: 'cyclegan-train', train: { dataset: { root: 0, name: 'discs' } }, content: style }, 400, /only 'train'/],
    [{ kind: 'fast-train', train: { dataset: { root: 0, name: 'photos' } } }, 400, /style picture/],
    [{ kind: 'fast-train', train: { dataset: { root: 0, name: 'photos' }, styleImage: '0'.repeat(64) } }, 400, /no upload/],
    [{ kind: 'fast-train', train: { dataset: { root: 0, name: 'photos' }, styleImage: style, options: { vgg: '/etc/passwd' } } }, 400, /vgg/],
    [{ kind: 'fast-train', train: { dataset: { root: 0, name: 'photos' }, styleImage: style, options: { imageSize: 8 } } }, 400, /imageSize/],
    [{ kind: 'fast-train', train: { dataset: { root: 0, name: 'photos' }, styleImage: style, options: { n_epochs: 2 } } }, 400, /n_epochs/],
  ];
  for (const [body, status, re] of bad) {
    const r = await postJson(`${url}/api/jobs`, body);
    assert.equal(r.status, status, JSON.stringify(body));
    assert.match(await errorOf(r), re, JSON.stringify(body));
  }
  for (const p of ['/api/runs/0/..%2F..', '/api/runs/1/..', '/api/runs/7/x', `/api/runs/${STUDIO_ROOT}/x/images/..%2F..%2Fjob.json`, '/api/runs/0/x/images/a.txt']) {
    const r = await fetch(`${url}${p}`);
    assert.ok(r.status >= 400 && r.status < 500, `${p}: ${r.status}`);
  }
  const schema = (await (await fetch(`${url}/api/schemas/fast-train`)).json()) as { properties: Record<string, unknown> };
  assert.ok(schema.properties.imageSize && !schema.properties.dataset && !schema.properties.saveModelDir, 'the form offers no file paths');
  assert.equal((await postJson(`${url}/api/runs/0/nothing/resume`, {})).status, 404);
});

test('fast train: stop mid-run, resume from the checkpoint step, finish, and the model joins the fast-style list', async () => {
  const style = ((await (await upload(url, await picture(40, 40, 2), 'mosaic.png')).json()) as { id: string }).id;
  let r = await postJson(`${url}/api/jobs`, { kind: 'fast-train', train: { dataset: { root: 0, name: 'photos' }, name: 'mosaic', styleImage: style, options: { ...FAST_TINY, epochs: 100, iterations: 16 } } });
  assert.equal(r.status, 201, await r.clone().text());
  const first = (await r.json()) as JobRecord;
  await until('a few loss points', async () => (await run('mosaic')).entries.length >= 3);
  r = await postJson(`${url}/api/runs/${STUDIO_ROOT}/mosaic/stop`, {});
  assert.equal(r.status, 200);
  await until('the run to stop', async () => (await job(first.id)).status === 'stopped');
  const stopped = await run('mosaic');
  assert.equal(stopped.status, 'stopped');
  assert.equal(stopped.progress?.secondsLeft, null, 'no ETA for a run that is not training');
  const s = stopped.entries.at(-1)!.step!;
  assert.ok(s >= 3 && s < 16, `stopped at step ${s}`);
  assert.ok(stopped.canResume);
  // The name is taken: a second run with it is refused.
  assert.equal((await postJson(`${url}/api/jobs`, { kind: 'fast-train', train: { dataset: { root: 0, name: 'photos' }, name: 'mosaic', styleImage: style } })).status, 409);

  r = await postJson(`${url}/api/runs/${STUDIO_ROOT}/mosaic/resume`, {});
  assert.equal(r.status, 201);
  const second = (await r.json()) as JobRecord;
  assert.equal((await postJson(`${url}/api/runs/${STUDIO_ROOT}/mosaic/resume`, {})).status, 409, 'already queued or training');
  await until('the resumed run to finish', async () => (await job(second.id)).status === 'done', 240000);
  const done = await run('mosaic');
  const steps = done.entries.map((e) => e.step);
  assert.deepEqual(steps, Array.from({ length: 16 }, (_, i) => i + 1), 'one loss point per step, continued from the checkpoint, none repeated');
  assert.equal(done.status, 'finished');
  assert.deepEqual([done.progress?.done, done.progress?.total, done.progress?.unit], [16, 16, 'step']);
  assert.ok(done.images.some((f) => /^samples_step_\d+\.png$/.test(f)), done.images.join(', '));
  const report = (await job(second.id)).report as { resumed?: { step: number }; model: string };
  assert.equal(report.resumed?.step, s, 'the second job started where the first stopped');
  const models = (await (await fetch(`${url}/api/fast/models`)).json()) as { model: string; label: string }[];
  const m = models.find((x) => x.model === report.model);
  assert.ok(m, 'the trained model is in the fast-style list');
  assert.match(m.label, /mosaic/);
  r = await fetch(`${url}/api/fast/onnx?model=${encodeURIComponent(report.model)}&height=32&width=32`);
  assert.equal(r.status, 200, 'and exports to ONNX for the browser');
  assert.equal((await postJson(`${url}/api/runs/${STUDIO_ROOT}/mosaic/resume`, {})).status, 409, 'a finished run is not resumed');
});

test('cyclegan train: stop mid-run and resume: the loss log goes on from the stopped iteration; epoch and progress agree', async () => {
  let r = await postJson(`${url}/api/jobs`, { kind: 'cyclegan-train', train: { dataset: { root: 0, name: 'discs' }, name: 'discs', options: { ...GAN_TINY, n_epochs: 200, n_epochs_decay: 0, pool_size: 2 } } });
  assert.equal(r.status, 201, await r.clone().text());
  const first = (await r.json()) as JobRecord;
  await until('a few loss points', async () => (await run('discs')).entries.length >= 4);
  const live = await run('discs');
  assert.equal(live.status, 'training');
  assert.equal(live.progress?.total, 200);
  assert.equal(live.progress?.epoch, live.entries.at(-1)!.epoch, 'the epoch shown is the logged one');
  assert.ok(live.progress!.done > live.progress!.epoch! - 1 && live.progress!.done <= live.progress!.epoch!, `done ${live.progress?.done} within epoch ${live.progress?.epoch}`);
  await postJson(`${url}/api/runs/${STUDIO_ROOT}/discs/stop`, {});
  await until('the run to stop', async () => (await job(first.id)).status === 'stopped');
  const dir = path.join(home.dir, 'studio', 'runs', 'discs');
  assert.ok(existsSync(path.join(dir, 'latest_state.pth')), 'stopping saved a checkpoint');
  const totals = () => readFileSync(path.join(dir, 'loss_log.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { total_iters: number }).total_iters);
  const atStop = totals();
  const last = atStop.at(-1)!;
  r = await postJson(`${url}/api/runs/${STUDIO_ROOT}/discs/resume`, {});
  assert.equal(r.status, 201);
  const second = (await r.json()) as JobRecord;
  await until('new loss points', async () => totals().length >= atStop.length + 3);
  await postJson(`${url}/api/runs/${STUDIO_ROOT}/discs/stop`, {});
  await until('the resumed run to stop', async () => (await job(second.id)).status === 'stopped');
  const after = totals();
  assert.deepEqual(after.slice(0, atStop.length + 3), [...atStop, last + 1, last + 2, last + 3], 'continued from the checkpoint, not from 0');
  const report = (await job(second.id)).report as { resumed?: { exact: boolean; totalIters: number } };
  assert.deepEqual(report.resumed && [report.resumed.exact, report.resumed.totalIters], [true, last]);
});

test('pix2pix train: a short run finishes; its samples and consistent progress are served', async () => {
  const r = await postJson(`${url}/api/jobs`, { kind: 'pix2pix-train', train: { dataset: { root: 0, name: 'pairs' }, options: { ...GAN_TINY, n_epochs: 2, n_epochs_decay: 1 } } });
  assert.equal(r.status, 201, await r.clone().text());
  const j = (await r.json()) as JobRecord;
  const name = j.request.train!.name!;
  assert.match(name, /^pix2pix-/);
  await until('the run to finish', async () => (await job(j.id)).status === 'done', 180000);
  const d = await run(name);
  assert.equal(d.status, 'finished');
  assert.deepEqual([d.progress?.epoch, d.progress?.epochs, d.progress?.done, d.progress?.total], [3, 3, 3, 3]);
  assert.ok(d.images.length > 0);
  const img = await fetch(`${url}/api/runs/${STUDIO_ROOT}/${name}/images/${d.images[0]}`);
  assert.equal(img.headers.get('content-type'), 'image/png');
  const list = (await (await fetch(`${url}/api/runs`)).json()) as RunSummary[];
  assert.ok(list.some((x) => x.name === name && x.root === STUDIO_ROOT && x.job?.id === j.id));
  const cmd = ((await (await fetch(`${url}/api/jobs/${j.id}/command`)).json()) as { command: string }).command;
  assert.match(cmd, /^ai-art pix2pix train --dataroot pairs --name pix2pix-\S+ .*--n_epochs 2/);
});
