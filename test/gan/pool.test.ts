import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImagePool, type PoolBatch } from '../../src/gan/pool.js';

/** A batch of n single-pixel RGB images whose values are their ids. */
function batch(ids: number[]): PoolBatch {
  const data = new Float32Array(ids.length * 3);
  ids.forEach((id, i) => data.fill(id, 3 * i, 3 * i + 3));
  return { data, shape: [ids.length, 3, 1, 1] };
}
const ids = (b: PoolBatch): number[] => Array.from({ length: b.shape[0] }, (_, i) => b.data[3 * i]);

test('pool_size 0 passes batches through untouched', () => {
  const p = new ImagePool(0);
  const b = batch([1, 2]);
  assert.equal(p.query(b), b);
});

test('fills up first, then returns a stored image half of the time and stores the new one', () => {
  const p = new ImagePool(4, 123);
  assert.deepEqual(ids(p.query(batch([1, 2, 3]))), [1, 2, 3], 'not full: the input comes back');
  assert.deepEqual(ids(p.query(batch([4]))), [4]);
  assert.equal(p.count, 4);
  const stored = new Set([1, 2, 3, 4]);
  let fromPool = 0;
  const N = 400;
  for (let i = 0; i < N; i++) {
    const id = 100 + i;
    const [got] = ids(p.query(batch([id])));
    if (got === id) continue;
    fromPool++;
    assert.ok(stored.has(got), `returned ${got}, which was not in the pool`);
    stored.delete(got);
    stored.add(id);
  }
  assert.equal(p.count, 4);
  assert.deepEqual(
    new Set(p.state().images.map((t) => t.data[0])),
    stored,
    'swapped images are the ones stored',
  );
  assert.ok(fromPool > N * 0.4 && fromPool < N * 0.6, `${fromPool} of ${N} from the pool`);
});

test('each image of a batch is decided on its own; the result is a new array', () => {
  const p = new ImagePool(2, 5);
  p.query(batch([1, 2]));
  const input = batch([10, 11, 12, 13, 14, 15, 16, 17]);
  const out = p.query(input);
  assert.notEqual(out.data, input.data);
  assert.deepEqual(out.shape, [8, 3, 1, 1]);
  const got = ids(out);
  assert.ok(got.some((v, i) => v === 10 + i) && got.some((v, i) => v !== 10 + i), got.join());
});

test('seeded and resumable: a restored pool continues exactly', () => {
  const run = (p: ImagePool, from: number, n: number): number[] => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(...ids(p.query(batch([from + i]))));
    return out;
  };
  const a = new ImagePool(3, 9, 'fake_B');
  const b = new ImagePool(3, 9, 'fake_B');
  assert.deepEqual(run(a, 0, 20), run(b, 0, 20));
  assert.notDeepEqual(
    run(new ImagePool(3, 9, 'fake_A'), 0, 20),
    run(new ImagePool(3, 9, 'fake_B'), 0, 20),
    'streams differ',
  );
  const saved = structuredClone(a.state());
  const expected = run(a, 100, 30);
  const c = new ImagePool(3, 0, 'other');
  c.setState(saved);
  assert.deepEqual(run(c, 100, 30), expected);
  assert.throws(() => new ImagePool(5).setState(saved), /--pool_size changed/);
});
