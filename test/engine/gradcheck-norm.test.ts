/** Finite-difference checks of normalize and resize, and of two composites used by the models. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Graph, Program } from '../../src/engine/index.js';
import type { ResizeMode } from '../../src/engine/ops/resize.js';
import { gradcheck, uniform } from '../helpers/gradcheck.js';

const FULL = { elementwiseLimit: 400 };

describe('gradcheck: normalize', () => {
  test('instance norm: axes [2,3]', async () => {
    await gradcheck((_g, [x]) => F.normalize(x, [2, 3]).y, [{ shape: [2, 3, 4, 5] }], FULL);
  });
  test('batch norm: axes [0,2,3], scaled and shifted', async () => {
    await gradcheck(
      (g, [x, s]) =>
        F.add(
          F.mul(F.normalize(x, [0, 2, 3]).y, s),
          g.constant(Float32Array.from([0.1, -0.2, 0.3]), [1, 3, 1, 1]),
        ),
      [{ shape: [2, 3, 3, 4] }, { shape: [1, 3, 1, 1] }],
      FULL,
    );
  });
  test('large eps (the closed-form gradient must use var + eps, not var)', async () => {
    await gradcheck((_g, [x]) => F.normalize(x, [2, 3], 0.5).y, [{ shape: [1, 2, 3, 3] }], FULL);
  });
  test('mean and variance as outputs', async () => {
    await gradcheck(
      (_g, [x]) => {
        const m = F.normalize(x, [2, 3]);
        return F.add(F.add(m.y, F.mul(m.mean, 2)), F.sqrt(m.variance));
      },
      [{ shape: [1, 2, 3, 4] }],
      FULL,
    );
  });
  test('only mean and variance used (statistics matching, no gradient on y)', async () => {
    await gradcheck(
      (g, [x]) => {
        const m = F.normalize(x, [2, 3]);
        const target = g.constant(Float32Array.from([0.3, -0.1]), [1, 2, 1, 1]);
        return F.add(F.square(F.sub(m.mean, target)), F.sqrt(F.add(m.variance, 1e-5)));
      },
      [{ shape: [1, 2, 3, 4] }],
      FULL,
    );
  });
  test('negative axes', async () => {
    await gradcheck((_g, [x]) => F.normalize(x, [-2, -1]).y, [{ shape: [1, 2, 3, 4] }], FULL);
  });
});

describe('gradcheck: resize', () => {
  const cases: [ResizeMode, [number, number], [number, number]][] = [
    ['nearest', [4, 3], [8, 6]],
    ['nearest', [3, 4], [7, 5]],
    ['nearest', [8, 6], [4, 3]],
    ['nearest', [7, 7], [3, 5]],
    ['bilinear', [4, 3], [8, 6]],
    ['bilinear', [3, 4], [7, 5]],
    ['bilinear', [8, 6], [4, 3]],
    ['bilinear', [7, 7], [3, 5]],
    ['bilinear', [4, 3], [4, 6]],
    ['nearest', [5, 4], [2, 4]],
  ];
  for (const [mode, [ih, iw], [oh, ow]] of cases) {
    test(`${mode} ${ih}x${iw} -> ${oh}x${ow}`, async () => {
      await gradcheck((_g, [x]) => F.resize(x, oh, ow, mode), [{ shape: [2, 2, ih, iw] }], FULL);
    });
  }
});

describe('gradcheck: composites', () => {
  test('reflect pad -> conv -> instance norm -> relu -> sum of squares', async () => {
    const xs = [1, 2, 6, 6];
    const ws = [3, 2, 3, 3];
    const x0 = uniform(72, 22);
    const w0 = uniform(54, 1022);
    const build = (_g: Graph, [x, w]: Parameters<typeof F.conv2d>) => {
      const h = F.normalize(F.conv2d(F.pad(x, [0, 0, 1, 1, 0, 0, 1, 1], 'reflect'), w, null), [2, 3]).y;
      return { h, out: F.reduceSum(F.square(F.relu(h))) };
    };
    // The check is only meaningful away from relu's kink: with these values every pre-activation is
    // at least 0.06 from 0, and steps of 2e-3 on x and w move them by a few thousandths.
    const g = new Graph();
    const { h } = build(g, [g.input('x', xs), g.constant(w0, ws)]);
    const p = await Program.create({ h });
    const pre = (await p.run({ x: x0 })).h;
    await p.release();
    const margin = Math.min(...Array.from(pre, Math.abs));
    assert.ok(margin > 0.05, `seed puts a pre-activation ${margin} from the relu kink`);

    await gradcheck(
      (gg, [x, w]) => build(gg, [x, w]).out,
      [
        { shape: xs, data: x0 },
        { shape: ws, data: w0 },
      ],
      { ...FULL, eps: 2e-3 },
    );
  });

  test('Gram-matrix style cost: reshape, matmul with transposeLast, sub, square, reduceSum', async () => {
    const [c, h, w] = [3, 4, 5];
    const target = uniform(c * c, 33, -0.2, 0.2);
    await gradcheck(
      (g, [x]) => {
        const f = F.reshape(x, [1, c, h * w]);
        const gram = F.div(F.matmul(f, F.transposeLast(f)), c * h * w);
        return F.reduceSum(F.square(F.sub(gram, g.constant(target, [1, c, c]))));
      },
      [{ shape: [1, c, h, w] }],
      FULL,
    );
  });
});
