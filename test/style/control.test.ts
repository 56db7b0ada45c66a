/**
 * Style transfer under control (Gatys et al. 2017): guided Grams against PyTorch, spatial
 * control doing what it says on two clearly different styles, colour matching, scale control
 * and the bad inputs of issue #15.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Graph, Program, grad, type Tensor } from '../../src/engine/index.js';
import { colorStats, cropRaw, demoScene, matchColorStats, resizeRaw, type RawImage } from '../../src/images/index.js';
import { J_style_layer, J_style_region, gram } from '../../src/style/costs.js';
import { StyleNet } from '../../src/style/objective.js';
import { contentRegions, guidedScale, propagateMask } from '../../src/style/regions.js';
import { stylize, type StylizeOptions } from '../../src/style/stylize.js';
import { StyleOptionError } from '../../src/style/options.js';
import { loadVgg } from '../../src/style/vgg.js';
import { assertClose, loadFixture } from '../helpers/fixtures.js';
import { image } from '../helpers/images.js';

const S = 48;


/** Red horizontal stripes vs blue dots on dark: different colour and texture. */
const redStripes = () => image(S, S, (_x, y) => (y % 6 < 3 ? [0.9, 0.15, 0.1] : [0.55, 0.05, 0.05]));
const blueDots = () => image(S, S, (x, y) => ((x % 8) - 3.5) ** 2 + ((y % 8) - 3.5) ** 2 < 5 ? [0.3, 0.5, 1] : [0.05, 0.08, 0.3]);
const leftRight = (w = S, h = S) => image(w, h, (x) => (x < w / 2 ? [1, 1, 1] : [0, 0, 0]));

function meanColor(img: RawImage): number[] {
  return [...colorStats(img).mean];
}
const dist = (a: readonly number[], b: readonly number[]) => Math.hypot(...a.map((v, i) => v - b[i]));
const half = (img: RawImage, side: 'left' | 'right') => cropRaw(img, side === 'left' ? 0 : img.width / 2, 0, img.width / 2, img.height);

test('guided Gram cost and gradient match PyTorch (the paper\'s definitions)', async () => {
  const fx = loadFixture('style/guided_gram');
  const [, c, h, w] = fx.shape('a');
  const R = Number(fx.meta.regions);
  const scales = fx.meta.scales as number[];
  const g = new Graph();
  const a = g.input('a', [1, c, h, w]);
  let cost: Tensor = g.scalar(0);
  for (let r = 0; r < R; r++) {
    cost = F.add(cost, J_style_region(g.input(`t${r}`, [c, c]), a, g.input(`m${r}`, [1, 1, h, w]), g.input(`s${r}`, [])));
  }
  const [ga] = grad(cost, [a]);
  const p = await Program.create({ cost, grad: ga });
  const feeds: Record<string, Float32Array> = { a: fx.f32('a') };
  for (let r = 0; r < R; r++) {
    feeds[`t${r}`] = fx.f32(`target${r}`);
    feeds[`m${r}`] = fx.f32(`mask${r}`);
    feeds[`s${r}`] = new Float32Array([scales[r]]);
    assert.ok(Math.abs(guidedScale(fx.f32(`mask${r}`)) - scales[r]) < 1e-4 * scales[r], 'region size as in the fixture');
  }
  const out = await p.run(feeds);
  assertClose(out.cost, fx.f32('cost'), { atol: 0, rtol: 1e-4 }, 'guided cost');
  assertClose(out.grad, fx.f32('grad'), { atol: 1e-6, rtol: 1e-3 }, 'guided gradient', fx.shape('grad'));
  await p.release?.();
});

test('colour histogram matching (mean and covariance, Cholesky) matches PyTorch', () => {
  const fx = loadFixture('style/guided_gram');
  const [, h, w] = fx.shape('src');
  const out = matchColorStats({ width: w, height: h, data: fx.f32('src') }, { width: w, height: h, data: fx.f32('ref') });
  assertClose(out.data, fx.f32('matched'), { atol: 2e-5, rtol: 1e-4 }, 'matched colours');
});

test('one all-ones region gives exactly the unguided style cost', async () => {
  const g = new Graph();
  const a = g.input('a', [1, 4, 5, 6]);
  const gs = g.input('gs', [4, 4]);
  const plain = J_style_layer(gs, a);
  const guided = J_style_region(gs, a, g.input('m', [1, 1, 5, 6]), g.input('s', []));
  const p = await Program.create({ plain, guided, gramA: gram(a) });
  const av = Float32Array.from({ length: 120 }, (_, i) => Math.sin(i * 1.7));
  const ones = new Float32Array(30).fill(1);
  const r = await p.run({ a: av, gs: Float32Array.from({ length: 16 }, (_, i) => i / 3), m: ones, s: new Float32Array([guidedScale(ones)]) });
  assert.equal(guidedScale(ones), 1);
  assert.ok(Math.abs(r.guided[0] - r.plain[0]) <= 1e-6 * r.plain[0], `${r.guided[0]} vs ${r.plain[0]}`);
});

test('mask propagation: resize averages stride cells, inside erodes by the receptive field', () => {
  const reg = contentRegions(leftRight(32, 16), undefined, 2);
  assert.deepEqual(reg.styleOf, [0, 1]);
  const resize = propagateMask(reg.labels, 32, 16, 0, 'conv2_1', 'resize');
  assert.equal(resize.length, 8 * 16);
  assert.deepEqual([...resize.slice(0, 16)], [...new Array(8).fill(1), ...new Array(8).fill(0)]);
  const inside = propagateMask(reg.labels, 32, 16, 0, 'conv2_1', 'inside');
  const row = [...inside.slice(0, 16)];
  assert.equal(row.lastIndexOf(1) < 7, true, `border cells are out: ${row}`);
  assert.equal(row[0], 1, 'the image edge does not erode');
  const odd = propagateMask(reg.labels, 32, 16, 0, 'conv1_1', 'resize');
  assert.equal(odd.length, 32 * 16);
});

const base = (extra: Partial<StylizeOptions>): StylizeOptions => ({
  content: image(S, S, (x, y) => [0.5 + 0.2 * Math.sin(x / 5), 0.5, 0.5 + 0.2 * Math.cos(y / 7)]),
  styles: [redStripes(), blueDots()],
  size: S,
  iterations: 40,
  weights: 'random',
  styleLayers: ['conv1_1', 'conv2_1'],
  contentWeight: 0.05,
  ...extra,
});

/** Size-normalised Gram of conv1_1 on a random VGG (the test's yardstick, not the objective). */
async function gramDistance(net: StyleNet, a: RawImage, b: RawImage): Promise<number> {
  const ga = (await net.features(a.data, a.height, a.width, [], ['conv1_1'])).grams.get('conv1_1')!;
  const gb = (await net.features(b.data, b.height, b.width, [], ['conv1_1'])).grams.get('conv1_1')!;
  let s = 0;
  for (let i = 0; i < ga.length; i++) s += (ga[i] / (a.width * a.height) - gb[i] / (b.width * b.height)) ** 2;
  return Math.sqrt(s);
}

test('a left/right mask: each half is nearer its own style than the other, and nearer than unguided', async () => {
  const notices: string[] = [];
  const guided = (await stylize(base({ contentMask: leftRight() }), { notice: (m) => notices.push(m) })).image;
  const unguided = (await stylize(base({})) ).image;
  const [A, B] = [redStripes(), blueDots()];
  const mA = meanColor(A);
  const mB = meanColor(B);
  const loaded = await loadVgg('random', 0);
  const net = new StyleNet(loaded.build('avg'), 'measure');
  try {
    const A2 = cropRaw(A, 0, 0, S / 2, S);
    const B2 = cropRaw(B, 0, 0, S / 2, S);
    for (const [side, own, other, mOwn, mOther] of [['left', A2, B2, mA, mB], ['right', B2, A2, mB, mA]] as const) {
      const g = half(guided, side);
      const u = half(unguided, side);
      const cOwn = dist(meanColor(g), mOwn);
      assert.ok(cOwn < dist(meanColor(g), mOther), `${side}: colour nearer its own style (${cOwn.toFixed(3)} vs ${dist(meanColor(g), mOther).toFixed(3)})`);
      assert.ok(cOwn < dist(meanColor(u), mOwn), `${side}: colour nearer than unguided (${cOwn.toFixed(3)} vs ${dist(meanColor(u), mOwn).toFixed(3)})`);
      const gOwn = await gramDistance(net, g, own);
      const gOther = await gramDistance(net, g, other);
      const uOwn = await gramDistance(net, u, own);
      assert.ok(gOwn < gOther, `${side}: conv1_1 Gram nearer its own style (${gOwn} vs ${gOther})`);
      assert.ok(gOwn < uOwn, `${side}: conv1_1 Gram nearer than unguided (${gOwn} vs ${uOwn})`);
    }
  } finally {
    await net.release();
  }
});

test('the tiled path gives the guided cost of the one-pass path', async () => {
  const costs: number[][] = [];
  for (const tileSize of [1024, 64]) {
    const seen: number[] = [];
    const notices: string[] = [];
    await stylize(
      { ...base({ contentMask: leftRight(96, 96), styleMasks: [leftRight(), leftRight()], regionStyles: '#ffffff=1,#000000=2' }), size: 96, iterations: 3, tileSize },
      { onProgress: (p) => seen.push(p.style), notice: (m) => notices.push(m) },
    );
    if (tileSize === 64) assert.ok(notices.some((m) => /windows/.test(m)), 'the small tile size tiles');
    costs.push(seen);
  }
  assertClose(costs[1], costs[0], { atol: 0, rtol: 2e-3 }, 'style cost per evaluation, tiled vs one pass');
});

test('histogram matching moves the style colours onto the content\'s', async () => {
  const content = await demoScene('landscape', { width: S, height: S });
  const style = redStripes();
  const matched = matchColorStats(style, content);
  const c = colorStats(content);
  const before = dist(meanColor(style), [...c.mean]);
  const after = dist(meanColor(matched), [...c.mean]);
  assert.ok(after < 0.05 * before + 0.01, `mean colour distance ${before.toFixed(3)} -> ${after.toFixed(3)}`);
  // Per-channel histograms (1-D Wasserstein distance of the sorted values, resized to the same count).
  const w1 = (a: RawImage, b: RawImage) => {
    const b2 = resizeRaw(b, a.width, a.height);
    const n = a.width * a.height;
    let s = 0;
    for (let ch = 0; ch < 3; ch++) {
      const x = a.data.slice(ch * n, (ch + 1) * n).sort();
      const y = b2.data.slice(ch * n, (ch + 1) * n).sort();
      for (let i = 0; i < n; i++) s += Math.abs(x[i] - y[i]) / n;
    }
    return s;
  };
  assert.ok(w1(matched, content) < 0.3 * w1(style, content), `histogram distance ${w1(style, content).toFixed(3)} -> ${w1(matched, content).toFixed(3)}`);
  const { image: none } = await stylize(base({ content, styles: [style], iterations: 15 }));
  const { image: hist } = await stylize(base({ content, styles: [style], iterations: 15, colorControl: 'histogram' }));
  assert.ok(dist(meanColor(hist), [...c.mean]) < dist(meanColor(none), [...c.mean]), 'the result keeps nearer the content colours');
});

test('scale control: one layer list per style image, also with masks and two scales', async () => {
  const { report } = await stylize(base({ styleLayersPerImage: 'conv1_1;conv2_1', styleLayers: undefined, iterations: 5 }));
  assert.ok(report.final.style > 0);
  const { report: r2 } = await stylize(base({ styleLayersPerImage: 'conv1_1;conv2_1', styleLayers: undefined, iterations: 4, scales: 2, keepCoarse: true, contentMask: leftRight() }));
  assert.equal(r2.evaluations, 4);
  await assert.rejects(stylize(base({ styleLayersPerImage: 'conv1_1', styleLayers: undefined })), /1 layer lists for 2 style images/);
  await assert.rejects(stylize(base({ styleLayersPerImage: 'conv1_1;conv2_1', styleLayers: ['conv1_1'] })), /replaces --style-layers/);
});

test('bad input: clear errors before any work, notices for resized masks and empty regions', async () => {
  // A weights file that does not exist: each error must come before the weights are read.
  const early = (extra: Partial<StylizeOptions>) => stylize(base({ ...extra, weights: '/nonexistent/vgg.pth' }));
  const three = image(S, S, (x) => (x < 16 ? [1, 1, 1] : x < 32 ? [1, 0, 0] : [0, 0, 0]));
  await assert.rejects(early({ contentMask: three }), (e: Error) => e instanceof StyleOptionError && /colour #000000 is assigned to no style/.test(e.message));
  await assert.rejects(early({ contentMask: three, regionStyles: '#ffffff=1,#ff0000=2' }), /#000000 \(\d+ px\) assigned to no style/);
  await assert.rejects(early({ contentMask: leftRight(), regionStyles: '#ffffff=1,#000000=3' }), /names style image 3, but 2 style image\(s\)/);
  await assert.rejects(early({ contentMask: leftRight(), regionStyles: '#ffffff=1,#000000=2,#00ff00=2' }), /#00ff00 does not occur in the content mask \(an empty region\)/);
  await assert.rejects(early({ contentMask: leftRight(), styleMasks: [leftRight(), image(S, S, () => [1, 1, 1])] }), /--style-masks 2 has no pixels of #000000/);
  await assert.rejects(early({ contentMask: leftRight(), styleMasks: [leftRight()] }), /1 masks for 2 style images/);
  await assert.rejects(early({ regionStyles: '#ffffff=1' }), /--region-styles needs --content-mask/);
  await assert.rejects(early({ originalColors: true, colorControl: 'histogram' }), /--original-colors is --color-control luminance/);
  await assert.rejects(early({ contentMask: leftRight(), regionStyles: 'white=1' }), /is not COLOR=N/);
  const notices: string[] = [];
  await stylize(base({ contentMask: leftRight(24, 20), iterations: 1, maskPropagation: 'inside', styleLayers: ['conv1_1', 'conv3_1'] }), { notice: (m) => notices.push(m) });
  assert.ok(notices.some((m) => /--content-mask is 24x20, the content is 48x48: the mask is resized/.test(m)), notices.join('\n'));
  const tiny = image(S, S, (x, y) => (x < 3 && y < 3 ? [1, 1, 1] : [0, 0, 0]));
  await stylize(base({ contentMask: tiny, iterations: 1, maskPropagation: 'inside', styleLayers: ['conv1_1', 'conv3_1'] }), { notice: (m) => notices.push(m) });
  assert.ok(notices.some((m) => /region #ffffff is empty at conv3_1/.test(m)), notices.join('\n'));
});
