import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import sharp from 'sharp';
import {
  DEMO_SCENE_NAMES,
  blankRaw,
  contactSheet,
  contactSheetPng,
  cropRaw,
  demoScene,
  demoScenePng,
  demoSceneSvg,
  fontsAvailable,
  lossPlot,
  lossPlotSvg,
  saveImage,
  type RawImage,
} from '../../src/images/index.js';
import { patternRaw, pixel, tempDir } from './helpers.js';

const dir = tempDir('pictures');

function solid(w: number, h: number, rgb: [number, number, number]): RawImage {
  const img = blankRaw(w, h);
  rgb.forEach((v, c) => img.data.fill(v, c * w * h, (c + 1) * w * h));
  return img;
}

function darkest(img: RawImage): number {
  return Math.min(...luma(img));
}

function luma(img: RawImage): number[] {
  const n = img.width * img.height;
  return Array.from({ length: n }, (_, i) => (img.data[i] + img.data[n + i] + img.data[2 * n + i]) / 3);
}

const sha = (b: Uint8Array | Float32Array): string =>
  createHash('sha256')
    .update(new Uint8Array(b.buffer, b.byteOffset, b.byteLength))
    .digest('hex');

test('fonts: probe agrees with fc-list', async (t) => {
  let listed = '';
  try {
    listed = execFileSync('fc-list', { encoding: 'utf8' });
  } catch {
    t.skip('fc-list not installed');
    return;
  }
  if (listed.trim() === '') {
    assert.equal(await fontsAvailable(), false);
  } else {
    assert.equal(await fontsAvailable(), true, 'fonts are installed, so librsvg should draw text');
  }
});

for (const mode of ['font', 'bitmap'] as const) {
  test(`contact sheet (${mode} text): layout size, thumbnails placed, labels drawn`, async (t) => {
    if (mode === 'font' && !(await fontsAvailable())) {
      t.skip('no fonts on this machine; the bitmap variant covers labels');
      return;
    }
    const items = [
      { image: solid(64, 32, [1, 0, 0]), label: 'red' },
      { image: solid(32, 64, [0, 0, 1]), label: 'blue, a long label that will not fit in the cell' },
      { image: solid(16, 16, [0, 1, 0]), label: 'green 16px' },
    ];
    const opts = { cellSize: 64, gap: 8, columns: 2, text: mode };
    const sheet = await contactSheet(items, opts);
    assert.equal(sheet.width, 2 * 64 + 3 * 8);
    const rowsOnly = await contactSheet(
      items.map((i) => ({ image: i.image })),
      opts,
    );
    // without labels: two rows of max thumbnail height 64 (the 16px one is upscaled 4x to 64)
    assert.equal(rowsOnly.height, 64 + 64 + 3 * 8);
    assert.ok(sheet.height > rowsOnly.height, 'labels take space');
    // thumbnails: red one centred in cell 0, bottom-aligned; green upscaled crisply to 64x64
    assert.deepEqual(pixel(sheet, 8 + 32, 8 + 64 - 16), [1, 0, 0]);
    assert.deepEqual(pixel(rowsOnly, 8 + 32, 8 + 64 + 8 + 32), [0, 1, 0]);
    // the label band under cell 0 has dark text pixels; the same band without labels is white
    const labelH = (sheet.height - rowsOnly.height) / 2;
    const band = cropRaw(sheet, 8, 8 + 64 + 1, 64, labelH - 2);
    assert.ok(darkest(band) < 0.5, 'label text drawn');
    const titled = await contactSheet(items, { ...opts, title: 'Results' });
    assert.ok(titled.height > sheet.height);
    assert.ok(darkest(cropRaw(titled, 0, 0, titled.width, 20)) < 0.5, 'title drawn');
    await saveImage(titled, path.join(dir, `sheet-${mode}.png`));
  });
}

test('contact sheet from files and PNG output', async () => {
  const f = path.join(dir, 'pattern.png');
  await saveImage(patternRaw(300, 200), f);
  const png = await contactSheetPng(
    [
      { image: f, label: 'pattern.png' },
      { image: patternRaw(50, 50, 2), label: 'raw' },
    ],
    { cellSize: 100 },
  );
  const m = await sharp(png).metadata();
  assert.equal(m.format, 'png');
  assert.equal(m.channels, 3);
  assert.equal(m.width, 2 * 100 + 3 * 8);
  await assert.rejects(contactSheet([]), RangeError);
});

test('loss plot: PNG of the requested size with the lines drawn; SVG names the series', async () => {
  const values = Array.from({ length: 200 }, (_, i) => 1e6 * Math.exp(-i / 30) + 1e3);
  const gan = Array.from({ length: 200 }, (_, i) => (i % 17 === 0 ? Number.NaN : 2 + Math.sin(i / 5)));
  const { svg, png } = await lossPlot(
    [
      { name: 'style cost', values },
      { name: 'G <adv> & D', values: gan },
    ],
    { title: 'costs', logY: true, width: 500, height: 300, xLabel: 'iteration' },
  );
  assert.match(svg, /^<svg[^>]+width="500" height="300"/);
  assert.ok(
    svg.includes('style cost') && svg.includes('G &lt;adv&gt; &amp; D'),
    'names escaped into the legend',
  );
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height], [500, 300]);
  // the first series colour (#1f77b4) appears on many pixels
  let blue = 0;
  for (let i = 0; i < data.length; i += info.channels) {
    if (
      Math.abs(data[i] - 0x1f) < 12 &&
      Math.abs(data[i + 1] - 0x77) < 12 &&
      Math.abs(data[i + 2] - 0xb4) < 12
    )
      blue++;
  }
  assert.ok(blue > 300, `line pixels: ${blue}`);
  writeFileSync(path.join(dir, 'plot.png'), png);
});

test('loss plot edge cases do not throw: empty, one point, constant, all non-positive on log, bitmap text', async () => {
  for (const [series, opts] of [
    [[], {}],
    [[{ name: 'one', values: [3] }], {}],
    [[{ name: 'flat', values: [2, 2, 2, 2] }], { logY: true }],
    [[{ name: 'neg', values: [-1, -2, 0] }], { logY: true }],
    [[{ name: 'x given', values: [5, 4, 3], x: [10, 20, 40] }], { text: 'bitmap' as const, yLabel: 'loss' }],
  ] as const) {
    const { png } = await lossPlot(
      series.map((s) => ({ ...s, values: [...s.values], x: 'x' in s ? [...s.x] : undefined })),
      { ...opts, width: 200, height: 120 },
    );
    const m = await sharp(png).metadata();
    assert.deepEqual([m.width, m.height], [200, 120]);
  }
  assert.match(lossPlotSvg([], {}), /no data/);
});

test('demo scenes: deterministic, of the requested size, distinct and not blank', async () => {
  const hashes = new Set<string>();
  for (const name of DEMO_SCENE_NAMES) {
    const a = await demoScene(name, { width: 96, height: 64 });
    const b = await demoScene(name, { width: 96, height: 64 });
    assert.deepEqual([a.width, a.height], [96, 64]);
    assert.equal(sha(a.data), sha(b.data), `${name} is deterministic`);
    hashes.add(sha(a.data));
    const l = luma(a);
    const mean = l.reduce((s, v) => s + v, 0) / l.length;
    const sd = Math.sqrt(l.reduce((s, v) => s + (v - mean) ** 2, 0) / l.length);
    assert.ok(sd > 0.05, `${name} has structure (sd ${sd})`);
  }
  assert.equal(hashes.size, DEMO_SCENE_NAMES.length);
  const s1 = await demoScene('landscape', { width: 80, seed: 1 });
  const s2 = await demoScene('landscape', { width: 80, seed: 2 });
  assert.deepEqual([s1.width, s1.height], [80, 60], 'content scene defaults to 4:3');
  assert.notEqual(sha(s1.data), sha(s2.data), 'the seed changes the picture');
  assert.equal(demoSceneSvg('mosaic', 50, 50, 3), demoSceneSvg('mosaic', 50, 50, 3));
  const png = await demoScenePng('waves', { width: 33, height: 71 });
  const m = await sharp(png).metadata();
  assert.deepEqual([m.width, m.height, m.channels], [33, 71, 3]);
  const one = await demoScene('swirls', { width: 1, height: 1 });
  assert.equal(one.data.length, 3);
  assert.throws(() => demoSceneSvg('nope' as never, 10, 10), /unknown demo scene/);
});
