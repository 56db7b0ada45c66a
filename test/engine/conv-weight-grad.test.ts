/**
 * The MatMul lowerings of the conv weight gradient (lowering/conv_backprop_filter.ts: per-tap, im2col and shifted
 * gradient) against
 * the Conv lowering, which gradcheck-conv.test.ts checks by finite differences, on the
 * geometries the models use and the odd ones (stride with odd sizes, dilation, groups,
 * batches, ConvTranspose with output padding, one output channel).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Graph, Program, grad, withPolicy, type WeightGradMethod } from '../../src/engine/index.js';
import type { ConvTranspose2dOptions } from '../../src/engine/ops/conv.js';

let seed = 7;
const rnd = (n: number) => Float32Array.from({ length: n }, () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5);
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

async function weightGrad(
  method: WeightGradMethod | 'auto',
  transposed: boolean,
  xs: number[],
  ws: number[],
  opts: ConvTranspose2dOptions,
  feeds: Record<string, Float32Array>,
): Promise<Float32Array> {
  const g = new Graph({ policy: withPolicy({ convAlgorithm: 'direct', weightGrad: method }) });
  const x = g.input('x', xs);
  const w = g.input('w', ws);
  const y = transposed ? F.convTranspose2d(x, w, null, opts) : F.conv2d(x, w, null, opts);
  const r = g.input('r', y.shape);
  const [gw] = grad(F.reduceSum(F.mul(y, r)), [w]);
  const p = await Program.create({ gw });
  const out = (await p.run(feeds)).gw;
  await p.release();
  return out;
}

function outShape(transposed: boolean, xs: number[], ws: number[], o: ConvTranspose2dOptions): number[] {
  const p = (v: number | [number, number] | undefined, d: number, i: number) => (v === undefined ? d : typeof v === 'number' ? v : v[i]);
  const dims = [0, 1].map((i) => {
    const [n, s, pd, d, k] = [xs[2 + i], p(o.stride, 1, i), p(o.padding, 0, i), p(o.dilation, 1, i), ws[2 + i]];
    return transposed ? (n - 1) * s - 2 * pd + d * (k - 1) + p(o.outputPadding, 0, i) + 1 : Math.floor((n + 2 * pd - d * (k - 1) - 1) / s) + 1;
  });
  const k = transposed ? ws[1] * (o.groups ?? 1) : ws[0];
  return [xs[0], k, ...dims];
}

describe('conv weight gradient: MatMul lowerings agree with the Conv lowering', () => {
  const cases: [string, boolean, number[], number[], ConvTranspose2dOptions][] = [
    ['U-Net down: 4x4 stride 2 padding 1', false, [1, 16, 8, 8], [8, 16, 4, 4], { stride: 2, padding: 1 }],
    ['U-Net up: ConvTranspose 4x4 stride 2 padding 1', true, [1, 8, 3, 3], [8, 16, 4, 4], { stride: 2, padding: 1 }],
    // im2col of 4x4 stride 2 is a one-hot depthwise Conv: batches, odd sizes, output padding.
    ['4x4 stride 2 padding 1, batch 2, odd size', false, [2, 16, 9, 7], [5, 16, 4, 4], { stride: 2, padding: 1 }],
    ['ConvTranspose 4x4 stride 2 output padding 1, batch 2', true, [2, 6, 3, 4], [6, 16, 4, 4], { stride: 2, padding: 1, outputPadding: 1 }],
    ['PatchGAN head: one output channel, 4x4 padding 1', false, [1, 16, 5, 6], [1, 16, 4, 4], { padding: 1 }],
    ['3x3 stride 2 on odd input, batch 2', false, [2, 5, 7, 7], [6, 5, 3, 3], { stride: 2, padding: 1 }],
    ['stride 3 leaving rows unused', false, [1, 3, 8, 9], [4, 3, 3, 3], { stride: 3 }],
    ['dilation 2 with stride 2', false, [1, 3, 9, 8], [4, 3, 3, 3], { stride: 2, dilation: 2, padding: 1 }],
    ['padding wider than half the kernel, non-square kernel', false, [1, 3, 5, 4], [2, 3, 3, 2], { padding: [2, 1] }],
    ['groups 2, batch 2', false, [2, 4, 5, 5], [6, 2, 3, 3], { groups: 2, stride: 2, padding: 1 }],
    ['ConvTranspose 3x3 stride 2 output padding 1, batch 2', true, [2, 4, 3, 4], [4, 3, 3, 3], { stride: 2, padding: 1, outputPadding: 1 }],
    ['ConvTranspose output padding at the stride (below the dilation)', true, [1, 2, 4, 4], [2, 3, 3, 3], { dilation: 2, padding: 1, outputPadding: 1 }],
    ['resnet output conv: 7x7, three output channels', false, [1, 8, 12, 11], [3, 8, 7, 7], {}],
    ['few output channels with padding and a non-square kernel', false, [1, 5, 6, 7], [2, 5, 3, 4], { padding: [2, 1] }],
  ];
  for (const [name, transposed, xs, ws, opts] of cases) {
    test(name, async () => {
      const feeds = { x: rnd(size(xs)), w: rnd(size(ws)), r: rnd(size(outShape(transposed, xs, ws, opts))) };
      const ref = await weightGrad('conv', transposed, xs, ws, opts, feeds);
      // 'gshift' falls back to 'taps' where it does not apply (strides, dilations, batches).
      for (const method of ['taps', 'im2col', 'gshift', 'auto'] as const) {
        const got = await weightGrad(method, transposed, xs, ws, opts, feeds);
        assert.equal(got.length, ref.length);
        const worst = got.reduce((m, v, i) => Math.max(m, Math.abs(v - ref[i])), 0);
        const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        assert.ok(scale > 0.1, 'the reference gradient is not trivially zero');
        assert.ok(worst <= 1e-4 * Math.max(1, scale), `${method}: off by ${worst} (scale ${scale})`);
      }
    });
  }
});
