/** Finite-difference checks of convolution, transposed convolution and pooling (input, weight and bias gradients). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Graph } from '../../src/engine/index.js';
import type { Conv2dOptions, ConvTranspose2dOptions } from '../../src/engine/ops/conv.js';
import type { Pool2dOptions } from '../../src/engine/ops/pool.js';
import { distinct, gradcheck } from '../helpers/gradcheck.js';

// Inputs of a few hundred values get the full elementwise check, which pins down every border position.
const FULL = { elementwiseLimit: 400 };

describe('gradcheck: conv2d', () => {
  const cases: [string, number[], number[], Conv2dOptions][] = [
    ['3x3, padding 1, bias', [2, 3, 5, 5], [4, 3, 3, 3], { padding: 1 }],
    ['stride 2, padding 1, odd input (input gradient needs output padding)', [2, 2, 7, 7], [3, 2, 3, 3], { stride: 2, padding: 1 }],
    ['stride 2, even input, no padding', [1, 2, 8, 8], [3, 2, 3, 3], { stride: 2 }],
    ['stride 3 leaving two rows unused', [1, 2, 8, 9], [2, 2, 3, 3], { stride: 3 }],
    ['dilation 2, padding 2', [1, 2, 7, 6], [3, 2, 3, 3], { dilation: 2, padding: 2 }],
    ['non-square kernel, stride and padding per axis', [1, 3, 7, 6], [2, 3, 3, 2], { stride: [2, 1], padding: [1, 0] }],
    ['1x1 kernel, stride 2', [2, 3, 5, 5], [4, 3, 1, 1], { stride: 2 }],
    ['stride 2 and dilation 2 together', [1, 2, 9, 8], [2, 2, 3, 3], { stride: 2, dilation: 2, padding: 1 }],
    ['padding wider than half the kernel', [1, 2, 4, 4], [2, 2, 3, 3], { padding: 2 }],
    ['7x7 kernel with reflect-sized padding 3', [1, 1, 8, 8], [2, 1, 7, 7], { padding: 3 }],
    ['groups 2, stride 2 on odd input', [2, 4, 5, 5], [6, 2, 3, 3], { groups: 2, stride: 2, padding: 1 }],
    ['depthwise (groups = channels), dilation 2', [1, 3, 6, 6], [3, 1, 2, 2], { groups: 3, dilation: 2 }],
  ];
  for (const [name, xs, ws, opts] of cases) {
    test(name, async () => {
      await gradcheck((_g, [x, w, b]) => F.conv2d(x, w, b, opts), [{ shape: xs }, { shape: ws }, { shape: [ws[0]] }], FULL);
    });
  }
  test('without bias', async () => {
    await gradcheck((_g, [x, w]) => F.conv2d(x, w, null, { stride: 2, padding: 1 }), [{ shape: [1, 2, 6, 5] }, { shape: [2, 2, 3, 3] }], FULL);
  });
});

describe('gradcheck: convTranspose2d', () => {
  const cases: [string, number[], number[], ConvTranspose2dOptions][] = [
    ['stride 2, padding 1, outputPadding 1 (the generator upsampler)', [2, 3, 4, 4], [3, 2, 3, 3], { stride: 2, padding: 1, outputPadding: 1 }],
    ['stride 2, padding 1, kernel 4 (pix2pix)', [1, 2, 3, 3], [2, 3, 4, 4], { stride: 2, padding: 1 }],
    ['stride 1, no padding', [1, 2, 4, 3], [2, 2, 3, 3], {}],
    ['dilation 2, padding 1', [1, 2, 4, 4], [2, 2, 3, 3], { dilation: 2, padding: 1 }],
    ['non-square kernel, per-axis stride and output padding', [1, 2, 3, 4], [2, 3, 3, 2], { stride: [2, 3], padding: [1, 0], outputPadding: [1, 2] }],
    ['groups 2', [1, 4, 3, 3], [4, 1, 3, 3], { groups: 2, stride: 2, padding: 1, outputPadding: 1 }],
    ['outputPadding at the stride (allowed below the dilation)', [1, 2, 4, 4], [2, 2, 3, 3], { dilation: 2, padding: 1, outputPadding: 1 }],
  ];
  for (const [name, xs, ws, opts] of cases) {
    test(name, async () => {
      const outC = ws[1] * (opts.groups ?? 1);
      await gradcheck((_g, [x, w, b]) => F.convTranspose2d(x, w, b, opts), [{ shape: xs }, { shape: ws }, { shape: [outC] }], FULL);
    });
  }
});

describe('gradcheck: pooling', () => {
  // Max pooling: values spaced 0.05 apart and a step of 0.01, so no perturbation can change an argmax.
  const maxCases: [string, number[], Pool2dOptions][] = [
    ['kernel 2 stride 2', [2, 2, 6, 6], { kernel: 2 }],
    ['overlapping windows: kernel 3 stride 2', [2, 2, 7, 7], { kernel: 3, stride: 2 }],
    ['kernel 3 stride 1 (each value in up to nine windows)', [1, 2, 5, 5], { kernel: 3, stride: 1 }],
    ['kernel 3 stride 2 padding 1', [2, 2, 6, 5], { kernel: 3, stride: 2, padding: 1 }],
    ['ceilMode: kernel 3 stride 2 on 6x6', [1, 2, 6, 6], { kernel: 3, stride: 2, ceilMode: true }],
    ['ceilMode with padding (last window dropped)', [1, 2, 5, 5], { kernel: 3, stride: 2, padding: 1, ceilMode: true }],
    ['non-square kernel and stride', [1, 2, 6, 7], { kernel: [2, 3], stride: [2, 1] }],
    ['stride larger than the kernel (gaps)', [1, 2, 8, 7], { kernel: 2, stride: 3 }],
  ];
  for (const [name, xs, opts] of maxCases) {
    test(`maxPool2d ${name}`, async () => {
      const n = xs.reduce((p, d) => p * d, 1);
      await gradcheck((_g, [x]) => F.maxPool2d(x, opts), [{ shape: xs, data: distinct(n, n, 0.05) }], { ...FULL, eps: 0.01 });
    });
  }
  test('maxPool2d reports PyTorch output sizes', () => {
    // ceil mode drops a window that would start in the right padding (5 + 2 - 3 = 4 → 3 windows, not 4).
    const g = new Graph();
    const shape = (xs: number[], o: Pool2dOptions): readonly number[] => F.maxPool2d(g.input(`x${xs}${JSON.stringify(o)}`, xs), o).shape;
    assert.deepEqual(shape([1, 1, 5, 5], { kernel: 3, stride: 2, padding: 1, ceilMode: true }), [1, 1, 3, 3]);
    assert.deepEqual(shape([1, 1, 6, 6], { kernel: 3, stride: 2, ceilMode: true }), [1, 1, 3, 3]);
    assert.deepEqual(shape([1, 1, 6, 6], { kernel: 3, stride: 2 }), [1, 1, 2, 2]);
  });

  const avgCases: [string, number[], Pool2dOptions][] = [
    ['kernel 2 stride 2', [2, 2, 6, 6], { kernel: 2 }],
    ['kernel 3 stride 2 on odd size', [1, 2, 7, 7], { kernel: 3, stride: 2 }],
    ['kernel 3 stride 2 padding 1 (padding counted)', [1, 2, 6, 5], { kernel: 3, stride: 2, padding: 1 }],
    ['kernel 3 stride 3 leaving a row unused', [1, 1, 7, 8], { kernel: 3, stride: 3 }],
    ['countIncludePad=false without padding', [1, 2, 5, 5], { kernel: 2, stride: 1, countIncludePad: false }],
    ['stride larger than the kernel (gaps)', [1, 2, 8, 7], { kernel: 2, stride: 3 }],
    ['non-square kernel, padding on one axis', [1, 2, 6, 7], { kernel: [3, 2], stride: [2, 1], padding: [1, 0] }],
  ];
  for (const [name, xs, opts] of avgCases) {
    test(`avgPool2d ${name}`, async () => {
      await gradcheck((_g, [x]) => F.avgPool2d(x, opts), [{ shape: xs }], FULL);
    });
  }
});
