import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VGG19Features } from '../../src/models/vgg19.js';
import { Rng } from '../../src/nn/index.js';
import { StyleNet, meanSquare, type Coefficients, type Targets } from '../../src/style/objective.js';
import { tiledFeatures, tiledObjective, tvAddGrad } from '../../src/style/tiled.js';
import { layerSize, planAxis, planTiles, receptiveHalo } from '../../src/style/tiles.js';

/**
 * The fewest windows of length t < n that cover n pixels, from the constraints alone: interior
 * boundaries are stride multiples with a halo on both sides, so the first window owns at most
 * ⌊(t − halo)/stride⌋·stride pixels, a middle one ⌊(t − 2 halo)/stride⌋·stride and the last
 * one (ending at n) t − halo.
 */
function fewestWindows(n: number, t: number, stride: number, halo: number): number {
  const first = Math.floor((t - halo) / stride) * stride;
  const middle = Math.floor((t - 2 * halo) / stride) * stride;
  return 2 + Math.max(0, Math.ceil((n - first - (t - halo)) / middle));
}

test('window plans: the shortest windows that fit the count, interiors partition the axis, halos are kept', () => {
  const rng = new Rng(3);
  for (let trial = 0; trial < 400; trial++) {
    const stride = [1, 2, 4, 8, 16][Math.floor(rng.next() * 5)];
    const halo = stride * Math.floor(1 + rng.next() * 6);
    const n = Math.floor(2 * halo + stride + rng.next() * 3000);
    const count = 1 + Math.floor(rng.next() * 6);
    const { t, spans } = planAxis(n, count, stride, halo);
    // Every window length that could tile: t ≡ n (mod stride), a middle window owning a cell.
    const lengths: number[] = [];
    for (let u = 2 * halo + stride; u < n; u++) if ((n - u) % stride === 0) lengths.push(u);
    const shortest = count === 1 ? undefined : lengths.find((u) => fewestWindows(n, u, stride, halo) <= count);
    if (shortest === undefined) {
      assert.deepEqual({ t, windows: spans.length }, { t: n, windows: 1 }, `n ${n}, count ${count}: one window`);
    } else {
      assert.equal(t, shortest, `n ${n}, count ${count}, stride ${stride}, halo ${halo}: window length`);
      assert.equal(spans.length, fewestWindows(n, t, stride, halo), 'window count');
      assert.ok(spans.length <= count, `${spans.length} spans for ${count}`);
    }
    assert.equal((((t - n) % stride) + stride) % stride, 0, 't ≡ n (mod stride)');
    assert.equal(spans[0].from, 0);
    assert.equal(spans.at(-1)!.to, n);
    for (const [i, s] of spans.entries()) {
      if (i > 0) assert.equal(s.from, spans[i - 1].to, 'contiguous');
      assert.ok(s.to > s.from, 'non-empty');
      assert.ok(s.start >= 0 && s.start + t <= n, 'window inside the image');
      assert.equal(s.start % stride, 0, 'aligned to the stride');
      if (s.from > 0) assert.ok(s.from - s.start >= halo, `top halo ${s.from - s.start} < ${halo}`);
      if (s.to < n) assert.ok(s.start + t - s.to >= halo, 'bottom halo');
      if (s.to < n) assert.equal(s.to % stride, 0);
    }
  }
});

test('receptive halos of VGG-19 layers and a 2048 px plan that fits the budget', () => {
  assert.equal(receptiveHalo(['conv1_1']), 1);
  assert.equal(receptiveHalo(['relu1_2']), 2);
  // By hand, from conv5_1 back: ±1 (conv5_1), [−2, 3] (pool4), [−6, 7] (conv4_x), [−12, 15],
  // [−16, 19], [−32, 39], [−34, 41], [−68, 83] (pool1), [−70, 85] (conv1_x): 70 px either side
  // of a 16 px cell, the 156 px receptive field of conv5_1.
  assert.equal(receptiveHalo(['conv5_1']), 70);
  assert.equal(receptiveHalo(['conv5_1', 'conv1_1']), receptiveHalo(['conv5_1']));
  assert.ok(receptiveHalo(['conv5_4']) > receptiveHalo(['conv5_1']));
  assert.equal(planTiles(384, 512, ['conv5_1'], 512 * 384), null);
  assert.equal(planTiles(4096, 4096, [], 64 * 64), null, 'no layer (only J_tv): nothing to tile');
  const p = planTiles(1536, 2048, ['conv3_2', 'conv5_1'], 1024 * 1024)!;
  assert.ok(p.th * p.tw <= 1024 * 1024);
  assert.equal(p.halo, 80, 'the 70 px halo rounded up to the 16 px stride');
});

/** A small random VGG-19 problem at h × w, with targets from the one-pass programs. */
async function problem(h: number, w: number, contentLayers: string[], styleLayers: string[]) {
  const vgg = new VGG19Features('max').initRandom(0);
  const net = new StyleNet(vgg, 'tiles-test', { threads: 2 });
  const rng = new Rng(1);
  const content = rng.fillUniform(new Float32Array(3 * h * w), 0, 1);
  const style = rng.fillUniform(new Float32Array(3 * 80 * 96), 0, 1);
  const image = rng.fillUniform(new Float32Array(3 * h * w), 0, 1);
  const cf = await net.features(content, h, w, contentLayers, []);
  const sf = await net.features(style, 80, 96, [], styleLayers);
  const targets: Targets = { content: cf.acts, grams: sf.grams };
  const coef: Coefficients = {
    alpha: 2,
    beta: 1e6,
    gamma: 0.5,
    content: new Map(contentLayers.map((l) => [l, 1 / meanSquare(cf.acts.get(l)!)])),
    style: new Map(styleLayers.map((l, i) => [l, (i + 1) / meanSquare(sf.grams.get(l)!)])),
  };
  return { net, content, image, targets, coef };
}

function relErr(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  return Math.sqrt(d / n);
}

for (const [h, w, contentLayers, styleLayers, maxPixels] of [
  [150, 134, ['relu4_2'], ['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1'], 96 * 96],
  [272, 208, ['conv3_2'], ['conv1_1', 'conv2_1', 'conv3_1', 'conv4_1', 'conv5_1'], 200 * 200],
] as const) {
  test(`tiled features and cost equal the one-pass ones (${w}x${h}, to ${styleLayers.at(-1)})`, async () => {
    const { net, content, image, targets, coef } = await problem(h, w, [...contentLayers], [...styleLayers]);
    try {
      const plan = planTiles(h, w, [...contentLayers, ...styleLayers], maxPixels)!;
      assert.ok(plan.rows.length * plan.cols.length >= 2, 'the test must actually tile');
      const one = await net.features(content, h, w, contentLayers, styleLayers);
      const tiled = await tiledFeatures(net, plan, content, contentLayers, styleLayers);
      for (const l of contentLayers) {
        assert.equal(tiled.acts.get(l)!.length, one.acts.get(l)!.length);
        assert.ok(relErr(tiled.acts.get(l)!, one.acts.get(l)!) < 1e-5, `acts ${l}`);
      }
      for (const l of styleLayers) assert.ok(relErr(tiled.grams.get(l)!, one.grams.get(l)!) < 1e-5, `gram ${l}`);

      const f1 = await net.objective(h, w, contentLayers, styleLayers);
      const ft = await tiledObjective(net, plan, contentLayers, styleLayers);
      const a = await f1(image, targets, coef);
      const b = await ft(image, targets, coef);
      for (const k of ['total', 'content', 'style', 'tv'] as const) {
        assert.ok(Math.abs(a[k] - b[k]) <= 1e-4 * Math.abs(a[k]), `${k}: one pass ${a[k]}, tiled ${b[k]}`);
      }
      assert.ok(a.style > 0 && a.content > 0 && a.tv > 0);
      const e = relErr(b.grad, a.grad);
      assert.ok(e < 1e-4, `gradient relative error ${e}`);
    } finally {
      await net.release();
    }
  });
}

test('the plain-loop total variation matches its finite differences', () => {
  const rng = new Rng(5);
  const [c, h, w] = [2, 5, 7];
  const x = rng.fillUniform(new Float32Array(c * h * w), 0, 1);
  const g = new Float32Array(x.length);
  const tv = tvAddGrad(x, c, h, w, 1, g);
  for (const i of [0, 6, 17, 34, 69]) {
    const y = Float64Array.from(x);
    const at = (v: Float64Array) => {
      let s = 0;
      for (let k = 0; k < c; k++)
        for (let r = 0; r < h; r++)
          for (let q = 0; q < w; q++) {
            const o = (k * h + r) * w + q;
            if (r + 1 < h) s += (v[o + w] - v[o]) ** 2;
            if (q + 1 < w) s += (v[o + 1] - v[o]) ** 2;
          }
      return s;
    };
    y[i] += 1e-6;
    const up = at(y);
    y[i] -= 2e-6;
    const fd = (up - at(y)) / 2e-6;
    assert.ok(Math.abs(fd - g[i]) < 1e-4, `grad[${i}] ${g[i]} vs ${fd}`);
  }
  assert.ok(Math.abs(tv - (() => {
    let s = 0;
    for (let k = 0; k < c; k++) for (let r = 0; r < h; r++) for (let q = 0; q < w; q++) {
      const o = (k * h + r) * w + q;
      if (r + 1 < h) s += (x[o + w] - x[o]) ** 2;
      if (q + 1 < w) s += (x[o + 1] - x[o]) ** 2;
    }
    return s;
  })()) < 1e-9);
  assert.equal(layerSize('pool1', 9), 4);
});
