/** `ai-art fast train` on bad input: one clear line, no stack trace, exit 1, nothing written. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../images/helpers.js';
import { fastDataset, styleImage } from '../helpers/fast_data.js';

const tmp = tempDir('fast-train-cli');
const data = await fastDataset(path.join(tmp, 'data'), 2);
const style = await styleImage(path.join(tmp, 'style.png'));

async function refused(args: string[], message: RegExp): Promise<void> {
  const r = await runCli(['fast', 'train', ...args]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

test('fast train: empty dataset, unreadable style image, unwritable save folder', async () => {
  const empty = path.join(tmp, 'empty');
  await mkdir(empty);
  const out = path.join(tmp, 'out');
  await refused(['--dataset', empty, '--style-image', style, '--save-model-dir', out], /^ai-art: --dataset: no pictures in .*empty/m);
  const bad = path.join(tmp, 'bad.jpg');
  await writeFile(bad, 'not a jpeg');
  await refused(['--dataset', data, '--style-image', bad, '--save-model-dir', out], /^ai-art: --style-image: .*bad\.jpg/m);
  assert.equal(existsSync(out), false, 'nothing written');
  const file = path.join(tmp, 'a-file');
  await writeFile(file, '');
  await refused(['--dataset', data, '--style-image', style, '--save-model-dir', path.join(file, 'sub')], /^ai-art: --save-model-dir .*a-file\/sub is not a writable folder/m);
});

test('fast train: usage errors and help', async () => {
  const r = await runCli(['fast', 'train', '--dataset', data]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /missing --style-image, --save-model-dir/);
  const h = await runCli(['fast', 'train', '--help']);
  assert.equal(h.code, 0);
  for (const flag of ['--content-weight', '--style-weight', '--checkpoint-interval', '--vgg', '--width', '--iterations']) assert.ok(h.stdout.includes(flag), flag);
});
