import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RelativeChangeStop } from '../../src/optim/stopping.js';

test('stops once the cost falls by less than the tolerance over the window, not before', () => {
  const stop = new RelativeChangeStop(0.01, 3);
  // 10% per evaluation: never stops.
  let c = 100;
  for (let i = 0; i < 20; i++) assert.equal(stop.push((c *= 0.9)), false, `step ${i}`);
  // Then 0.1% per evaluation: the window still holds a large fall for three more pushes.
  const verdicts = Array.from({ length: 5 }, () => stop.push((c *= 0.999)));
  assert.deepEqual(verdicts, [false, false, true, true, true]);
});

test('a cost that goes up over the window stops; a zero or negative tolerance never does', () => {
  const up = new RelativeChangeStop(1e-3, 2);
  assert.deepEqual(
    [10, 9, 10.5].map((v) => up.push(v)),
    [false, false, true],
  );
  for (const tol of [0, -1]) {
    const never = new RelativeChangeStop(tol, 2);
    assert.ok([5, 5, 5, 5, 5].every((v) => !never.push(v)));
  }
});
