import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demoScene, type RawImage } from '../../src/images/index.js';
import { StyleNet } from '../../src/style/objective.js';
import { stylize, scheduleIterations, autoStyleWeight, type StylizeOptions } from '../../src/style/stylize.js';
import { loadVgg } from '../../src/style/vgg.js';
import { historyFor, resolveSettings, parseLayerWeights, StyleOptionError } from '../../src/style/options.js';

const small = async () => ({
  content: await demoScene('landscape', { width: 48, height: 36 }),
  style: await demoScene('swirls', { width: 48, height: 36 }),
});

/**
 * J(G) of an image, composed here in float64 from its VGG features (a feature program, not the
 * objective's graph) by the paper's formulas, with stylize's targets and normalisation: random
 * weights normalise each layer by its target's mean square, and β is autoStyleWeight.
 */
async function independentTotal(image: RawImage, content: RawImage, style: RawImage, opts: StylizeOptions): Promise<number> {
  const loaded = await loadVgg('random', 0);
  const { content: _content, styles: _styles, contentMask: _mask, styleMasks: _masks, ...options } = opts;
  const s = resolveSettings(options, 1, loaded.random);
  const net = new StyleNet(loaded.build(s.pooling), 'independent', { threads: 2 });
  try {
    const [h, w] = [image.height, image.width];
    const feats = (img: RawImage, acts: readonly string[], grams: readonly string[]) => net.features(img.data, img.height, img.width, acts, grams);
    const target = await feats(content, s.contentLayers, []);
    const styleTarget = await feats(style, [], s.styleLayers);
    const mine = await feats(image, [...s.contentLayers, ...s.styleLayers], s.styleLayers);
    const sumSq = (a: Float32Array, b: Float32Array) => a.reduce((acc, v, i) => acc + (v - b[i]) ** 2, 0);
    const meanSq = (a: Float32Array) => a.reduce((acc, v) => acc + v * v, 0) / a.length;
    let contentCost = 0;
    for (const l of s.contentLayers) {
      const aC = target.acts.get(l)!;
      contentCost += sumSq(mine.acts.get(l)!, aC) / (4 * aC.length) / (meanSq(aC) + 1e-12);
    }
    let styleCost = 0;
    s.styleLayers.forEach((l, i) => {
      const gS = styleTarget.grams.get(l)!;
      const nC = Math.sqrt(gS.length);
      const nHW = mine.acts.get(l)!.length / nC;
      styleCost += (s.styleLayerWeights[i] * sumSq(mine.grams.get(l)!, gS)) / (4 * nC * nC * nHW * nHW) / (meanSq(gS) + 1e-12);
    });
    return s.contentWeight * contentCost + autoStyleWeight(h, w, true) * styleCost;
  } finally {
    await net.release();
  }
}

test('style transfer lowers the total cost, and the reported cost is that of the image it returns', async () => {
  const { content, style } = await small();
  const costs: number[] = [];
  const opts: StylizeOptions = { content, styles: [style], size: 48, iterations: 15, weights: 'random', styleLayers: ['conv1_1', 'conv2_1', 'conv3_1'] };
  const { image, report } = await stylize(opts, { onProgress: (p) => costs.push(p.total) });
  assert.equal(image.width, 48);
  assert.equal(image.height, 36);
  assert.equal(report.evaluations, 15);
  assert.equal(costs.length, 15);
  assert.ok(costs[14] < costs[0] * 0.5, `cost fell from ${costs[0]} to ${costs[14]}`);
  assert.ok(report.final.content > 0 && report.final.style > 0, 'both terms are active');
  for (const v of image.data) assert.ok(v >= 0 && v <= 1);
  const want = await independentTotal(image, content, style, opts);
  const err = Math.abs(report.final.total - want);
  assert.ok(err < 1e-3 * want, `final total ${report.final.total} vs ${want} evaluated on the returned image`);
  // The check tells images apart: the last iterate (before clamping to [0, 1]) is further off.
  assert.ok(Math.abs(costs[14] - want) > 1e-3 * want, `the last iterate's cost ${costs[14]} is not told apart from ${want}`);
});

test('an abort keeps the last frame and says so', async () => {
  const { content, style } = await small();
  const ctrl = new AbortController();
  const { image, report } = await stylize(
    { content, styles: [style], size: 48, iterations: 50, weights: 'random', styleLayers: ['conv1_1'] },
    { signal: ctrl.signal, onProgress: (p) => p.evaluation === 4 && ctrl.abort() },
  );
  assert.equal(report.interrupted, true);
  assert.equal(report.evaluations, 4);
  assert.equal(image.width, 48);
});

test('coarse-to-fine gives most iterations to the coarse scales and ends at full size', async () => {
  assert.deepEqual(scheduleIterations(70, 3), [40, 20, 10]);
  const { content, style } = await small();
  const sizes: number[] = [];
  const { image, report } = await stylize(
    { content, styles: [style, style], styleBlendWeights: [1, 3], size: 48, iterations: 6, scales: 2, weights: 'random', styleLayers: ['conv1_1'] },
    { onProgress: (p) => sizes.push(p.size[1]) },
  );
  assert.deepEqual([...new Set(sizes)], [24, 48]);
  assert.equal(image.width, 48);
  assert.equal(report.evaluations, 6);
});

test('the default style weight keeps the balance across sizes for normalised costs', () => {
  assert.equal(autoStyleWeight(96, 128, true), 1e10);
  assert.equal(autoStyleWeight(192, 256, true), 16e10);
  assert.equal(autoStyleWeight(192, 256, false), 1e3);
});

test('options: presets, overrides and clear errors', () => {
  const s = resolveSettings({ preset: 'gatys' }, 1, false);
  assert.deepEqual(s.contentLayers, ['relu4_2']);
  assert.deepEqual(s.styleLayerWeights, [1, 1, 1, 1, 1]);
  assert.equal(s.pooling, 'max');
  assert.equal(s.normalizeLayers, false);
  const r = resolveSettings({ styleLayers: ['conv1_1', 'conv2_1'] }, 1, true);
  assert.deepEqual(r.styleLayerWeights, [1, 0.0625]);
  assert.equal(r.normalizeLayers, true);
  assert.deepEqual(parseLayerWeights('exp:2', 3), [1, 2, 4]);
  assert.throws(() => resolveSettings({ styleLayers: ['conv9_9'] }, 1, true), (e: Error) => e instanceof StyleOptionError && /valid layers: conv1_1, relu1_1/.test(e.message));
  assert.throws(() => resolveSettings({ contentWeight: -1 }, 1, true), /--content-weight must be a number ≥ 0, got -1/);
  assert.throws(() => resolveSettings({ styleLayerWeights: '1,2' }, 1, true), /2 weights for 5 style layers/);
  assert.throws(() => resolveSettings({ styleLayers: ['pool1'] }, 1, true), /pooling layer/);
  assert.throws(() => resolveSettings({ styleBlendWeights: [1] }, 2, true), /1 weights for 2 style images/);
});

test('a tiled run follows the one-pass run and says it tiles', async () => {
  const content = await demoScene('landscape', { width: 120, height: 90 });
  const style = await demoScene('swirls', { width: 80, height: 60 });
  const base = { content, styles: [style], size: 120, iterations: 8, weights: 'random', styleLayers: ['relu1_1', 'relu2_1', 'relu3_1'], contentLayers: ['relu3_1'] };
  const one = await stylize(base);
  const notices: string[] = [];
  const tiled = await stylize({ ...base, tileSize: 64 }, { notice: (m) => notices.push(m) });
  assert.ok(notices.some((m) => /windows of/.test(m)), notices.join('\n'));
  for (const k of ['total', 'content', 'style'] as const) {
    const [a, b] = [one.report.final[k], tiled.report.final[k]];
    assert.ok(Math.abs(a - b) <= 1e-3 * a, `${k}: one pass ${a}, tiled ${b}`);
  }
  // Float rounding differs (window sums, Winograd tiles), and eight L-BFGS steps amplify it a little.
  let d = 0;
  let mean = 0;
  for (let i = 0; i < one.image.data.length; i++) {
    const e = Math.abs(one.image.data[i] - tiled.image.data[i]);
    d = Math.max(d, e);
    mean += e / one.image.data.length;
  }
  assert.ok(d < 1e-2 && mean < 2e-4, `images differ by up to ${d}, ${mean} on average`);
});

test('large sizes default to coarse-to-fine from about 512 px', () => {
  assert.equal(resolveSettings({}, 1, true).scales, 1);
  assert.equal(resolveSettings({ size: 1024 }, 1, true).scales, 1);
  assert.equal(resolveSettings({ size: 1025 }, 1, true).scales, 2);
  assert.equal(resolveSettings({ size: 2048 }, 1, true).scales, 3);
  assert.equal(resolveSettings({ size: 2048, scales: 1 }, 1, true).scales, 1);
  for (let size = 1025; size <= 8192; size += 37) {
    const first = size / 2 ** (resolveSettings({ size }, 1, true).scales - 1);
    assert.ok(first >= 512 / Math.SQRT2 && first <= 512 * Math.SQRT2, `${size} px starts at ${first} px`);
  }
});

test('coarse scales of a wide picture keep its short side deep enough for conv5_1', async () => {
  const content = await demoScene('landscape', { width: 96, height: 24 });
  const sizes = new Map<number, [number, number]>();
  const { image } = await stylize(
    { content, styles: [content], size: 96, iterations: 3, scales: 3, weights: 'random', styleLayers: ['conv5_1'], contentLayers: ['conv5_1'] },
    { onProgress: (p) => sizes.set(p.scale, p.size) },
  );
  assert.equal(image.width, 96);
  // 24 and 48 px long sides would leave 6 and 12 px short ones; both scales clamp to 64x16.
  assert.deepEqual([...sizes], [[1, [16, 64]], [2, [16, 64]], [3, [24, 96]]]);
});

test('a tiled run takes an empty layer list where that weight is 0', async () => {
  const content = await demoScene('landscape', { width: 120, height: 90 });
  const style = await demoScene('swirls', { width: 80, height: 60 });
  const base = { content, styles: [style], size: 120, iterations: 2, weights: 'random', tileSize: 64, init: 'noise' };
  const cases: [Partial<StylizeOptions>, 'content' | 'style'][] = [
    [{ contentWeight: 0, contentLayers: [], styleLayers: ['relu1_1', 'relu2_1'] }, 'content'],
    [{ styleWeight: 0, styleLayers: [], contentLayers: ['relu2_1'] }, 'style'],
  ];
  for (const [opts, zero] of cases) {
    const notices: string[] = [];
    const { image, report } = await stylize({ ...base, ...opts }, { notice: (m) => notices.push(m) });
    assert.ok(notices.some((m) => /windows of/.test(m)), `${zero} 0: ${notices.join('; ')}`);
    assert.equal(image.width, 120);
    assert.equal(report.final[zero], 0);
    assert.ok(report.final.total > 0);
  }
});

test('--tolerance ends each scale once the cost stalls; without it every evaluation runs', async () => {
  const { content, style } = await small();
  const base: StylizeOptions = { content, styles: [style], size: 48, iterations: 60, scales: 2, weights: 'random', styleLayers: ['conv1_1', 'conv2_1'] };
  const run = async (tolerance: number) => {
    const seen: { scale: number; total: number }[] = [];
    const { report } = await stylize({ ...base, tolerance }, { onProgress: (p) => seen.push({ scale: p.scale, total: p.total }) });
    return { report, seen };
  };
  const full = await run(0);
  assert.equal(full.report.evaluations, 60);
  const early = await run(0.2);
  assert.equal(early.report.interrupted, false, 'a converged scale is not an interruption');
  assert.ok(early.report.evaluations < 60, `${early.report.evaluations} evaluations`);
  // Both scales ran, each stopped where its last 10 evaluations gained less than 20%.
  for (const k of [1, 2]) {
    const costs = early.seen.filter((p) => p.scale === k).map((p) => p.total);
    assert.ok(costs.length > 10, `scale ${k}: ${costs.length} evaluations`);
    const n = costs.length;
    const scheduled = scheduleIterations(60, 2)[k - 1];
    if (n < scheduled) assert.ok((costs[n - 11] - costs[n - 1]) / costs[n - 1] < 0.2, `scale ${k} stopped while still improving`);
  }
});

test('the default L-BFGS history is 100 pairs up to about 0.45 megapixels, then stays within 1 GB', () => {
  assert.equal(historyFor(512 * 384), 100);
  assert.equal(historyFor(1024 * 768), 56);
  assert.equal(historyFor(2048 * 1536), 14);
  assert.ok(2 * 4 * 3 * 2048 * 1536 * historyFor(2048 * 1536) <= 2 ** 30);
  assert.equal(historyFor(16384 * 16384), 5);
});

test('--keep-in-range keeps every iterate in [0, 1], so clamping the result costs nothing', async () => {
  const { content, style } = await small();
  const base: StylizeOptions = { content, styles: [style], size: 48, iterations: 25, weights: 'random', styleLayers: ['conv1_1', 'conv2_1', 'conv3_1'] };
  const lastCost = async (keepInRange: boolean) => {
    let last = NaN;
    const { report } = await stylize({ ...base, keepInRange }, { onProgress: (p) => (last = p.total) });
    return { last, final: report.final.total };
  };
  const kept = await lastCost(true);
  assert.ok(Math.abs(kept.final - kept.last) <= 1e-4 * kept.last, `the returned image costs ${kept.final}, its last iterate ${kept.last}`);
  const free = await lastCost(false);
  assert.ok(free.final > free.last * 1.01, `unbounded: clamping the last iterate ${free.last} gives ${free.final}`);
  assert.ok(kept.final < free.final, `in range ${kept.final} vs clamped at the end ${free.final}`);
});
