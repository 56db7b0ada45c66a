import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Graph, Program, grad } from '../../src/engine/index.js';

test('conv + relu + sum forward and input gradient', async () => {
  const g = new Graph();
  const x = g.input('x', [1, 2, 5, 5]);
  const w = g.constant(Float32Array.from({ length: 3 * 2 * 3 * 3 }, (_, i) => Math.sin(i)), [3, 2, 3, 3]);
  const y = F.reduceSum(F.relu(F.conv2d(x, w, null, { padding: 1 })));
  const [gx] = grad(y, [x]);
  const p = await Program.create({ y, gx });
  const xs = Float32Array.from({ length: 50 }, (_, i) => Math.cos(i));
  const r = await p.run({ x: xs });
  assert.equal(r.y.length, 1);
  assert.equal(r.gx.length, 50);
  await p.release();
});
