import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  blankRaw,
  cropRaw,
  flattenU8,
  hflip,
  padRaw,
  padToMultiple,
  stackNCHW,
  toByte,
  toHWC8,
  toRaw,
  unstackNCHW,
  fromSigned,
  toSigned,
  normalizeRaw,
  denormalizeRaw,
} from '../../src/images/index.js';
import { maxAbsDiff, patternRaw, pixel } from './helpers.js';

test('toRaw and toHWC8 are exact inverses on bytes, CHW order', () => {
  const buf = Buffer.from(Array.from({ length: 4 * 3 * 3 }, (_, i) => (i * 37) % 256));
  const img = toRaw(buf, 4, 3);
  assert.equal(img.data.length, 36);
  // pixel (1, 0) is bytes 3..5 and lands in plane c at index 1
  assert.deepEqual(pixel(img, 1, 0), [buf[3] / 255, buf[4] / 255, buf[5] / 255].map(Math.fround));
  assert.deepEqual(toHWC8(img), buf);
});

test('toByte rounds half to even after clamping, as torch/numpy round()', () => {
  assert.equal(toByte(-0.3), 0);
  assert.equal(toByte(1.7), 255);
  assert.equal(toByte(Number.NaN), 0);
  // float32 values whose float32 product with 255 is exactly k + 0.5: numpy/torch give the even one
  assert.equal(toByte(0.0019607844296842813), 0); // 0.5 -> 0
  assert.equal(toByte(0.0058823530562222), 2); // 1.5 -> 2
  assert.equal(toByte(0.009803921915590763), 2); // 2.5 -> 2
  assert.equal(toByte(Math.fround(1 / 255)), 1);
  assert.equal(toByte(0.999), 255);
});

test('flattenU8 expands grey and composites alpha over white', () => {
  assert.deepEqual([...flattenU8(Uint8Array.from([10, 200]), 2, 1, 1)], [10, 10, 10, 200, 200, 200]);
  // grey 0 at alpha 0 -> white; grey 0 at alpha 255 -> black; red at half alpha -> pink
  assert.deepEqual([...flattenU8(Uint8Array.from([0, 0, 0, 255]), 2, 1, 2)], [255, 255, 255, 0, 0, 0]);
  assert.deepEqual([...flattenU8(Uint8Array.from([255, 0, 0, 128]), 1, 1, 4)], [255, 127, 127]);
});

test('cropRaw picks the right window and refuses boxes outside', () => {
  const img = patternRaw(10, 8);
  const c = cropRaw(img, 3, 2, 4, 5);
  assert.equal(c.width, 4);
  assert.equal(c.height, 5);
  for (const [x, y] of [
    [0, 0],
    [3, 4],
    [2, 1],
  ])
    assert.deepEqual(pixel(c, x, y), pixel(img, x + 3, y + 2));
  assert.throws(() => cropRaw(img, 8, 0, 4, 4), RangeError);
});

test('padRaw reflect matches PyTorch reflect (edge not repeated), edge and constant too', () => {
  const row = { width: 4, height: 1, data: Float32Array.from([1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0]) };
  const r = padRaw(row, { top: 0, bottom: 0, left: 2, right: 3 }, 'reflect');
  assert.deepEqual([...r.data.subarray(0, 9)], [3, 2, 1, 2, 3, 4, 3, 2, 1]);
  const e = padRaw(row, { top: 0, bottom: 0, left: 2, right: 1 }, 'edge');
  assert.deepEqual([...e.data.subarray(0, 7)], [1, 1, 1, 2, 3, 4, 4]);
  const k = padRaw(row, { top: 1, bottom: 0, left: 1, right: 0 }, 'constant', 0.5);
  assert.deepEqual([...k.data.subarray(0, 10)], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1, 2, 3, 4]);
  // pads larger than the image keep mirroring instead of failing (numpy's np.pad reflect)
  const big = padRaw(row, { top: 0, bottom: 0, left: 7, right: 0 }, 'reflect');
  assert.deepEqual([...big.data.subarray(0, 11)], [2, 1, 2, 3, 4, 3, 2, 1, 2, 3, 4]);
  // a 1-pixel side cannot mirror: it repeats
  const one = padRaw(
    { width: 1, height: 1, data: Float32Array.from([7, 8, 9]) },
    { top: 1, bottom: 1, left: 1, right: 1 },
  );
  assert.deepEqual([...one.data.subarray(0, 9)], [7, 7, 7, 7, 7, 7, 7, 7, 7]);
});

test('padToMultiple pads to the multiple and its box crops back the original', () => {
  const img = patternRaw(13, 6);
  const { image, box } = padToMultiple(img, 4);
  assert.equal(image.width, 16);
  assert.equal(image.height, 8);
  const back = cropRaw(image, box.x, box.y, box.width, box.height);
  assert.deepEqual(back.data, img.data);
  assert.equal(padToMultiple(patternRaw(8, 4), 4).image.width, 8);
});

test('hflip mirrors columns and is its own inverse', () => {
  const img = patternRaw(5, 3);
  const f = hflip(img);
  assert.deepEqual(pixel(f, 0, 1), pixel(img, 4, 1));
  assert.deepEqual(hflip(f).data, img.data);
});

test('stackNCHW / unstackNCHW round trip and refuse mixed sizes', () => {
  const a = patternRaw(4, 3, 1);
  const b = patternRaw(4, 3, 2);
  const { data, shape } = stackNCHW([a, b]);
  assert.deepEqual(shape, [2, 3, 3, 4]);
  const [a2, b2] = unstackNCHW(data, shape);
  assert.deepEqual(a2.data, a.data);
  assert.deepEqual(b2.data, b.data);
  assert.throws(() => stackNCHW([a, blankRaw(3, 3)]), /expected 4x3/);
});

test('signed and normalised ranges invert', () => {
  const img = patternRaw(6, 5);
  assert.ok(maxAbsDiff(fromSigned(toSigned(img)).data, img.data) < 1e-6);
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const z = normalizeRaw(img, mean, std);
  assert.ok(Math.abs(z.data[0] - (img.data[0] - 0.485) / 0.229) < 1e-6);
  assert.ok(maxAbsDiff(denormalizeRaw(z, mean, std).data, img.data) < 1e-6);
});
