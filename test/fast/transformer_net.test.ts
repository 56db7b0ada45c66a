/**
 * TransformerNet against pytorch/examples' module (scripts/fixtures/fast.py): the same
 * state_dict keys in the same order, and the same forward pass (float64 reference) within 1e-4
 * relative to the output's scale, full and half width; pytorch/examples checkpoints load with
 * and without the obsolete InstanceNorm running statistics, and a checkpoint of another
 * architecture is refused with the keys named.
 */
import path from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TransformerNet,
  dropObsoleteRunningStats,
  inferTransformerWidth,
  loadTransformerNet,
} from '../../src/models/networks.js';
import { readModuleStateDict } from '../../src/weights/index.js';
import { FIXTURES_DIR, assertClose, loadFixture } from '../helpers/fixtures.js';
import { FAST_FIXTURES, forward, hashedStateDict } from './helpers.js';

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

/** 1e-4 relative to the output's largest value (a relative bound per element would only measure near-zero outputs). */
function tolFor(expected: Float32Array): { atol: number; rtol: number } {
  return { atol: 1e-4 * maxAbs(expected), rtol: 0 };
}

describe('TransformerNet forward parity', () => {
  for (const [name, width] of [
    ['fwd_full', 'full'],
    ['fwd_half', 'half'],
  ] as const) {
    test(`${width} width`, async () => {
      const fx = loadFixture(`fast/${name}`);
      const net = new TransformerNet({ width }).eval();
      const keys = Array.from(net.namedTensors(), ([k]) => k);
      assert.deepEqual(keys, fx.meta.keys, 'state_dict keys, in order');
      assert.deepEqual(
        Array.from(net.namedTensors(), ([, p]) => p.shape),
        fx.meta.shapes,
        'shapes',
      );
      const sd = hashedStateDict(net, fx.meta.seed as number);
      const sums = fx.meta.checksums as Record<string, [number, number]>;
      for (const [k, v] of sd) {
        const data = v.data as Float32Array;
        let s = 0;
        for (const x of data) s += x;
        assert.equal(data[0], sums[k][1], `${k}: first hashed weight`);
        assert.ok(Math.abs(s - sums[k][0]) <= 1e-9 * data.length, `${k}: hashed weight sum ${s} vs ${sums[k][0]}`);
      }
      net.loadStateDict(sd);
      const r = await forward(net, fx.f32('input'), fx.shape('input'));
      assert.deepEqual(r.shape, fx.shape('output'));
      const s = assertClose(r.y, fx.f32('output'), tolFor(fx.f32('output')), name, r.shape);
      assert.ok(s.ratio <= 1);
    });
  }

  test('half width is c9s1-16, d32, d64, R64x5, u32, u16', () => {
    const net = new TransformerNet({ width: 'half' });
    assert.deepEqual(net.conv1.conv2d.weight.shape, [16, 3, 9, 9]);
    assert.deepEqual(net.conv3.conv2d.weight.shape, [64, 32, 3, 3]);
    assert.deepEqual(net.res5.conv2.conv2d.weight.shape, [64, 64, 3, 3]);
    assert.deepEqual(net.deconv1.conv2d.weight.shape, [32, 64, 3, 3]);
    assert.deepEqual(net.deconv3.conv2d.weight.shape, [3, 16, 9, 9]);
  });

  test('sizes not divisible by 4 come out as PyTorch computes them', async () => {
    const net = new TransformerNet({ width: 4 }).eval();
    const r = await forward(net, new Float32Array(3 * 25 * 30).fill(100), [1, 3, 25, 30]);
    // 25 -> 13 -> 7 -> 14 -> 28, 30 -> 15 -> 8 -> 16 -> 32
    assert.deepEqual(r.shape, [1, 3, 28, 32]);
  });
});

describe('pytorch/examples checkpoints', () => {
  const fx = loadFixture('fast/tiny_w4');
  const check = async (file: string): Promise<void> => {
    const sd = await readModuleStateDict(path.join(FAST_FIXTURES, file));
    const net = loadTransformerNet(sd);
    assert.equal(net.width, 4, 'width read off the weights');
    const r = await forward(net, fx.f32('input'), fx.shape('input'));
    assertClose(r.y, fx.f32('output'), tolFor(fx.f32('output')), file, r.shape);
  };
  test('saved today (zip format, no running statistics)', () => check('tiny_w4.pth'));
  test('saved by PyTorch < 0.4 (legacy format, InstanceNorm running_mean/running_var)', async () => {
    const sd = await readModuleStateDict(path.join(FAST_FIXTURES, 'tiny_w4_legacy.pth'));
    const extra = [...sd.keys()].filter((k) => /running_(mean|var)$/.test(k)).sort();
    assert.deepEqual(extra, fx.meta.legacy_extra_keys);
    assert.equal(dropObsoleteRunningStats(sd).size, sd.size - extra.length);
    // Without dropping them, a strict load names them.
    assert.throws(() => new TransformerNet({ width: 4 }).loadStateDict(sd), /unexpected key in1\.running_mean/);
    await check('tiny_w4_legacy.pth');
  });
  test('width is inferred from conv1', async () => {
    const full = new TransformerNet().stateDict();
    assert.equal(inferTransformerWidth(full), 32);
    assert.equal(inferTransformerWidth(new TransformerNet({ width: 'half' }).stateDict()), 16);
  });
  test('another architecture is refused, naming missing and unexpected keys', async () => {
    const sd = await readModuleStateDict(path.join(FIXTURES_DIR, 'gan', 'fwd_basic_instance.pth'));
    assert.throws(() => loadTransformerNet(sd), (e: Error) => {
      assert.match(e.message, /missing keys: conv1\.conv2d\.weight/);
      assert.match(e.message, /unexpected keys: model\./);
      return true;
    });
  });
});

test('the module is trainable: parameters take gradients through the graph', async () => {
  const { Graph, Program, grad, F } = await import('../../src/engine/index.js');
  const { Ctx } = await import('../../src/nn/index.js');
  const net = new TransformerNet({ width: 4, seed: 3 });
  const g = new Graph();
  const ctx = new Ctx(g, { root: net, trainable: 'all' });
  const x = g.input('x', [1, 3, 16, 16]);
  const loss = F.reduceMean(F.square(net.forward(ctx, x)));
  const params = [...ctx.inputs.values()];
  const grads = grad(loss, params);
  const outs: Record<string, import('../../src/engine/index.js').Tensor> = { loss };
  grads.forEach((t, i) => {
    if (t) outs[`g${i}`] = t;
  });
  const p = await Program.create(outs, { threads: 2 });
  try {
    const r = await p.run({ x: new Float32Array(3 * 16 * 16).map((_, i) => (i * 37) % 255), ...ctx.paramFeeds() });
    assert.equal(Object.keys(r).length, params.length + 1, 'every parameter has a gradient');
    assert.ok(Number.isFinite(r.loss[0]) && r.loss[0] > 0);
    const wg = r[`g${params.indexOf(ctx.t(net.deconv3.conv2d.weight))}`];
    assert.ok(wg.some((v) => v !== 0), 'deconv3 weight gradient is non-zero');
  } finally {
    await p.release();
  }
});
