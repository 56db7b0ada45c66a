/**
 * The Winograd path for trainable 3x3 convolutions (winograd_train.ts) against ORT's direct
 * Conv: forward, input gradient, weight gradient and bias gradient from autodiff through the
 * composed ops, for padding 0 (the reflection-padded resnet convs) and 1, sizes that fill their
 * 4x4 tiles and sizes that do not. The second run uses different weights through the same
 * session, as a training step does.
 *
 * Tolerance: max |Δ| ≤ 5e-5 · max|direct| (Winograd F(4,3) in float32 is ~1e-6 relative; see
 * winograd.test.ts). A wrong transform, tile gather or its adjoint is off by order 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Graph, Program, defaultPolicy, grad, withPolicy } from '../../src/engine/index.js';
import { topoSort } from '../../src/engine/graph.js';
import { trainWinogradApplies } from '../../src/engine/policy.js';
import { assertSameOutputs } from '../helpers/compare.js';
import { rng } from '../helpers/gradcheck.js';

const rand = (n: number, r: () => number) => Float32Array.from({ length: n }, () => 2 * r() - 1);

async function compare(c: number, k: number, h: number, w: number, padding: number): Promise<void> {
  const ho = h + 2 * padding - 2;
  const wo = w + 2 * padding - 2;
  const build = (mode: 'on' | 'off') => {
    const g = new Graph({ policy: withPolicy({ trainWinograd: mode }) });
    const x = g.input('x', [1, c, h, w]);
    const wt = g.input('w', [k, c, 3, 3]);
    const b = g.input('b', [k]);
    const seed = g.input('seed', [1, k, ho, wo]);
    const y = F.conv2d(x, wt, b, { padding });
    // A non-uniform upstream gradient, so every tile and tap gets its own weight.
    const loss = F.reduceSum(F.mul(y, seed));
    const [gx, gw, gb] = grad(loss, [x, wt, b]);
    // The Winograd form has Convs too, but only with its constant transform filters.
    const convOfW = topoSort([y]).some((n) => n.type === 'Conv' && n.inputs[1] === wt);
    return { outputs: { y, gx, gw, gb }, convOfW };
  };
  const wino = build('on');
  const direct = build('off');
  assert.ok(!wino.convOfW, 'the Winograd graph has no Conv of the filters');
  assert.ok(direct.convOfW, 'the reference graph is a Conv');
  const [pw, pd] = await Promise.all([
    Program.create(wino.outputs, { threads: 2 }),
    Program.create(direct.outputs, { threads: 2 }),
  ]);
  try {
    for (const seedNo of [1, 2]) {
      const r = rng(seedNo * 7919 + c * 31 + h);
      const feeds = {
        x: rand(c * h * w, r),
        w: rand(k * c * 9, r),
        b: rand(k, r),
        seed: rand(k * ho * wo, r),
      };
      const [a, d] = await Promise.all([pw.run(feeds), pd.run(feeds)]);
      assertSameOutputs(a, d, ['y', 'gx', 'gw', 'gb'], 5e-5, `${c}->${k} ${h}x${w} pad ${padding} run ${seedNo}`);
    }
  } finally {
    await Promise.all([pw.release(), pd.release()]);
  }
}

test('trainable Winograd conv, padding 0 on a reflection-padded-like input (tiles filled)', () => compare(8, 6, 18, 18, 0));
test('trainable Winograd conv, padding 1, sizes that leave partial tiles', () => compare(5, 7, 13, 10, 1));
test('trainable Winograd conv, padding 0, rectangular with partial tiles', () => compare(4, 3, 11, 17, 0));

test('trainable Winograd applies to the resnet blocks only', () => {
  assert.ok(trainWinogradApplies(defaultPolicy, { c: 256, k: 256, h: 32, w: 32 }));
  assert.ok(!trainWinogradApplies(defaultPolicy, { c: 64, k: 64, h: 128, w: 128 }));
  assert.ok(!trainWinogradApplies(defaultPolicy, { c: 256, k: 256, h: 8, w: 8 }));
});
