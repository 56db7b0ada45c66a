/**
 * `fast train` as a library: it learns (held-back costs fall against the untrained network),
 * saves a model with TransformerNet's keys, logs and checkpoints, resumes exactly, and refuses
 * bad input before writing anything.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { trainFast, type FastLogEntry } from '../../src/fast/train.js';
import type { FastTrainInput } from '../../src/fast/train_options.js';
import { TransformerNet } from '../../src/models/transformer_net.js';
import { readModuleStateDict } from '../../src/weights/index.js';
import { tempDir } from '../images/helpers.js';
import { fastDataset, styleImage } from '../helpers/fast_data.js';

const tmp = tempDir('fast-train');
const dataset = await fastDataset(path.join(tmp, 'data'), 10);
const style = await styleImage(path.join(tmp, 'style.png'));
const quiet = { log: () => undefined, warn: () => undefined };
const base = (name: string): FastTrainInput => ({
  dataset,
  styleImage: style,
  saveModelDir: path.join(tmp, name),
  imageSize: 32,
  batchSize: 2,
  width: 'half',
  vgg: 'random',
  holdBack: 2,
  logInterval: 1,
  checkpointInterval: 3,
  threads: 2,
});

test('it learns: a short run lowers the held-back pictures style and content costs', async (t) => {
  const r = await trainFast({ ...base('learns'), epochs: 10, iterations: 40, lr: 1e-2 }, quiet);
  const { before, after } = r.heldBack;
  t.diagnostic(`held back (2 pictures): content ${before.content.toPrecision(4)} -> ${after.content.toPrecision(4)}, style ${before.style.toPrecision(4)} -> ${after.style.toPrecision(4)}; ${r.steps} steps, ${r.secondsPerStep.toFixed(3)} s/step`);
  assert.equal(r.steps, 40);
  assert.ok(after.style < 0.5 * before.style, `style ${before.style} -> ${after.style}`);
  assert.ok(after.total < 0.5 * before.total, `total ${before.total} -> ${after.total}`);
  assert.ok(after.content < before.content, `content ${before.content} -> ${after.content}`);
  // The saved model is a TransformerNet state_dict (what neural_style.py eval loads).
  assert.ok(r.model && r.model.endsWith('style.pth'));
  const sd = await readModuleStateDict(r.model);
  const want = [...new TransformerNet({ width: 'half' }).namedTensors()].map(([k]) => k);
  assert.deepEqual([...sd.keys()].sort(), want.sort());
  // Reference-named checkpoints, the resumable one, the log, the plot and sample grids.
  const files = readdirSync(r.checkpointDir);
  for (const f of ['ckpt_epoch_0_batch_id_3.pth', 'latest_net_transformer.pth', 'latest_state.pth', 'loss.jsonl', 'loss.png', 'samples_step_3.png'])
    assert.ok(files.includes(f), `${f} in ${files.join(', ')}`);
  const log = readFileSync(path.join(r.checkpointDir, 'loss.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as FastLogEntry);
  assert.equal(log.length, 40);
  assert.deepEqual([log[0].epoch, log[0].batch, log[0].count, log[0].dataset], [1, 1, 2, 8]);
  assert.equal(log[3].epoch, 1, '8 training pictures in batches of 2: 4 per epoch');
  assert.equal(log[4].epoch, 2);
});

test('a stopped run resumes with exactly the losses of an uninterrupted one', async () => {
  const full = await trainFast({ ...base('full'), epochs: 2 }, quiet);
  assert.equal(full.steps, 8);
  const ac = new AbortController();
  const first = await trainFast({ ...base('split'), epochs: 2 }, { ...quiet, onProgress: (p) => p.step === 5 && ac.abort(), signal: ac.signal });
  assert.equal(first.interrupted, true);
  assert.equal(first.model, null);
  const second = await trainFast({ ...base('split'), epochs: 2 }, quiet);
  assert.deepEqual(second.resumed, { step: 5, epoch: 2, batch: 1 });
  assert.equal(second.steps, 8);
  const read = (dir: string) => readFileSync(path.join(dir, 'loss.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as FastLogEntry);
  const a = read(full.checkpointDir);
  const b = read(second.checkpointDir);
  assert.deepEqual(b.map((e) => [e.step, e.content, e.style, e.last]), a.map((e) => [e.step, e.content, e.style, e.last]));
  assert.deepEqual(readFileSync(second.model!), readFileSync(full.model!), 'the same final weights');
});

test('bad input: clear errors, nothing written', async () => {
  const empty = path.join(tmp, 'empty');
  await mkdir(path.join(empty, 'sub'), { recursive: true });
  await writeFile(path.join(empty, 'sub', 'notes.txt'), 'no pictures');
  const out = path.join(tmp, 'bad-out');
  await assert.rejects(trainFast({ ...base('x'), dataset: empty, saveModelDir: out }, quiet), /--dataset: no pictures in .*empty \(looked for .jpg .jpeg .png/);
  assert.equal(existsSync(out), false);
  const notImage = path.join(tmp, 'style.jpg');
  await writeFile(notImage, 'not a picture');
  await assert.rejects(trainFast({ ...base('x'), styleImage: notImage, saveModelDir: out }, quiet), /--style-image: .*style\.jpg/);
  await assert.rejects(trainFast({ ...base('x'), styleImage: path.join(tmp, 'missing.png'), saveModelDir: out }, quiet), /--style-image: .*missing\.png/);
  assert.equal(existsSync(out), false);
  const locked = path.join(tmp, 'locked');
  await mkdir(locked);
  await chmod(locked, 0o500);
  if (process.getuid?.() !== 0) {
    await assert.rejects(trainFast({ ...base('x'), saveModelDir: path.join(locked, 'out') }, quiet), /--save-model-dir .*locked.* is not a writable folder/);
    await assert.rejects(trainFast({ ...base('x'), saveModelDir: locked }, quiet), /--save-model-dir .*locked is not a writable folder \(permission denied\)/);
  }
  await chmod(locked, 0o700);
  assert.deepEqual(readdirSync(locked), []);
  await assert.rejects(trainFast({ ...base('x'), batchSize: 0 }, quiet), /--batch-size must be a positive whole number/);
});
