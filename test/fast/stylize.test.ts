/**
 * `fast stylize`'s models and pictures: the network PyTorch exported to ONNX (opset 9 with a
 * fixed 24x32 input as the ONNX zoo's, and opset 17 with dynamic sizes) runs through
 * --model FILE.onnx to PyTorch's output, also at a size it was not exported at; the same
 * weights as a .pth give the same; the value-range switch scales in and out; models that are
 * not image-to-image are refused clearly; pictures keep their size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { F, Graph, toOnnxBytes } from '../../src/engine/index.js';
import { FastError, loadContent, loadFastModel, scaledSize, stylizeImage } from '../../src/fast/index.js';
import { saveImage } from '../../src/images/index.js';
import { assertClose, loadFixture } from '../helpers/fixtures.js';
import { FAST_FIXTURES } from './helpers.js';

const fx = loadFixture('fast/tiny_w4');
const tmp = mkdtempSync(path.join(tmpdir(), 'ai-art-fast-'));

function tol(expected: Float32Array): { atol: number; rtol: number } {
  let m = 0;
  for (const v of expected) m = Math.max(m, Math.abs(v));
  return { atol: 1e-4 * m, rtol: 0 };
}

for (const file of ['tiny_w4_opset9_fixed.onnx', 'tiny_w4_opset17.onnx', 'tiny_w4.pth', 'tiny_w4_legacy.pth']) {
  test(`${file}: PyTorch's output, at the export size and another`, async () => {
    const model = await loadFastModel(path.join(FAST_FIXTURES, file), { threads: 2 });
    try {
      assert.equal(model.kind, file.endsWith('.onnx') ? 'onnx' : 'transformer_net');
      for (const [i, o] of [
        ['input', 'output'],
        ['input2', 'output2'],
      ]) {
        const shape = fx.shape(i) as [number, number, number, number];
        const y = await model.run(fx.f32(i), shape);
        assertClose(y, fx.f32(o), tol(fx.f32(o)), `${file} ${i}`, shape);
      }
    } finally {
      await model.release();
    }
  });
}

test('the opset-9 zoo-style model declares its batch of one; a TransformerNet takes batches', async () => {
  const onnx = await loadFastModel(path.join(FAST_FIXTURES, 'tiny_w4_opset9_fixed.onnx'));
  const pth = await loadFastModel(path.join(FAST_FIXTURES, 'tiny_w4.pth'));
  try {
    assert.equal(onnx.maxBatch, 1);
    assert.match(onnx.description, /input1 \[1,3,24,32\], values 0-255/);
    const x = fx.f32('input');
    const two = new Float32Array(2 * x.length);
    two.set(x);
    two.set(x.map((v) => 255 - v), x.length);
    const y = await pth.run(two, [2, 3, 24, 32]);
    assertClose(y.subarray(0, x.length), fx.f32('output'), tol(fx.f32('output')), 'batch item 0', [1, 3, 24, 32]);
    const second = await pth.run(two.subarray(x.length), [1, 3, 24, 32]);
    assertClose(y.subarray(x.length), second, { atol: 1e-4, rtol: 1e-5 }, 'batch item 1 alone');
  } finally {
    await onnx.release();
    await pth.release();
  }
});

test('--value-range 1: the model sees x/255 and its output is scaled by 255', async () => {
  const file = path.join(FAST_FIXTURES, 'tiny_w4_opset17.onnx');
  const m255 = await loadFastModel(file);
  const m1 = await loadFastModel(file, { valueRange: 1 });
  try {
    assert.match(m1.description, /values 0-1/);
    const x = fx.f32('input');
    const shape = fx.shape('input') as [number, number, number, number];
    const direct = await m255.run(x.map((v) => v / 255), shape);
    const scaled = await m1.run(x, shape);
    assertClose(scaled, direct.map((v) => v * 255), { atol: 1e-3, rtol: 1e-5 }, 'value range 1');
  } finally {
    await m255.release();
    await m1.release();
  }
});

function writeModel(name: string, build: (g: Graph) => Record<string, import('../../src/engine/index.js').Tensor>): string {
  const g = new Graph();
  const file = path.join(tmp, name);
  writeFileSync(file, toOnnxBytes(build(g)));
  return file;
}

test('models that are not image to image are refused with what they take', async () => {
  const rank3 = writeModel('rank3.onnx', (g) => ({ out: F.mul(g.input('image', [3, 24, 32]), 2) }));
  await assert.rejects(loadFastModel(rank3), (e: Error) => e instanceof FastError && /input image \[3,24,32\] has rank 3; fast stylize needs an NCHW image input \[N,3,H,W\]/.test(e.message));
  const two = writeModel('two.onnx', (g) => ({ out: F.add(g.input('a', [1, 3, 8, 8]), g.input('b', [1, 3, 8, 8])) }));
  await assert.rejects(loadFastModel(two), /one image input and one image output; this one has inputs a \[1,3,8,8\], b \[1,3,8,8\]/);
  const junk = path.join(tmp, 'junk.onnx');
  writeFileSync(junk, 'not a model');
  await assert.rejects(loadFastModel(junk), /not an ONNX model/);
  await assert.rejects(loadFastModel(path.join(tmp, 'missing.pth')), /no such file/);
  await assert.rejects(loadFastModel('vgg19'), /vgg19 is not a fast style transfer model/);
});

test('pictures keep their size (reflect-padded to a multiple of 4 and cropped back); --content-scale as pytorch/examples', async () => {
  const model = await loadFastModel(path.join(FAST_FIXTURES, 'tiny_w4.pth'));
  try {
    const w = 97;
    const h = 65;
    const data = new Float32Array(3 * w * h).map((_, i) => ((i * 31) % 256) / 255);
    const file = path.join(tmp, 'pic.png');
    await saveImage({ width: w, height: h, data }, file);
    const img = await loadContent(file);
    const out = await stylizeImage(model, img);
    assert.deepEqual([out.width, out.height], [w, h]);
    const small = await loadContent(file, { contentScale: 2 });
    assert.deepEqual([small.width, small.height], [48, 32], 'int(97 / 2) x int(65 / 2)');
    assert.deepEqual(scaledSize(1024, 768, 3), { width: 341, height: 256 });
    const sized = await loadContent(file, { size: 40 });
    assert.deepEqual([sized.width, sized.height], [40, 27]);
    await assert.rejects(loadContent(file, { size: 40, contentScale: 2 }), /give one/);
  } finally {
    await model.release();
  }
});
