/**
 * Translation runs the resnet blocks' reflect-padded (pad 0) 3x3 convs with frozen filters:
 * they take the Winograd path of winograd_train.ts (ORT folds the constant filter transform),
 * and must give the direct convolution's result.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Graph, Program, withPolicy } from '../../src/engine/index.js';
import { topoSort } from '../../src/engine/graph.js';
import { Rng } from '../../src/nn/index.js';
import { assertSameOutputs } from '../helpers/compare.js';

test('frozen pad-0 3x3 convs at resnet-block sizes run as Winograd and match the direct conv', async () => {
  const [c, k, h, w] = [128, 128, 22, 19];
  const rng = new Rng(7);
  const xs = rng.fillUniform(new Float32Array(c * h * w), -1, 1);
  const ws = rng.fillNormal(new Float32Array(k * c * 9), 0, 0.05);
  const bs = rng.fillNormal(new Float32Array(k), 0, 0.1);
  const run = async (algorithm: 'auto' | 'direct') => {
    const g = new Graph({ policy: withPolicy({ convAlgorithm: algorithm }) });
    const x = g.input('x', [1, c, h, w]);
    const y = F.conv2d(x, g.constant(ws, [k, c, 3, 3]), g.constant(bs, [k]), { padding: 0 });
    const types = new Set(topoSort([y]).map((n) => n.type));
    const p = await Program.create({ y });
    try {
      return { y: (await p.run({ x: xs })).y, types };
    } finally {
      await p.release();
    }
  };
  const direct = await run('direct');
  const auto = await run('auto');
  // The Winograd products are MatMuls; the direct lowering has none.
  assert.ok(!direct.types.has('MatMul'));
  assert.ok(auto.types.has('MatMul'), `auto lowered to ${[...auto.types]}`);
  assert.equal(auto.y.length, k * (h - 2) * (w - 2));
  assertSameOutputs({ y: auto.y }, { y: direct.y }, ['y'], 5e-5, 'frozen pad-0 Winograd vs direct');
});
