import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { assertClose, loadFixture, FIXTURES_DIR } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-art-export-'));

/** Exports an official-code checkpoint and runs it in plain onnxruntime against PyTorch's output. */
async function roundTrip(fixture: string, extra: string[]): Promise<void> {
  const fx = loadFixture(`gan/${fixture}`);
  const out = path.join(tmp, `${fixture}.onnx`);
  const r = await runCli(['export', 'onnx', path.join(FIXTURES_DIR, 'gan', `${fixture}.pth`), '-o', out, '--size', '32', ...extra]);
  assert.equal(r.code, 0, r.stderr);
  const s = await ort.InferenceSession.create(out);
  const input = fx.tensors.input;
  const res = await s.run({ input: new ort.Tensor('float32', input.data as Float32Array, input.shape) });
  assertClose(res.output.data as Float32Array, fx.tensors.output_train.data as Float32Array, { atol: 1e-4, rtol: 1e-4 }, fixture);
  await s.release();
}

test('a generator checkpoint exports to ONNX that plain onnxruntime runs at parity with PyTorch', async () => {
  await roundTrip('fwd_resnet9_instance', []);
});

test('a discriminator checkpoint exports with --netD', async () => {
  await roundTrip('fwd_basic_instance', ['--netD', 'basic', '--norm', 'instance']);
  const r = await runCli(['export', 'onnx', path.join(FIXTURES_DIR, 'gan', 'fwd_basic_instance.pth'), '-o', path.join(tmp, 'd.onnx')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /looks like a discriminator: pass --netD/);
});

test('VGG-19 features export up to a chosen layer', async () => {
  const out = path.join(tmp, 'vgg.onnx');
  const r = await runCli(['export', 'onnx', 'vgg19-random', '-o', out, '--size', '48x64', '--upto', 'relu2_1']);
  assert.equal(r.code, 0, r.stderr);
  const s = await ort.InferenceSession.create(out);
  const res = await s.run({ input: new ort.Tensor('float32', new Float32Array(3 * 48 * 64).fill(0.5), [1, 3, 48, 64]) });
  assert.deepEqual(res.output.dims, [1, 128, 24, 32]);
  assert.ok((res.output.data as Float32Array).every((v) => v >= 0), 'relu output');
  await s.release();
});
