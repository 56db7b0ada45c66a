import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { demoScenePng, loadImage } from '../../src/images/index.js';
import { Translator, resolveGenerator, nearestValid } from '../../src/gan/translate.js';
import { assertClose, loadFixture, FIXTURES_DIR } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-art-translate-'));
const resnet = path.join(FIXTURES_DIR, 'gan', 'fwd_resnet9_instance.pth');
const unet = path.join(FIXTURES_DIR, 'gan', 'fwd_unet32_instance.pth');

test('translating with an official checkpoint matches PyTorch', async () => {
  const fx = loadFixture('gan/fwd_resnet9_instance');
  const gen = await resolveGenerator(resnet);
  assert.equal(gen.netG, 'resnet_9blocks');
  const tr = new Translator(gen);
  const x = fx.tensors.input.data as Float32Array;
  const out = await tr.translate({ width: 32, height: 32, data: x.map((v) => (v + 1) / 2) });
  const want = (fx.tensors.output_train.data as Float32Array).map((v) => (v + 1) / 2);
  assertClose(out.data, want, { atol: 1e-4, rtol: 1e-4 }, 'translated');
  await tr.release();
});

test('ai-art translate takes a folder, any size for ResNets, and reports as JSON', async () => {
  const dir = path.join(tmp, 'in');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'a.png'), await demoScenePng('landscape', { width: 50, height: 38 }));
  fs.writeFileSync(path.join(dir, 'b.png'), await demoScenePng('waves', { width: 33, height: 33 }));
  const out = path.join(tmp, 'out');
  const r = await runCli(['translate', dir, '--model', resnet, '-o', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout.trim());
  assert.equal(rep.outputs.length, 2);
  const a = await loadImage(path.join(out, 'a.png'));
  assert.deepEqual([a.width, a.height], [50, 38]);
  const b = await loadImage(path.join(out, 'b.png'));
  assert.deepEqual([b.width, b.height], [33, 33]);
});

test('a U-Net refuses sizes it cannot take, naming the nearest valid ones; --pad fits them', async () => {
  assert.deepEqual(nearestValid(50, 32), [32, 64]);
  const img = path.join(tmp, 'odd.png');
  fs.writeFileSync(img, await demoScenePng('landscape', { width: 50, height: 40 }));
  const r = await runCli(['translate', img, '--model', unet, '-o', path.join(tmp, 'u')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /50x40; unet_32 takes sizes that are multiples of 32: nearest widths 32 or 64, heights 32 or 64/);
  const ok = await runCli(['translate', img, '--model', unet, '-o', path.join(tmp, 'u'), '--pad']);
  assert.equal(ok.code, 0, ok.stderr);
});

test('options that contradict the checkpoint are named', async () => {
  const img = path.join(tmp, 'x.png');
  fs.writeFileSync(img, await demoScenePng('landscape', { width: 32, height: 32 }));
  const r = await runCli(['translate', img, '--model', resnet, '-o', path.join(tmp, 'v'), '--ngf', '64', '--norm', 'batch']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--ngf 64, but model\.1\.weight is \[2,3,7,7\]/);
  assert.match(r.stderr, /--norm batch, but the checkpoint was trained with instance norm/);
  const missing = await runCli(['translate', img, '--model', 'horse2zebra', '-o', path.join(tmp, 'w')], {
    env: { AI_ART_HOME: path.join(tmp, 'home'), AI_ART_HUB_MIRROR: 'http://127.0.0.1:9/' },
  });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /horse2zebra/);
});
