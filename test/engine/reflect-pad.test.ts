/**
 * ReflectPad (reflect_pad.ts) against the generic reflect Pad and its VJP (shape.ts): values
 * and gradients under a non-uniform upstream gradient, paddings 1 and 3, square and not; nn's
 * ReflectionPad2d emitting it where it fits and the generic Pad where it does not; and the
 * resnet-block pattern ReflectionPad2d(1) -> trainable Winograd conv against ORT's direct Conv
 * of the generically padded input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Graph, Program, grad, withPolicy } from '../../src/engine/index.js';
import { topoSort } from '../../src/engine/graph.js';
import { ReflectionPad2d } from '../../src/nn/layers.js';
import { Ctx } from '../../src/nn/module.js';
import { assertSameOutputs } from '../helpers/compare.js';
import { uniform } from '../helpers/gradcheck.js';

const types = (ts: Parameters<typeof topoSort>[0]) => new Set(topoSort(ts).map((n) => n.type));

for (const [p, h, w] of [
  [1, 6, 9],
  [3, 8, 11],
  [1, 4, 4],
]) {
  test(`ReflectPad ${p} of ${h}x${w} matches the generic reflect Pad and its gradient`, async () => {
    const g = new Graph();
    const x = g.input('x', [2, 3, h, w]);
    const seed = g.input('seed', [2, 3, h + 2 * p, w + 2 * p]);
    const mine = F.reflectPad2d(x, p);
    const ref = F.pad(x, [0, 0, p, p, 0, 0, p, p], 'reflect');
    const [gm] = grad(F.reduceSum(F.mul(mine, seed)), [x]);
    const [gr] = grad(F.reduceSum(F.mul(ref, seed)), [x]);
    const prog = await Program.create({ mine, ref, gm, gr }, { threads: 1 });
    try {
      const r = await prog.run({ x: uniform(6 * h * w, p + h), seed: uniform(6 * (h + 2 * p) * (w + 2 * p), w) });
      // The same copies: exact. The gradients differ only in summation order.
      assertSameOutputs({ y: r.mine }, { y: r.ref }, ['y'], 0, `ReflectPad ${p} values`);
      assertSameOutputs({ g: r.gm }, { g: r.gr }, ['g'], 1e-6, `ReflectPad ${p} gradient`);
    } finally {
      await prog.release();
    }
  });
}

test('ReflectionPad2d takes ReflectPad where the fold fits and the generic Pad below 2p + 2', () => {
  const g = new Graph();
  const fits = ReflectionPad2d(3).forward(new Ctx(g), g.input('a', [1, 2, 8, 9]));
  const small = ReflectionPad2d(3).forward(new Ctx(g), g.input('b', [1, 2, 7, 9]));
  assert.deepEqual(fits.shape, [1, 2, 14, 15]);
  assert.deepEqual(small.shape, [1, 2, 13, 15]);
  assert.deepEqual([...types([fits])], ['ReflectPad']);
  assert.deepEqual([...types([small])], ['Pad']);
});

test('a ReflectionPad2d(1)-padded trainable Winograd conv matches the direct conv of the generic Pad', async () => {
  const [c, k, h, w] = [6, 5, 8, 12];
  const build = (mode: 'on' | 'off') => {
    const g = new Graph({ policy: withPolicy({ trainWinograd: mode }) });
    const x = g.input('x', [1, c, h, w]);
    const wt = g.input('w', [k, c, 3, 3]);
    const seed = g.input('seed', [1, k, h, w]);
    const xp = mode === 'on' ? ReflectionPad2d(1).forward(new Ctx(g), x) : F.pad(x, [0, 0, 1, 1, 0, 0, 1, 1], 'reflect');
    const y = F.conv2d(xp, wt, null);
    const [gx, gw] = grad(F.reduceSum(F.mul(y, seed)), [x, wt]);
    return { outputs: { y, gx, gw }, types: types([y, gx]) };
  };
  const wino = build('on');
  const direct = build('off');
  // 10x14 padded fills whole tiles: the Winograd form adds no zero Pad of its own.
  assert.ok(wino.types.has('ReflectPad') && !wino.types.has('Pad'), `the Winograd graph pads with ReflectPad: ${[...wino.types].join(' ')}`);
  assert.ok(direct.types.has('Pad') && !direct.types.has('ReflectPad'));
  const feeds = { x: uniform(c * h * w, 1), w: uniform(k * c * 9, 2), seed: uniform(k * h * w, 3) };
  const [pw, pd] = await Promise.all([Program.create(wino.outputs, { threads: 1 }), Program.create(direct.outputs, { threads: 1 })]);
  try {
    const [a, d] = await Promise.all([pw.run(feeds), pd.run(feeds)]);
    assertSameOutputs(a, d, ['y', 'gx', 'gw'], 5e-5, 'ReflectionPad2d(1) + Winograd vs direct');
  } finally {
    await Promise.all([pw.release(), pd.release()]);
  }
});
