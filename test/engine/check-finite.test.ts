/**
 * Program.run's checkFinite sums v·0 over each output instead of testing every value: it must
 * still catch a single NaN or ±Inf anywhere (unrolled body and tail), and finite values whose
 * plain sum would overflow must not raise a false alarm.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { F, Graph, NonFiniteError, Program } from '../../src/engine/index.js';

describe('checkFinite', () => {
  test('finds one non-finite value at any position; huge finite values pass', async () => {
    const n = 11; // two unrolled groups of four and a tail of three
    const g = new Graph();
    const x = g.input('x', [n]);
    const p = await Program.create({ y: F.mul(x, 1) }, { threads: 1 });
    try {
      const huge = new Float32Array(n).fill(3.4e38);
      const ok = await p.run({ x: huge }, { checkFinite: true });
      assert.equal(ok.y[0], huge[0]);
      for (const bad of [NaN, Infinity, -Infinity]) {
        for (let i = 0; i < n; i++) {
          const v = new Float32Array(n).fill(-2);
          v[i] = bad;
          await assert.rejects(
            p.run({ x: v }, { checkFinite: true }),
            (e: unknown) => e instanceof NonFiniteError && /output 'y' is not finite/.test(e.message),
            `${bad} at ${i}`,
          );
        }
      }
    } finally {
      await p.release();
    }
  });
});
