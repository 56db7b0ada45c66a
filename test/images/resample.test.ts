import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { loadFixture, type Json } from '../helpers/fixtures.js';
import {
  loadImage,
  resampleU8,
  resizeRaw,
  resizeLongestSide,
  sizeForLongestSide,
  toHWC8,
  toRaw,
  type Kernel,
} from '../../src/images/index.js';
import { tempDir, maxAbsDiff } from './helpers.js';

const fx = loadFixture('images/resize');
const src = fx.tensors.src.data as Uint8Array;
const [H, W] = fx.shape('src');
const dir = tempDir('resample');

interface Case {
  key: string;
  filter: Exclude<Kernel, 'nearest'>;
  width: number;
  height: number;
}
const cases = fx.meta.cases as unknown as Case[];

test('resampleU8 matches Pillow byte for byte (lanczos, bicubic, bilinear, box; down, up, mixed)', () => {
  assert.ok(cases.length >= 10);
  for (const c of cases) {
    const out = resampleU8(src, W, H, 3, c.width, c.height, c.filter);
    const ref = fx.tensors[c.key].data as Uint8Array;
    let diffs = 0;
    for (let i = 0; i < ref.length; i++) if (out[i] !== ref[i]) diffs++;
    assert.equal(diffs, 0, `${c.key}: ${diffs} bytes differ from Pillow`);
  }
});

test('float resize matches Pillow mode "F" lanczos', () => {
  const plane = Float32Array.from({ length: W * H }, (_, i) => src[i * 3 + 2] / 255);
  for (const c of fx.meta.float_cases as unknown as { key: string; width: number; height: number }[]) {
    const img = { width: W, height: H, data: new Float32Array(3 * W * H) };
    img.data.set(plane, 2 * W * H);
    const out = resizeRaw(img, c.width, c.height, 'lanczos3');
    const blue = out.data.subarray(2 * c.width * c.height);
    assert.ok(maxAbsDiff(blue, fx.f32(c.key)) < 2e-6, c.key);
  }
});

test('longest-side sizes round like Python 3 (half to even) and match the reference', () => {
  for (const size of fx.meta.longest_side as Json[] as number[]) {
    const t = sizeForLongestSide(W, H, size);
    assert.ok(
      fx.has(`lanczos3_${t.width}x${t.height}`),
      `no Pillow case for ${size}: ${t.width}x${t.height}`,
    );
  }
  // 5 * 0.5 = 2.5 -> 2 and 7 * 0.5 = 3.5 -> 4 in Python; Math.round would give 3 and 4
  assert.deepEqual(sizeForLongestSide(10, 5, 5), { width: 5, height: 2 });
  assert.deepEqual(sizeForLongestSide(10, 7, 5), { width: 5, height: 4 });
  assert.deepEqual(sizeForLongestSide(1000, 1, 10), { width: 10, height: 1 });
});

test('loadImage with size reproduces the reference pipeline (PNG -> Pillow LANCZOS -> /255) exactly', async () => {
  const file = path.join(dir, 'src.png');
  writeFileSync(
    file,
    await sharp(Buffer.from(src), { raw: { width: W, height: H, channels: 3 } })
      .png()
      .toBuffer(),
  );
  for (const size of fx.meta.longest_side as Json[] as number[]) {
    const img = await loadImage(file, { size });
    const key = `lanczos3_${img.width}x${img.height}`;
    assert.deepEqual(toHWC8(img), Buffer.from(fx.tensors[key].data as Uint8Array), key);
    // and the floats are exactly numpy's uint8 / 255.0 in float32
    assert.equal(img.data[0], Math.fround((fx.tensors[key].data as Uint8Array)[0] / 255));
  }
});

test('resizeRaw: nearest keeps values, identity size is a copy, longest side helper', () => {
  const img = toRaw(Buffer.from(src), W, H, 3);
  const same = resizeRaw(img, W, H);
  assert.deepEqual(same.data, img.data);
  assert.notEqual(same.data, img.data);
  const nn = resizeRaw(img, W * 2, H * 2, 'nearest');
  assert.equal(nn.data[0], img.data[0]);
  assert.equal(nn.data[2 * W * 2 + 3], img.data[W + 1]); // (3,2) in the big one comes from (1,1)
  const ls = resizeLongestSide(img, 24);
  assert.equal(Math.max(ls.width, ls.height), 24);
  assert.throws(() => resizeRaw(img, 0, 5), RangeError);
});
