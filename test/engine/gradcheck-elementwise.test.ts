/** Finite-difference checks of the elementwise ops, with every broadcasting pattern. */
import { describe, test } from 'node:test';
import { F, type Tensor } from '../../src/engine/index.js';
import { awayFromZero, gradcheck, uniform } from '../helpers/gradcheck.js';

type Bin = (a: Tensor, b: Tensor) => Tensor;
const binaries: [string, Bin][] = [
  ['add', F.add],
  ['sub', F.sub],
  ['mul', F.mul],
  ['div', F.div],
];
// [a shape, b shape]: same, trailing, leading size-1 both ways, rank-0 tensor on either side.
const patterns: [number[], number[]][] = [
  [
    [2, 3],
    [2, 3],
  ],
  [[2, 3, 4], [4]],
  [
    [2, 1, 4],
    [3, 1],
  ],
  [
    [3, 1],
    [2, 1, 4],
  ],
  [[2, 3], []],
  [[], [2, 3]],
];

describe('gradcheck: binary elementwise', () => {
  for (const [name, op] of binaries) {
    for (const [sa, sb] of patterns) {
      test(`${name} [${sa}] with [${sb}]`, async () => {
        const n = (s: number[]) => s.reduce((p, d) => p * d, 1);
        // Divisors stay in ±[0.5, 1.5] so 1/b is smooth over the step.
        const b = name === 'div' ? awayFromZero(n(sb), 5, 0.5, 1.5) : uniform(n(sb), 5);
        await gradcheck((_g, [x, y]) => op(x, y), [{ shape: sa }, { shape: sb, data: b }]);
      });
    }
  }

  test('number operands on either side (add, sub, mul, div, rsub, rdiv)', async () => {
    await gradcheck(
      (_g, [x, d]) =>
        F.add(F.add(F.mul(F.sub(F.add(x, 0.5), 2), 3), F.div(x, 4)), F.add(F.rsub(1.5, x), F.rdiv(2, d))),
      [{ shape: [3, 4] }, { shape: [3, 4], data: awayFromZero(12, 9, 0.5, 1.5) }],
    );
  });

  test('the same input used twice accumulates (x*x + x/y)', async () => {
    await gradcheck(
      (_g, [x, y]) => F.add(F.mul(x, x), F.div(x, y)),
      [{ shape: [2, 5] }, { shape: [5], data: awayFromZero(5, 3, 0.5, 1.5) }],
    );
  });
});

describe('gradcheck: pow', () => {
  test('positive base, fractional number exponent', async () => {
    await gradcheck((_g, [x]) => F.pow(x, 2.5), [{ shape: [3, 4], data: uniform(12, 2, 0.3, 2) }]);
  });
  test('negative base, integer exponent', async () => {
    await gradcheck((_g, [x]) => F.pow(x, 3), [{ shape: [2, 5], data: uniform(10, 4, -1.5, 1.5) }]);
  });
  test('tensor exponent, broadcast against the base', async () => {
    await gradcheck(
      (_g, [x, e]) => F.pow(x, e),
      [
        { shape: [2, 3, 4], data: uniform(24, 6, 0.3, 2) },
        { shape: [3, 1], data: uniform(3, 7, -1.5, 2.5) },
      ],
    );
  });
  test('square', async () => {
    await gradcheck((_g, [x]) => F.square(x), [{ shape: [4, 4] }]);
  });
});

describe('gradcheck: where and clip', () => {
  test('where with a broadcast condition and both branches broadcast', async () => {
    await gradcheck(
      (g, [x, y]) => {
        const c = F.greater(g.constant(Float32Array.from([1, -1]), [2, 1]), 0);
        return F.where(c, x, y);
      },
      [{ shape: [2, 3] }, { shape: [3] }],
    );
  });
  test('where with a data-dependent condition and a number branch', async () => {
    await gradcheck(
      (_g, [x]) => F.mul(F.where(F.less(x, 0), F.mul(x, 3), 0.25), x),
      [{ shape: [3, 5], data: awayFromZero(15, 11) }],
    );
  });
  test('clip passes the gradient inside [min, max] only', async () => {
    // Values avoid the bounds ±0.5 by more than the step.
    const data = awayFromZero(24, 12, 0.05, 1).map((v) => (Math.abs(Math.abs(v) - 0.5) < 0.05 ? v * 1.3 : v));
    await gradcheck((_g, [x]) => F.mul(F.clip(x, -0.5, 0.5), x), [{ shape: [4, 6], data }]);
  });
});

describe('gradcheck: unary', () => {
  const smooth: [string, (x: Tensor) => Tensor, Float32Array][] = [
    ['sigmoid', F.sigmoid, uniform(20, 1, -3, 3)],
    ['tanh', F.tanh, uniform(20, 2, -2, 2)],
    ['exp', F.exp, uniform(20, 3, -2, 2)],
    ['log', F.log, uniform(20, 4, 0.2, 3)],
    ['sqrt', F.sqrt, uniform(20, 5, 0.2, 3)],
    ['neg', F.neg, uniform(20, 6)],
    ['cast to float32', (x) => F.cast(x, 'float32'), uniform(20, 7)],
  ];
  for (const [name, op, data] of smooth) {
    test(name, async () => {
      await gradcheck((_g, [x]) => op(x), [{ shape: [4, 5], data }]);
    });
  }
  // Kinked ops: inputs at least 0.1 from zero, ten times the step.
  const kinked: [string, (x: Tensor) => Tensor][] = [
    ['relu', F.relu],
    ['abs', F.abs],
    ['leakyRelu (default slope)', (x) => F.leakyRelu(x)],
    ['leakyRelu (slope 0.2)', (x) => F.leakyRelu(x, 0.2)],
  ];
  for (const [name, op] of kinked) {
    test(name, async () => {
      await gradcheck((_g, [x]) => op(x), [{ shape: [4, 5], data: awayFromZero(20, 8) }]);
    });
  }
});
