import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  luminance,
  matchHistogram,
  matchLuminance,
  originalColors,
  rgbToYiq,
  yiqToRgb,
  type RawImage,
} from '../../src/images/index.js';
import { maxAbsDiff, patternRaw, pixel } from './helpers.js';

function meanStd(x: Float32Array): [number, number] {
  const m = x.reduce((a, b) => a + b, 0) / x.length;
  return [m, Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / x.length)];
}

/** Keeps values away from 0 and 1 so clamping does not hide errors. */
function mid(img: RawImage): RawImage {
  return { ...img, data: img.data.map((v) => 0.25 + 0.5 * v) };
}

test('YIQ round trip, and luma is Rec. 601', () => {
  const img = patternRaw(9, 7, 4);
  assert.ok(maxAbsDiff(yiqToRgb(rgbToYiq(img)).data, img.data) < 1e-5);
  const [r, g, b] = pixel(img, 3, 2);
  assert.ok(Math.abs(luminance(img)[2 * 9 + 3] - (0.299 * r + 0.587 * g + 0.114 * b)) < 1e-6);
});

test('originalColors = YIQ swap: stylised luma, content chroma', () => {
  const content = mid(patternRaw(16, 12, 1));
  const stylised = mid(patternRaw(16, 12, 9));
  const out = originalColors(stylised, content);
  // the long way round through YIQ
  const ys = rgbToYiq(stylised);
  const yc = rgbToYiq(content);
  const n = 16 * 12;
  const mixed = { width: 16, height: 12, data: yc.data.slice() };
  mixed.data.set(ys.data.subarray(0, n), 0);
  const expect = yiqToRgb(mixed);
  assert.ok(maxAbsDiff(out.data, expect.data) < 1e-5);
  assert.ok(maxAbsDiff(luminance(out), luminance(stylised)) < 1e-5, 'luma comes from the stylised image');
  // and it differs from both inputs
  assert.ok(maxAbsDiff(out.data, stylised.data) > 0.05);
  // a content of another size is resized to the stylised one
  const big = originalColors(stylised, mid(patternRaw(32, 24, 1)));
  assert.deepEqual([big.width, big.height], [16, 12]);
});

test('matchLuminance moves the style luma to the content mean and spread', () => {
  const style = mid(patternRaw(20, 20, 5));
  const content = { ...patternRaw(20, 20, 6), data: patternRaw(20, 20, 6).data.map((v) => 0.4 + 0.1 * v) };
  const [mc, sc] = meanStd(luminance(content));
  const [mo, so] = meanStd(luminance(matchLuminance(style, content)));
  assert.ok(Math.abs(mo - mc) < 1e-4 && Math.abs(so - sc) < 1e-4, `${mo} ${so} vs ${mc} ${sc}`);
});

test('matchHistogram gives the source the reference distribution per channel', () => {
  const src = patternRaw(40, 30, 2);
  const ref = { ...patternRaw(30, 30, 3), data: patternRaw(30, 30, 3).data.map((v) => v * v * 0.8) };
  const out = matchHistogram(src, ref);
  for (let c = 0; c < 3; c++) {
    const [mo, so] = meanStd(out.data.subarray(c * 1200, (c + 1) * 1200));
    const [mr, sr] = meanStd(ref.data.subarray(c * 900, (c + 1) * 900));
    assert.ok(
      Math.abs(mo - mr) < 0.02 && Math.abs(so - sr) < 0.02,
      `channel ${c}: ${mo},${so} vs ${mr},${sr}`,
    );
  }
  // order is kept: brighter source pixels stay brighter (red ramps left to right)
  assert.ok(pixel(out, 39, 5)[0] >= pixel(out, 0, 5)[0]);
});
