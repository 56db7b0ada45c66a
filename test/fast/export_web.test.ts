/**
 * `ai-art export onnx` for TransformerNet: the exported file (a pytorch/examples checkpoint
 * with the obsolete running statistics) reproduces PyTorch's output in onnxruntime-node, and
 * runs in onnxruntime-web's wasm backend (in Node; the browser check comes with the studio)
 * to the same output as onnxruntime-node, at full width where the engine lowers the residual
 * blocks' convolutions to Winograd.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { TransformerNet } from '../../src/models/networks.js';
import { HostTensor, writePth } from '../../src/weights/index.js';
import { assertClose, loadFixture } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';
import { FAST_FIXTURES } from './helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-art-export-fast-'));
// Worker threads are the browser's business; in Node one wasm thread keeps the test simple.
ortWeb.env.wasm.numThreads = 1;

async function runNode(file: string, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(file);
  try {
    return (await s.run({ input: new ort.Tensor('float32', x, shape) })).output.data as Float32Array;
  } finally {
    await s.release();
  }
}

async function runWeb(file: string, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const s = await ortWeb.InferenceSession.create(fs.readFileSync(file), { executionProviders: ['wasm'] });
  try {
    return (await s.run({ input: new ortWeb.Tensor('float32', x, shape) })).output.data as Float32Array;
  } finally {
    await s.release();
  }
}

function scaleTol(y: Float32Array): { atol: number; rtol: number } {
  let m = 0;
  for (const v of y) m = Math.max(m, Math.abs(v));
  return { atol: 1e-4 * m, rtol: 0 };
}

test('a pytorch/examples checkpoint exports to ONNX at parity with PyTorch, in onnxruntime-node and -web', async () => {
  const fx = loadFixture('fast/tiny_w4');
  const out = path.join(tmp, 'tiny.onnx');
  const r = await runCli(['export', 'onnx', path.join(FAST_FIXTURES, 'tiny_w4_legacy.pth'), '-o', out, '--size', '24x32']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /TransformerNet 4-channel width, input \[1,3,24,32\]/);
  const x = fx.f32('input');
  const node = await runNode(out, x, [1, 3, 24, 32]);
  assertClose(node, fx.f32('output'), scaleTol(fx.f32('output')), 'onnxruntime-node vs PyTorch');
  const web = await runWeb(out, x, [1, 3, 24, 32]);
  assertClose(web, node, scaleTol(node), 'onnxruntime-web vs onnxruntime-node');
});

test('a full-width TransformerNet (Winograd residual blocks) runs in onnxruntime-web as in onnxruntime-node', async () => {
  const net = new TransformerNet({ width: 'full', seed: 11 });
  const pth = path.join(tmp, 'full.pth');
  await writePth(pth, new Map([...net.stateDict()].map(([k, v]) => [k, HostTensor.of(v.data as Float32Array, [...v.shape])])));
  const out = path.join(tmp, 'full.onnx');
  const r = await runCli(['export', 'onnx', pth, '-o', out, '--size', '64x80']);
  assert.equal(r.code, 0, r.stderr);
  const ops = fs.readFileSync(out).toString('latin1');
  assert.ok(ops.includes('MatMul'), 'Winograd products in the graph');
  const x = new Float32Array(3 * 64 * 80).map((_, i) => (i * 37) % 256);
  const node = await runNode(out, x, [1, 3, 64, 80]);
  const web = await runWeb(out, x, [1, 3, 64, 80]);
  assertClose(web, node, scaleTol(node), 'onnxruntime-web vs onnxruntime-node');
});
