/**
 * Winograd F(m x m, r x r) for trainable stride-1 convs (lowering/winograd_s1.ts) against ORT's
 * direct Conv: forward, input, weight and bias gradients from autodiff through the composed
 * ops, for the PatchGAN's 4x4 filters (F(3x3, 4x4)) with padding 1 (partial tiles) and 0
 * (filled tiles), rectangular inputs, and the 2x2 and 3x3 filters the same code builds. The
 * second run feeds other weights through the same session, as a training step does. Then
 * finite differences on a small case, and conv2d's routing of the D layer to it.
 *
 * Tolerance: max |Δ| ≤ 5e-5 · max|direct| (F(3,4) on the points {0, ±1, ±2, ∞} is ~1e-6
 * relative in float32); a wrong transform, tile gather or its adjoint is off by order 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Graph, Program, defaultPolicy, grad, withPolicy } from '../../src/engine/index.js';
import { topoSort } from '../../src/engine/graph.js';
import { s1Winograd4Applies } from '../../src/engine/policy.js';
import { winogradConvS1 } from '../../src/engine/lowering/winograd_s1.js';
import { assertSameOutputs } from '../helpers/compare.js';
import { gradcheck, rng } from '../helpers/gradcheck.js';

const rand = (n: number, r: () => number) => Float32Array.from({ length: n }, () => 2 * r() - 1);

async function compare(c: number, k: number, h: number, w: number, r: number, padding: number, m: number): Promise<void> {
  const ho = h + 2 * padding - r + 1;
  const wo = w + 2 * padding - r + 1;
  const build = (wino: boolean) => {
    const g = new Graph({ policy: withPolicy({ convAlgorithm: wino ? 'auto' : 'direct' }) });
    const x = g.input('x', [1, c, h, w]);
    const wt = g.input('w', [k, c, r, r]);
    const b = g.input('b', [k]);
    const seed = g.input('seed', [1, k, ho, wo]);
    const y = wino ? winogradConvS1(x, wt, b, [padding, padding], m) : F.conv2d(x, wt, b, { padding });
    // A non-uniform upstream gradient, so every tile and tap gets its own weight.
    const loss = F.reduceSum(F.mul(y, seed));
    const [gx, gw, gb] = grad(loss, [x, wt, b]);
    const convOfW = topoSort([y]).some((n) => n.type === 'Conv' && n.inputs[1] === wt);
    return { outputs: { y, gx, gw, gb }, convOfW };
  };
  const wino = build(true);
  const direct = build(false);
  assert.ok(!wino.convOfW && direct.convOfW);
  const [pw, pd] = await Promise.all([Program.create(wino.outputs, { threads: 2 }), Program.create(direct.outputs, { threads: 2 })]);
  try {
    for (const seedNo of [1, 2]) {
      const rr = rng(seedNo * 7919 + c * 31 + h);
      const feeds = { x: rand(c * h * w, rr), w: rand(k * c * r * r, rr), b: rand(k, rr), seed: rand(k * ho * wo, rr) };
      const [a, d] = await Promise.all([pw.run(feeds), pd.run(feeds)]);
      assertSameOutputs(a, d, ['y', 'gx', 'gw', 'gb'], 5e-5, `F(${m},${r}) ${c}->${k} ${h}x${w} pad ${padding} run ${seedNo}`);
    }
  } finally {
    await Promise.all([pw.release(), pd.release()]);
  }
}

test('F(3x3, 4x4), padding 1: the PatchGAN layer shape, partial tiles (31 = 3·10 + 1)', () => compare(6, 5, 32, 32, 4, 1, 3));
test('F(3x3, 4x4), padding 0, filled tiles', () => compare(4, 3, 15, 15, 4, 0, 3));
test('F(3x3, 4x4), padding 1, rectangular', () => compare(3, 4, 9, 14, 4, 1, 3));
test('F(3x3, 2x2) and F(4x4, 3x3) from the same construction', async () => {
  await compare(5, 4, 12, 11, 2, 0, 3);
  await compare(4, 6, 13, 10, 3, 1, 4);
});

test('F(3x3, 4x4) gradients match finite differences', async () => {
  await gradcheck(
    (_g, [x, w, b]) => winogradConvS1(x, w, b, [1, 1]),
    [{ shape: [1, 2, 7, 8] }, { shape: [3, 2, 4, 4] }, { shape: [3] }],
    { elementwiseLimit: 96 },
  );
});

test('conv2d routes the PatchGAN 256->512 4x4 stride-1 layer at 32² to it, not small or frozen ones', () => {
  assert.ok(s1Winograd4Applies(defaultPolicy, { c: 256, k: 512, h: 31, w: 31 }));
  assert.ok(!s1Winograd4Applies(defaultPolicy, { c: 64, k: 128, h: 31, w: 31 }));
  assert.ok(!s1Winograd4Applies(defaultPolicy, { c: 256, k: 512, h: 6, w: 6 }));
  const route = (frozen: boolean, k: number) => {
    const g = new Graph();
    const x = g.input('x', [1, 256, 32, 32]);
    const w = frozen ? g.constant(new Float32Array(k * 256 * 16), [k, 256, 4, 4]) : g.input('w', [k, 256, 4, 4]);
    const y = F.conv2d(x, w, null, { padding: 1 });
    assert.deepEqual(y.shape, [1, k, 31, 31]);
    const nodes = topoSort([y]);
    const direct = nodes.some((n) => n.type === 'Conv' && n.inputs[1] === w);
    // F(3x3, 4x4)'s products are MatMuls, one of them with the filters' transform.
    const winograd = nodes.some((n) => n.type === 'MatMul');
    assert.notEqual(direct, winograd, `exactly one lowering: ${[...new Set(nodes.map((n) => n.type))]}`);
    return winograd ? 'winograd' : 'direct';
  };
  assert.equal(route(false, 512), 'winograd');
  assert.equal(route(true, 512), 'direct', 'frozen filters keep the direct Conv');
  assert.equal(route(false, 1), 'direct', 'the one-channel head keeps the direct Conv');
});
