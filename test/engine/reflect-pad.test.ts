/**
 * ReflectPad (reflect_pad.ts) against the generic reflect Pad and its VJP (shape.ts): values
 * and gradients under a non-uniform upstream gradient, paddings 1 and 3, square and not; and
 * the resnet-block pattern ReflectionPad2d(1) -> trainable Winograd conv, whose conv takes the
 * ReflectPad route, against ORT's direct Conv of the generically padded input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Graph, Program, grad } from '../../src/engine/index.js';
import { topoSort } from '../../src/engine/graph.js';
import { reflectPad2d } from '../../src/engine/ops/reflect_pad.js';
import { trainWinogradDefaults } from '../../src/engine/ops/winograd_train.js';

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

for (const [p, h, w] of [
  [1, 6, 9],
  [3, 8, 11],
  [1, 4, 4],
]) {
  test(`ReflectPad ${p} of ${h}x${w} matches the generic reflect Pad and its gradient`, async () => {
    const g = new Graph();
    const x = g.input('x', [2, 3, h, w]);
    const seed = g.input('seed', [2, 3, h + 2 * p, w + 2 * p]);
    const mine = reflectPad2d(x, p);
    const ref = F.pad(x, [0, 0, p, p, 0, 0, p, p], 'reflect');
    const [gm] = grad(F.reduceSum(F.mul(mine, seed)), [x]);
    const [gr] = grad(F.reduceSum(F.mul(ref, seed)), [x]);
    const prog = await Program.create({ mine, ref, gm, gr }, { threads: 1 });
    try {
      const r = await prog.run({ x: rand(6 * h * w, p + h), seed: rand(6 * (h + 2 * p) * (w + 2 * p), w) });
      assert.equal(maxDiff(r.mine, r.ref), 0);
      assert.ok(maxDiff(r.gm, r.gr) <= 1e-6, `gradient max |Δ| ${maxDiff(r.gm, r.gr)}`);
    } finally {
      await prog.release();
    }
  });
}

test('a reflection-padded trainable Winograd conv takes ReflectPad and matches the direct conv', async () => {
  const [c, k, h, w] = [6, 5, 8, 12];
  const build = (mode: 'on' | 'off') => {
    trainWinogradDefaults.mode = mode;
    try {
      const g = new Graph();
      const x = g.input('x', [1, c, h, w]);
      const wt = g.input('w', [k, c, 3, 3]);
      const seed = g.input('seed', [1, k, h, w]);
      const y = F.conv2d(F.pad(x, [0, 0, 1, 1, 0, 0, 1, 1], 'reflect'), wt, null);
      const [gx, gw] = grad(F.reduceSum(F.mul(y, seed)), [x, wt]);
      return { outputs: { y, gx, gw }, types: new Set(topoSort([y, gx]).map((n) => n.type)) };
    } finally {
      trainWinogradDefaults.mode = 'auto';
    }
  };
  const wino = build('on');
  const direct = build('off');
  assert.ok(wino.types.has('ReflectPad') && !wino.types.has('Pad'), `the Winograd graph pads with ReflectPad: ${[...wino.types].join(' ')}`);
  assert.ok(direct.types.has('Pad') && !direct.types.has('ReflectPad'));
  const feeds = { x: rand(c * h * w, 1), w: rand(k * c * 9, 2), seed: rand(k * h * w, 3) };
  const [pw, pd] = await Promise.all([Program.create(wino.outputs, { threads: 1 }), Program.create(direct.outputs, { threads: 1 })]);
  try {
    const [a, d] = await Promise.all([pw.run(feeds), pd.run(feeds)]);
    for (const key of ['y', 'gx', 'gw'] as const) {
      let scale = 0;
      for (const v of d[key]) scale = Math.max(scale, Math.abs(v));
      assert.ok(maxDiff(a[key], d[key]) <= 5e-5 * scale, `${key} max |Δ| ${maxDiff(a[key], d[key])} vs ${scale}`);
    }
  } finally {
    await Promise.all([pw.release(), pd.release()]);
  }
});
