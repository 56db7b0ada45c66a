/** Finite-difference checks of matmul, the data-movement ops and the reductions. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { F } from '../../src/engine/index.js';
import type { SliceSpec } from '../../src/engine/ops/shape.js';
import { gradcheck } from '../helpers/gradcheck.js';

describe('gradcheck: matmul', () => {
  const cases: [number[], number[]][] = [
    [
      [3, 4],
      [4, 5],
    ],
    [
      [2, 3, 4],
      [2, 4, 5],
    ],
    [
      [2, 1, 3, 4],
      [5, 4, 2],
    ],
    [
      [3, 4],
      [2, 4, 5],
    ],
    [
      [2, 3, 4],
      [4, 2],
    ],
  ];
  for (const [a, b] of cases) {
    test(`[${a}] @ [${b}]`, async () => {
      await gradcheck((_g, [x, y]) => F.matmul(x, y), [{ shape: a }, { shape: b }]);
    });
  }
  test('A @ Aᵀ (transposeLast, one input used twice)', async () => {
    await gradcheck((_g, [x]) => F.matmul(x, F.transposeLast(x)), [{ shape: [2, 3, 5] }]);
  });
  test('gram(A) = A @ Aᵀ as the Gram op, whose VJP is (g + gᵀ) @ A', async () => {
    await gradcheck((_g, [x]) => {
      const y = F.gram(x);
      assert.equal(y.source.kind === 'node' && y.source.node.type, 'Gram');
      return y;
    }, [{ shape: [2, 3, 5] }]);
  });
});

describe('gradcheck: reshape, transpose, expand', () => {
  test('transpose with a permutation that is not its own inverse', async () => {
    await gradcheck((_g, [x]) => F.transpose(x, [2, 0, 1]), [{ shape: [2, 3, 4] }]);
  });
  test('transposeLast on rank 4', async () => {
    await gradcheck((_g, [x]) => F.transposeLast(x), [{ shape: [2, 2, 3, 4] }]);
  });
  test('reshape with -1, then a non-trivial use', async () => {
    await gradcheck((_g, [x]) => F.mul(F.reshape(x, [4, -1]), F.reshape(x, [-1, 6])), [{ shape: [2, 3, 4] }]);
  });
  test('expand [3,1] to [2,3,4]', async () => {
    await gradcheck((_g, [x]) => F.expand(x, [2, 3, 4]), [{ shape: [3, 1] }]);
  });
  test('expand a rank-0 tensor', async () => {
    await gradcheck((_g, [x]) => F.expand(x, [2, 2]), [{ shape: [] }]);
  });
  test('sumToShape [2,3,4] to [3,1]', async () => {
    await gradcheck((_g, [x]) => F.sumToShape(x, [3, 1]), [{ shape: [2, 3, 4] }]);
  });
});

describe('gradcheck: slice', () => {
  const cases: [string, SliceSpec[]][] = [
    ['positive range', [{ axis: 1, start: 1, end: 4 }]],
    ['negative indices', [{ axis: 1, start: -4, end: -1 }]],
    ['negative axis and open end', [{ axis: -1, start: 2 }]],
    ['full reverse (step -1)', [{ axis: 2, step: -1 }]],
    ['reverse from a negative start', [{ axis: 1, start: -2, end: 0, step: -1 }]],
    ['step 2', [{ axis: 1, start: 0, step: 2 }]],
    ['step 2 ending early', [{ axis: 2, start: 1, end: 5, step: 2 }]],
    ['step -2 from the end', [{ axis: 1, step: -2 }]],
    ['step -3 with negative bounds', [{ axis: 2, start: -1, end: -7, step: -3 }]],
    [
      'two axes at once, one reversed',
      [
        { axis: 1, start: 1, end: -1 },
        { axis: 2, start: -2, step: -1 },
      ],
    ],
  ];
  for (const [name, specs] of cases) {
    test(name, async () => {
      await gradcheck((_g, [x]) => F.slice(x, specs), [{ shape: [2, 5, 7] }]);
    });
  }
});

describe('gradcheck: concat', () => {
  test('three inputs on axis 1', async () => {
    await gradcheck(
      (_g, [a, b, c]) => F.concat([a, b, c], 1),
      [{ shape: [2, 1, 3] }, { shape: [2, 3, 3] }, { shape: [2, 2, 3] }],
    );
  });
  test('negative axis, same input twice', async () => {
    await gradcheck((_g, [a, b]) => F.concat([a, b, a], -1), [{ shape: [2, 3] }, { shape: [2, 1] }]);
  });
});

describe('gradcheck: pad', () => {
  // [N, C, H, W] = [1, 2, 4, 5]; pads are [begins..., ends...].
  const shape = [1, 2, 4, 5];
  const cases: [string, number[], 'constant' | 'reflect' | 'edge', number?][] = [
    ['constant, asymmetric, non-zero value', [0, 0, 1, 2, 0, 0, 3, 0], 'constant', 0.5],
    ['constant, negative pads crop', [0, 0, -1, 0, 0, 0, 0, -2], 'constant'],
    ['constant, pad one side and crop the other', [0, 0, 2, -1, 0, 0, -1, 3], 'constant'],
    ['constant on the channel axis', [0, 1, 0, 0, 0, 2, 0, 0], 'constant'],
    ['reflect, asymmetric', [0, 0, 1, 2, 0, 0, 2, 1], 'reflect'],
    ['reflect, as wide as allowed', [0, 0, 3, 4, 0, 0, 3, 4], 'reflect'],
    ['edge, asymmetric', [0, 0, 2, 0, 0, 0, 1, 3], 'edge'],
    ['edge wider than the axis', [0, 0, 5, 1, 0, 0, 0, 6], 'edge'],
    ['reflect on H, crop on W', [0, 0, 2, -1, 0, 0, 1, -2], 'reflect'],
    ['edge on H, crop on W', [0, 0, 1, -2, 0, 0, 2, -1], 'edge'],
    ['reflect before and crop after on the same axis', [0, 0, 2, 0, 0, 0, -1, 0], 'reflect'],
    ['crop before and edge after on the same axis', [0, 0, 0, -2, 0, 0, 0, 3], 'edge'],
  ];
  for (const [name, pads, mode, value] of cases) {
    test(name, async () => {
      await gradcheck((_g, [x]) => F.pad(x, pads, mode, value), [{ shape }]);
    });
  }
});

describe('gradcheck: reductions', () => {
  const shape = [2, 3, 4];
  for (const keep of [false, true]) {
    test(`reduceSum over [1] keepdims=${keep}`, async () => {
      await gradcheck((_g, [x]) => F.reduceSum(x, [1], keep), [{ shape }]);
    });
    test(`reduceSum over [0,2] keepdims=${keep}`, async () => {
      await gradcheck((_g, [x]) => F.reduceSum(x, [0, 2], keep), [{ shape }]);
    });
    test(`reduceMean over [-1] keepdims=${keep}`, async () => {
      await gradcheck((_g, [x]) => F.reduceMean(x, [-1], keep), [{ shape }]);
    });
    test(`reduceMean over [0,1] keepdims=${keep}`, async () => {
      await gradcheck((_g, [x]) => F.reduceMean(x, [0, 1], keep), [{ shape }]);
    });
    test(`reduceMean over all axes keepdims=${keep}`, async () => {
      await gradcheck(
        (_g, [x]) => F.mul(F.reduceMean(x, undefined, keep), F.reduceSum(x, undefined, keep)),
        [{ shape }],
      );
    });
  }
});
