/**
 * The training and test loops (official train.py / test.py) on tiny networks and synthetic
 * pictures: what they log, save and publish, and that a run stopped at iteration k and resumed
 * with --continue_train produces the uninterrupted run's losses bit for bit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { trainGan, testGan, CheckpointError, type GanOptionInput } from '../../src/gan/index.js';
import { defineD, loadGenerator } from '../../src/models/networks.js';
import { loadImage } from '../../src/images/index.js';
import { readModuleStateDict } from '../../src/weights/index.js';
import { tempDir } from '../images/helpers.js';
import { alignedDataset, unalignedDataset } from '../helpers/gan_data.js';

const tmp = tempDir('gan-train');
const unaligned = path.join(tmp, 'unaligned');
const aligned = path.join(tmp, 'aligned');
await unalignedDataset(unaligned);
await alignedDataset(aligned);
const ckpt = path.join(tmp, 'checkpoints');
const quiet = { threads: 2, log: () => undefined, warn: () => undefined };

const CYCLE: GanOptionInput = {
  dataroot: unaligned,
  checkpoints_dir: ckpt,
  model: 'cycle_gan',
  netG: 'resnet_6blocks',
  ngf: 4,
  ndf: 4,
  load_size: 36,
  crop_size: 32,
  num_threads: 1,
  pool_size: 2,
};
const PIX2PIX: GanOptionInput = {
  dataroot: aligned,
  checkpoints_dir: ckpt,
  model: 'pix2pix',
  netG: 'unet_128',
  ngf: 4,
  ndf: 4,
  load_size: 128,
  crop_size: 128,
  num_threads: 1,
};

interface LogLine {
  epoch: number;
  iters: number;
  total_iters: number;
  t_comp: number;
  t_data: number;
  [loss: string]: number;
}

function readLog(name: string): LogLine[] {
  const text = readFileSync(path.join(ckpt, name, 'loss_log.jsonl'), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as LogLine);
}

/** The deterministic part of a log line (no timings). */
function lossesOf(l: LogLine): string {
  const { t_comp: _c, t_data: _d, time: _t, ...rest } = l;
  return JSON.stringify(rest);
}

function imgSrcs(html: string): string[] {
  return [...html.matchAll(/<img src="([^"]+)"/g)].map((m) => decodeURIComponent(m[1]));
}

test('CycleGAN: losses logged, official checkpoints, training page, and test.py results', async () => {
  const name = 'cycle';
  const lines: string[] = [];
  const r = await trainGan(
    { ...CYCLE, name, n_epochs: 1, n_epochs_decay: 1, print_freq: 2, display_freq: 2, save_epoch_freq: 1 },
    { ...quiet, log: (l) => lines.push(l) },
  );
  assert.equal(r.interrupted, false);
  assert.equal(r.iterations, 6, '3 pictures (max of 3 A and 2 B) x 2 epochs');
  assert.deepEqual(r.saved, ['latest', '1', 'latest', '2']);

  const log = readLog(name);
  assert.deepEqual(
    log.map((l) => [l.epoch, l.iters, l.total_iters]),
    [
      [1, 2, 2],
      [2, 1, 4],
      [2, 3, 6],
    ],
  );
  for (const l of log) {
    for (const k of ['D_A', 'G_A', 'cycle_A', 'idt_A', 'D_B', 'G_B', 'cycle_B', 'idt_B'])
      assert.ok(Number.isFinite(l[k]) && l[k] > 0, `${k} = ${l[k]}`);
    assert.ok(l.t_comp > 0 && l.t_data >= 0);
  }
  assert.ok(
    lines.some((l) =>
      /^\(epoch: 2, iters: 3, time: \d+\.\d{3}, data: \d+\.\d{3}\) D_A: \d+\.\d{3} G_A:/.test(l),
    ),
  );
  assert.ok(lines.some((l) => /^End of epoch 2 \/ 2 \t Time Taken: \d+ sec$/.test(l)));
  assert.ok(
    lines.includes('learning rate 0.0002000 -> 0.0001000'),
    'the schedule steps at the start of epoch 1',
  );

  const dir = path.join(ckpt, name);
  for (const label of ['latest', '1', '2']) {
    for (const net of ['G_A', 'G_B', 'D_A', 'D_B'])
      assert.ok(existsSync(path.join(dir, `${label}_net_${net}.pth`)), `${label}_net_${net}.pth`);
  }
  const gA = loadGenerator(await readModuleStateDict(path.join(dir, 'latest_net_G_A.pth')));
  assert.equal(gA.inferred.netG, 'resnet_6blocks');
  assert.equal(gA.inferred.ngf, 4);
  defineD({ netD: 'basic', ndf: 4, norm: 'instance' }, { init: false }).loadStateDict(
    await readModuleStateDict(path.join(dir, '2_net_D_B.pth')),
  );
  const optTxt = await readFile(path.join(dir, 'train_opt.txt'), 'utf8');
  assert.match(optTxt, /^\s+ngf: 4\s+\[default: 64\]$/m);

  const html = await readFile(path.join(dir, 'web', 'index.html'), 'utf8');
  const srcs = imgSrcs(html);
  assert.ok(srcs.includes('loss.png'));
  for (const s of srcs) assert.ok(existsSync(path.join(dir, 'web', s)), `${s} exists`);
  const epoch2 = srcs.filter((s) => s.startsWith('images/epoch002_')).map((s) => s.slice(16, -4));
  assert.deepEqual(epoch2, ['real_A', 'fake_B', 'rec_A', 'idt_B', 'real_B', 'fake_A', 'rec_B', 'idt_A']);

  const results = path.join(tmp, 'results');
  const t = await testGan(
    { ...CYCLE, name, results_dir: results, load_size: 32, crop_size: 32, num_test: 2, pool_size: undefined },
    quiet,
  );
  assert.equal(t.webDir, path.join(results, name, 'test_latest'));
  assert.equal(t.images, 2, '--num_test 2');
  const page = await readFile(t.index, 'utf8');
  const shown = imgSrcs(page);
  assert.deepEqual(
    shown.slice(0, 6).map((s) => s.replace('images/a0_', '')),
    ['real_A.png', 'fake_B.png', 'rec_A.png', 'real_B.png', 'fake_A.png', 'rec_B.png'],
  );
  assert.equal(shown.length, 12);
  for (const s of shown) {
    const img = await loadImage(path.join(t.webDir, s));
    assert.deepEqual([img.width, img.height], [32, 32]);
  }
});

test('pix2pix test: without --eval batch norm and dropout act as in training, with --eval they do not', async () => {
  const name = 'p2p_eval';
  await trainGan({ ...PIX2PIX, name, n_epochs: 1, n_epochs_decay: 1, print_freq: 100 }, quiet);
  const run = async (o: GanOptionInput): Promise<Buffer> => {
    const results = path.join(tmp, `results_${String(o.seed)}_${String(o.eval)}`);
    const t = await testGan({ ...PIX2PIX, name, results_dir: results, num_test: 1, ...o }, quiet);
    assert.equal(t.images, 1);
    const files = t.files[0].outputs.map((f) => path.basename(f));
    assert.deepEqual(files, ['p0_real_A.png', 'p0_fake_B.png', 'p0_real_B.png']);
    // Pixels: the files also carry each run's options (PNG tEXt), which differ in seed and folder.
    const img = await loadImage(t.files[0].outputs[1]);
    return Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  };
  // Dropout masks come from --seed: two seeds differ in training mode, not in eval mode.
  const train1 = await run({ seed: 1 });
  const train2 = await run({ seed: 2 });
  const eval1 = await run({ seed: 1, eval: true });
  const eval2 = await run({ seed: 2, eval: true });
  assert.notDeepEqual(train1, train2, 'dropout is active without --eval');
  assert.deepEqual(eval1, eval2, 'no dropout with --eval');
  assert.notDeepEqual(train1, eval1, 'batch statistics differ from running statistics');
});

/** Trains `total` iterations uninterrupted, and again stopped after `k` and continued; returns both logs. */
async function resumeCase(
  base: GanOptionInput,
  name: string,
  stop: (p: { totalIters: number }, abort: () => void) => void,
): Promise<{ full: LogLine[]; resumed: LogLine[]; before: number }> {
  await trainGan({ ...base, name: `${name}_full` }, quiet);
  const ac = new AbortController();
  try {
    const r = await trainGan(
      { ...base, name: `${name}_cut` },
      { ...quiet, signal: ac.signal, onProgress: (p) => stop(p, () => ac.abort()) },
    );
    assert.equal(r.interrupted, true);
    assert.ok(r.saved.includes('latest'));
  } catch (e) {
    if (!(e instanceof Error) || e.message !== 'simulated crash') throw e;
  }
  const before = readLog(`${name}_cut`).length;
  const r2 = await trainGan({ ...base, name: `${name}_cut`, continue_train: true }, quiet);
  assert.equal(r2.interrupted, false);
  assert.equal(r2.resumed?.exact, true);
  return { full: readLog(`${name}_full`), resumed: readLog(`${name}_cut`), before };
}

test('CycleGAN: Ctrl-C mid-epoch then --continue_train reproduces the uninterrupted losses exactly', async () => {
  const base = { ...CYCLE, n_epochs: 2, n_epochs_decay: 1, print_freq: 1, display_freq: 1000 };
  const k = 4;
  const { full, resumed, before } = await resumeCase(base, 'cyc_resume', (p, abort) => {
    if (p.totalIters === k) abort();
  });
  assert.equal(full.length, 9);
  assert.equal(before, k);
  const after = resumed.slice(before);
  assert.deepEqual(
    after.map(lossesOf),
    full.slice(k).map(lossesOf),
    'losses after the resume point are bit-identical',
  );
  // By iteration 4 the pool (size 2) is full and swaps images, so its contents and Rng matter.
  assert.equal(after.length, 5);
});

test('pix2pix: a crash after an end-of-epoch save resumes with identical losses (dropout, batch norm, Adam)', async () => {
  const base = {
    ...PIX2PIX,
    n_epochs: 1,
    n_epochs_decay: 2,
    print_freq: 1,
    display_freq: 1000,
    save_epoch_freq: 1,
  };
  const { full, resumed, before } = await resumeCase(base, 'p2p_resume', (p) => {
    // Epoch 1 (3 pictures) is saved at its end; die two iterations into epoch 2.
    if (p.totalIters === 5) throw new Error('simulated crash');
  });
  assert.equal(full.length, 9);
  assert.equal(before, 5, 'the killed run logged 5 lines');
  const after = resumed.slice(before);
  assert.equal(after.length, 6, 'the resumed run starts again at epoch 2');
  assert.deepEqual(after.map(lossesOf), full.slice(3).map(lossesOf));
  assert.ok(full.slice(3).some((l, i) => l.G_L1 !== full[i].G_L1));
});

test('--continue_train: a checkpoint of another architecture is refused naming keys; one without state resumes as the official code', async () => {
  const name = 'arch';
  await trainGan({ ...CYCLE, name, n_epochs: 1, n_epochs_decay: 0 }, quiet);
  await assert.rejects(
    trainGan({ ...CYCLE, name, n_epochs: 1, n_epochs_decay: 0, ngf: 8, continue_train: true }, quiet),
    (e: unknown) =>
      e instanceof CheckpointError &&
      /latest_net_G_A\.pth does not fit network G_A/.test(e.message) &&
      /model\.1\.weight: checkpoint has \[4,3,7,7\], model expects \[8,3,7,7\]/.test(e.message) &&
      /looks like --netG resnet_6blocks --ngf 4 --norm instance --no_dropout/.test(e.message),
  );
  rmSync(path.join(ckpt, name, 'latest_state.pth'));
  const warnings: string[] = [];
  const r = await trainGan(
    { ...CYCLE, name, n_epochs: 2, n_epochs_decay: 0, epoch_count: 2, continue_train: true },
    { ...quiet, warn: (m) => warnings.push(m) },
  );
  assert.equal(r.resumed?.exact, false);
  assert.ok(warnings.some((w) => /no trainer state/.test(w)));
  assert.equal(r.iterations, 3, 'epoch 2 only');
});
