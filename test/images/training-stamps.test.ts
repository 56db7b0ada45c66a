/**
 * Every PNG a training run writes carries the options stamp (PNG tEXt 'ai-art'): the GAN
 * trainers' web/images samples and loss plot, `gan test` results, fast train's sample grids
 * and loss plot. The test walks the folders tiny runs wrote, so a new PNG writer without the
 * stamp fails it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { trainGan, testGan } from '../../src/gan/index.js';
import { trainFast } from '../../src/fast/train.js';
import { readOptionsStamp } from '../../src/images/index.js';
import { tempDir } from './helpers.js';
import { alignedDataset, unalignedDataset } from '../helpers/gan_data.js';
import { fastDataset, styleImage } from '../helpers/fast_data.js';

const tmp = tempDir('training-stamps');
const quiet = { threads: 1, log: () => undefined, warn: () => undefined };

function pngsUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.png'))
    .map((d) => path.join(d.parentPath, d.name));
}

function assertStamped(files: string[], command: string): void {
  assert.ok(files.length > 0, 'the run wrote pictures');
  for (const f of files) {
    const s = readOptionsStamp(readFileSync(f));
    assert.ok(s, `${f} has no options stamp`);
    assert.equal(s.command, command, f);
  }
}

test('cyclegan train and test: every sample, plot and result PNG carries the run options', async () => {
  const data = path.join(tmp, 'unaligned');
  await unalignedDataset(data);
  const ckpt = path.join(tmp, 'checkpoints');
  const o = { dataroot: data, checkpoints_dir: ckpt, name: 'c', model: 'cycle_gan', netG: 'resnet_6blocks', ngf: 4, ndf: 4, load_size: 36, crop_size: 32, num_threads: 0 };
  await trainGan({ ...o, n_epochs: 1, n_epochs_decay: 0, pool_size: 2, print_freq: 1, display_freq: 1, update_html_freq: 1 }, quiet);
  const pngs = pngsUnder(path.join(ckpt, 'c'));
  assert.ok(pngs.some((f) => f.endsWith('loss.png')) && pngs.some((f) => /epoch001_fake_B\.png$/.test(f)), pngs.join(', '));
  assertStamped(pngs, 'cyclegan train');
  const s = readOptionsStamp(readFileSync(pngs[0]))!;
  assert.equal(s.options.ngf, 4);
  assert.deepEqual(s.inputs, { dataroot: 'unaligned' });
  const results = path.join(tmp, 'results');
  await testGan({ ...o, results_dir: results, num_test: 1 }, quiet);
  assertStamped(pngsUnder(results), 'cyclegan test');
});

test('pix2pix train: its samples carry the pix2pix options', async () => {
  const data = path.join(tmp, 'aligned');
  await alignedDataset(data, { size: 32 });
  const ckpt = path.join(tmp, 'checkpoints');
  await trainGan(
    { dataroot: data, checkpoints_dir: ckpt, name: 'p', model: 'pix2pix', netG: 'resnet_6blocks', ngf: 4, ndf: 4, load_size: 32, crop_size: 32, num_threads: 0, n_epochs: 1, n_epochs_decay: 0, print_freq: 1, display_freq: 1 },
    quiet,
  );
  assertStamped(pngsUnder(path.join(ckpt, 'p')), 'pix2pix train');
});

test('fast train: sample grids and the loss plot carry the options', async () => {
  const dataset = await fastDataset(path.join(tmp, 'fast-data'), 6);
  const style = await styleImage(path.join(tmp, 'style.png'));
  const out = path.join(tmp, 'fast');
  await trainFast(
    { dataset, styleImage: style, saveModelDir: out, imageSize: 32, batchSize: 2, width: 'half', vgg: 'random', holdBack: 2, logInterval: 1, checkpointInterval: 1, iterations: 2, threads: 1 },
    quiet,
  );
  const pngs = pngsUnder(out);
  assert.ok(pngs.some((f) => f.endsWith('loss.png')) && pngs.some((f) => /samples_step_2\.png$/.test(f)), pngs.join(', '));
  assertStamped(pngs, 'fast train');
  assert.equal(readOptionsStamp(readFileSync(pngs[0]))!.options.imageSize, 32);
});
