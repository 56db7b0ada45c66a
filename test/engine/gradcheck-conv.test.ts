/** Finite-difference checks of convolution, transposed convolution and pooling (input, weight and bias gradients). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Graph, Program } from '../../src/engine/index.js';
import type { Conv2dOptions, ConvTranspose2dOptions } from '../../src/engine/ops/conv.js';
import type { Pool2dOptions } from '../../src/engine/ops/pool.js';
import { distinct, gradcheck } from '../helpers/gradcheck.js';

// Inputs of a few hundred values get the full elementwise check, which pins down every border position.
const FULL = { elementwiseLimit: 400 };

describe('gradcheck: conv2d', () => {
  const cases: [string, number[], number[], Conv2dOptions][] = [
    ['3x3, padding 1, bias', [2, 3, 5, 5], [4, 3, 3, 3], { padding: 1 }],
    [
      'stride 2, padding 1, odd input (input gradient needs output padding)',
      [2, 2, 7, 7],
      [3, 2, 3, 3],
      { stride: 2, padding: 1 },
    ],
    ['stride 2, even input, no padding', [1, 2, 8, 8], [3, 2, 3, 3], { stride: 2 }],
    ['stride 3 leaving two rows unused', [1, 2, 8, 9], [2, 2, 3, 3], { stride: 3 }],
    ['dilation 2, padding 2', [1, 2, 7, 6], [3, 2, 3, 3], { dilation: 2, padding: 2 }],
    [
      'non-square kernel, stride and padding per axis',
      [1, 3, 7, 6],
      [2, 3, 3, 2],
      { stride: [2, 1], padding: [1, 0] },
    ],
    ['1x1 kernel, stride 2', [2, 3, 5, 5], [4, 3, 1, 1], { stride: 2 }],
    ['stride 2 and dilation 2 together', [1, 2, 9, 8], [2, 2, 3, 3], { stride: 2, dilation: 2, padding: 1 }],
    ['padding wider than half the kernel', [1, 2, 4, 4], [2, 2, 3, 3], { padding: 2 }],
    ['7x7 kernel with reflect-sized padding 3', [1, 1, 8, 8], [2, 1, 7, 7], { padding: 3 }],
    ['groups 2, stride 2 on odd input', [2, 4, 5, 5], [6, 2, 3, 3], { groups: 2, stride: 2, padding: 1 }],
    ['depthwise (groups = channels), dilation 2', [1, 3, 6, 6], [3, 1, 2, 2], { groups: 3, dilation: 2 }],
  ];
  for (const [name, xs, ws, opts] of cases) {
    test(name, async () => {
      await gradcheck(
        (_g, [x, w, b]) => F.conv2d(x, w, b, opts),
        [{ shape: xs }, { shape: ws }, { shape: [ws[0]] }],
        FULL,
      );
    });
  }
  test('without bias', async () => {
    await gradcheck(
      (_g, [x, w]) => F.conv2d(x, w, null, { stride: 2, padding: 1 }),
      [{ shape: [1, 2, 6, 5] }, { shape: [2, 2, 3, 3] }],
      FULL,
    );
  });
});

describe('gradcheck: convTranspose2d', () => {
  const cases: [string, number[], number[], ConvTranspose2dOptions][] = [
    [
      'stride 2, padding 1, outputPadding 1 (the generator upsampler)',
      [2, 3, 4, 4],
      [3, 2, 3, 3],
      { stride: 2, padding: 1, outputPadding: 1 },
    ],
    ['stride 2, padding 1, kernel 4 (pix2pix)', [1, 2, 3, 3], [2, 3, 4, 4], { stride: 2, padding: 1 }],
    ['stride 1, no padding', [1, 2, 4, 3], [2, 2, 3, 3], {}],
    ['dilation 2, padding 1', [1, 2, 4, 4], [2, 2, 3, 3], { dilation: 2, padding: 1 }],
    [
      'non-square kernel, per-axis stride and output padding',
      [1, 2, 3, 4],
      [2, 3, 3, 2],
      { stride: [2, 3], padding: [1, 0], outputPadding: [1, 2] },
    ],
    ['groups 2', [1, 4, 3, 3], [4, 1, 3, 3], { groups: 2, stride: 2, padding: 1, outputPadding: 1 }],
    [
      'outputPadding at the stride (allowed below the dilation)',
      [1, 2, 4, 4],
      [2, 2, 3, 3],
      { dilation: 2, padding: 1, outputPadding: 1 },
    ],
    [
      'outputPadding at the stride on one axis, below it on the other',
      [1, 2, 4, 3],
      [2, 2, 3, 3],
      { stride: [1, 3], padding: [1, 0], dilation: [2, 1], outputPadding: [1, 1] },
    ],
  ];
  for (const [name, xs, ws, opts] of cases) {
    test(name, async () => {
      const outC = ws[1] * (opts.groups ?? 1);
      await gradcheck(
        (_g, [x, w, b]) => F.convTranspose2d(x, w, b, opts),
        [{ shape: xs }, { shape: ws }, { shape: [outC] }],
        FULL,
      );
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
    ['ceilMode with padding', [1, 2, 5, 5], { kernel: 3, stride: 2, padding: 1, ceilMode: true }],
    [
      'ceilMode where PyTorch drops a window starting in the padding',
      [2, 1, 5, 5],
      { kernel: 2, stride: 2, padding: 1, ceilMode: true },
    ],
    [
      'ceilMode dropping a window on one axis only',
      [1, 1, 6, 9],
      { kernel: [4, 1], stride: [1, 3], padding: [1, 0], ceilMode: true },
    ],
    ['non-square kernel and stride', [1, 2, 6, 7], { kernel: [2, 3], stride: [2, 1] }],
    ['stride larger than the kernel (gaps)', [1, 2, 8, 7], { kernel: 2, stride: 3 }],
  ];
  for (const [name, xs, opts] of maxCases) {
    test(`maxPool2d ${name}`, async () => {
      const n = xs.reduce((p, d) => p * d, 1);
      await gradcheck((_g, [x]) => F.maxPool2d(x, opts), [{ shape: xs, data: distinct(n, n, 0.05) }], {
        ...FULL,
        eps: 0.01,
      });
    });
  }
  test('pooling forward in ceil mode matches a direct loop with PyTorch semantics', async () => {
    // ORT keeps a last window that starts in the right padding; PyTorch drops it (5 + 2·1 - 2 = 5,
    // ceil(5/2) + 1 = 4 windows, the last starting at 6 - 1 = 5 ≥ 5: 3 windows).
    const cases: [number, number, number, number, boolean, boolean][] = [
      // [size, kernel, stride, padding, ceil, countIncludePad]
      [5, 2, 2, 1, true, true],
      [5, 2, 2, 1, true, false],
      [6, 3, 2, 1, true, true],
      [7, 3, 2, 0, true, true],
      [5, 3, 2, 1, false, true],
    ];
    for (const [n, k, s, p, ceilMode, countIncludePad] of cases) {
      const g = new Graph();
      const x = g.input('x', [1, 1, n, n]);
      const opts = { kernel: k, stride: s, padding: p, ceilMode, countIncludePad };
      const mx = F.maxPool2d(x, opts);
      const av = F.avgPool2d(x, opts);
      const xs = distinct(n * n, n, 0.05);
      const want = {
        max: refPool(xs, n, k, s, p, ceilMode, 'max', countIncludePad),
        avg: refPool(xs, n, k, s, p, ceilMode, 'avg', countIncludePad),
      };
      assert.deepEqual(mx.shape, [1, 1, want.max.size, want.max.size]);
      const prog = await Program.create({ mx, av }, { threads: 1 });
      const r = await prog.run({ x: xs });
      await prog.release();
      for (const [got, ref] of [
        [r.mx, want.max.y],
        [r.av, want.avg.y],
      ] as const) {
        assert.equal(got.length, ref.length, JSON.stringify(opts));
        ref.forEach((v, i) =>
          assert.ok(Math.abs(v - got[i]) < 1e-6, `${JSON.stringify(opts)}[${i}]: ${got[i]} vs ${v}`),
        );
      }
    }
  });

  const avgCases: [string, number[], Pool2dOptions][] = [
    ['kernel 2 stride 2', [2, 2, 6, 6], { kernel: 2 }],
    ['kernel 3 stride 2 on odd size', [1, 2, 7, 7], { kernel: 3, stride: 2 }],
    ['kernel 3 stride 2 padding 1 (padding counted)', [1, 2, 6, 5], { kernel: 3, stride: 2, padding: 1 }],
    ['kernel 3 stride 3 leaving a row unused', [1, 1, 7, 8], { kernel: 3, stride: 3 }],
    ['countIncludePad=false without padding', [1, 2, 5, 5], { kernel: 2, stride: 1, countIncludePad: false }],
    ['stride larger than the kernel (gaps)', [1, 2, 8, 7], { kernel: 2, stride: 3 }],
    [
      'non-square kernel, padding on one axis',
      [1, 2, 6, 7],
      { kernel: [3, 2], stride: [2, 1], padding: [1, 0] },
    ],
  ];
  for (const [name, xs, opts] of avgCases) {
    test(`avgPool2d ${name}`, async () => {
      await gradcheck((_g, [x]) => F.avgPool2d(x, opts), [{ shape: xs }], FULL);
    });
  }
});

/** PyTorch's max/avg pooling of one square plane: padded windows, ceil mode dropping windows that start in the right padding. */
function refPool(
  x: Float32Array,
  n: number,
  k: number,
  s: number,
  p: number,
  ceil: boolean,
  mode: 'max' | 'avg',
  countIncludePad: boolean,
): { y: number[]; size: number } {
  const span = n + 2 * p - k;
  let size = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (size - 1) * s >= n + p) size--;
  const y: number[] = [];
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      const [hs, ws] = [i * s - p, j * s - p];
      const [he, we] = [Math.min(hs + k, n + p), Math.min(ws + k, n + p)];
      const [h0, w0, h1, w1] = [Math.max(hs, 0), Math.max(ws, 0), Math.min(he, n), Math.min(we, n)];
      let m = -Infinity;
      let sum = 0;
      for (let a = h0; a < h1; a++) {
        for (let b = w0; b < w1; b++) {
          m = Math.max(m, x[a * n + b]);
          sum += x[a * n + b];
        }
      }
      const count = countIncludePad ? (he - hs) * (we - ws) : (h1 - h0) * (w1 - w0);
      y.push(mode === 'max' ? m : sum / count);
    }
  }
  return { y, size };
}
