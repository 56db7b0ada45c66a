/** Program, ProgramCache and standalone ONNX export, on the real ONNX Runtime. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { F, Graph, Program, ProgramCache, grad, toOnnxBytes, type Tensor } from '../../src/engine/index.js';
import { uniform } from '../helpers/gradcheck.js';

/** A small program y = sum(x * k) with a distinct constant k, so programs can be told apart by their result. */
async function scaled(k: number): Promise<Program> {
  const g = new Graph();
  const x = g.input('x', [2]);
  return Program.create({ y: F.reduceSum(F.mul(x, k)) }, { threads: 1 });
}
const ones = { x: Float32Array.from([1, 1]) };
const released = (p: Program) => assert.rejects(p.run(ones), /after release/);

describe('ProgramCache', () => {
  test('reuses the program built for a key', async () => {
    const cache = new ProgramCache(4);
    let builds = 0;
    const build = () => {
      builds++;
      return scaled(3);
    };
    const [a, b] = await Promise.all([cache.get('k', build), cache.get('k', build)]);
    const c = await cache.get('k', build);
    assert.equal(builds, 1);
    assert.equal(a, b);
    assert.equal(a, c);
    assert.equal((await a.run(ones)).y[0], 6);
    await cache.clear();
    await released(a);
  });

  test('evicts the least recently used program and releases it', async () => {
    const cache = new ProgramCache(2);
    const p1 = await cache.get('one', () => scaled(1));
    const p2 = await cache.get('two', () => scaled(2));
    await cache.get('one', () => scaled(-1)); // touch: 'two' is now the oldest
    const p3 = await cache.get('three', () => scaled(3));
    await new Promise((r) => setImmediate(r)); // eviction releases asynchronously
    await released(p2);
    assert.equal((await p1.run(ones)).y[0], 2);
    assert.equal((await p3.run(ones)).y[0], 6);
    // The evicted key builds anew.
    const again = await cache.get('two', () => scaled(20));
    assert.notEqual(again, p2);
    assert.equal((await again.run(ones)).y[0], 40);
    await cache.clear();
    for (const p of [p1, p3, again]) await released(p);
  });

  test('a failed build is not cached', async () => {
    const cache = new ProgramCache(2);
    await assert.rejects(
      cache.get('k', () => Promise.reject(new Error('boom'))),
      /boom/,
    );
    await new Promise((r) => setImmediate(r));
    const p = await cache.get('k', () => scaled(5));
    assert.equal((await p.run(ones)).y[0], 10);
    await cache.clear();
  });
});

describe('toOnnxBytes', () => {
  test('a forward+backward graph runs the same in a plain InferenceSession', async () => {
    const g = new Graph();
    const x = g.input('x', [1, 2, 6, 6]);
    const w = g.constant(uniform(4 * 2 * 3 * 3, 3), [4, 2, 3, 3], 'weight');
    const b = g.constant(uniform(4, 4), [4], 'bias');
    const h = F.relu(F.conv2d(F.pad(x, [0, 0, 1, 1, 0, 0, 1, 1], 'reflect'), w, b, { stride: 2 }));
    const y = F.reduceSum(F.square(F.normalize(h, [2, 3]).y));
    const [gx] = grad(y, [x]);
    const outputs = { y, gx, h };
    const xs = uniform(72, 5);

    const p = await Program.create(outputs, { threads: 1 });
    const ours = await p.run({ x: xs });
    await p.release();

    const bytes = toOnnxBytes(outputs);
    const session = await ort.InferenceSession.create(bytes);
    assert.deepEqual([...session.inputNames], ['x']);
    assert.deepEqual([...session.outputNames].sort(), ['gx', 'h', 'y']);
    const res = await session.run({ x: new ort.Tensor('float32', xs, [1, 2, 6, 6]) });
    await session.release();
    assert.deepEqual([...res.h.dims], [1, 4, 3, 3]);
    assert.deepEqual([...res.gx.dims], [1, 2, 6, 6]);
    for (const k of ['y', 'gx', 'h'] as const) {
      const a = ours[k];
      const r = res[k].data as Float32Array;
      assert.equal(r.length, a.length);
      for (let i = 0; i < a.length; i++)
        assert.ok(Math.abs(a[i] - r[i]) <= 1e-5 * (1 + Math.abs(a[i])), `${k}[${i}]: ${a[i]} vs ${r[i]}`);
    }
    // The gradient is not trivially zero.
    assert.ok(ours.gx.some((v) => Math.abs(v) > 1e-3));
  });
});

describe('outputs that are not plain node results', () => {
  test('a graph input as an output, alone and next to computed outputs', async () => {
    const g = new Graph();
    const x = g.input('x', [3]);
    const xs = Float32Array.from([1, -2, 3]);
    const alone = await Program.create({ echo: x }, { threads: 1 });
    assert.deepEqual([...(await alone.run({ x: xs })).echo], [1, -2, 3]);
    await alone.release();
    const p = await Program.create({ echo: x, y: F.mul(x, 2) }, { threads: 1 });
    const r = await p.run({ x: xs });
    assert.deepEqual([...r.echo], [1, -2, 3]);
    assert.deepEqual([...r.y], [2, -4, 6]);
    await p.release();
  });

  test('constants as outputs with allowConstantOutputs (a tensor and a shared scalar)', async () => {
    const g = new Graph();
    const x = g.input('x', [2]);
    const c = g.constant(Float32Array.from([7, 8, 9]), [3], 'c');
    const y = F.add(x, 0.5);
    const p = await Program.create({ c, half: g.scalar(0.5), y }, { allowConstantOutputs: true, threads: 1 });
    const r = await p.run({ x: Float32Array.from([1, 2]) });
    assert.deepEqual([...r.c], [7, 8, 9]);
    assert.deepEqual([...r.half], [0.5]);
    assert.deepEqual([...r.y], [1.5, 2.5]);
    await p.release();
  });

  test('two outputs naming the same tensor, and an output that also feeds another', async () => {
    const g = new Graph();
    const x = g.input('x', [2, 2]);
    const h = F.mul(x, 3);
    const y = F.reduceSum(h);
    const p = await Program.create({ a: h, b: h, y, y2: y, x1: x, x2: x }, { threads: 1 });
    const r = await p.run({ x: Float32Array.from([1, 2, 3, 4]) });
    assert.deepEqual([...r.a], [3, 6, 9, 12]);
    assert.deepEqual([...r.b], [3, 6, 9, 12]);
    assert.deepEqual([...r.y], [30]);
    assert.deepEqual([...r.y2], [30]);
    assert.deepEqual([...r.x1], [1, 2, 3, 4]);
    assert.deepEqual([...r.x2], [1, 2, 3, 4]);
    await p.release();
  });

  test('an output that is a gradient equal to a seed passes through', async () => {
    const g = new Graph();
    const x = g.input('x', [3]);
    const s = g.input('s', [3]);
    const [gx] = grad(F.add(x, 1), [x], { seeds: [s] }) as Tensor[];
    const p = await Program.create({ gx }, { threads: 1 });
    const r = await p.run({ x: Float32Array.from([0, 0, 0]), s: Float32Array.from([4, 5, 6]) });
    assert.deepEqual([...r.gx], [4, 5, 6]);
    await p.release();
  });

  test('a multi-output op whose first output is unused (MaxPool values when only the gradient is asked)', async () => {
    const g = new Graph();
    const x = g.input('x', [1, 1, 2, 4]);
    const s = g.input('s', [1, 1, 1, 2]);
    const [gx] = grad(F.maxPool2d(x, { kernel: 2 }), [x], { seeds: [s] });
    const p = await Program.create({ gx }, { threads: 1 });
    const r = await p.run({ x: Float32Array.from([1, 4, 8, 5, 3, 2, 6, 7]), s: Float32Array.from([10, 20]) });
    assert.deepEqual([...r.gx], [0, 10, 20, 0, 0, 0, 0, 0]);
    await p.release();
  });

  test('normalize with only its statistics used', async () => {
    const g = new Graph();
    const x = g.input('x', [1, 2, 2, 2]);
    const m = F.normalize(x, [2, 3]);
    const p = await Program.create({ mean: m.mean, variance: m.variance }, { threads: 1 });
    const r = await p.run({ x: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 9]) });
    assert.deepEqual([...r.mean], [2.5, 6.75]);
    assert.deepEqual([...r.variance], [1.25, 2.1875]);
    await p.release();
  });
});

describe('grad with several outputs and seeds', () => {
  test('gradients of several outputs add up; seeds weight them', async () => {
    const g = new Graph();
    const x = g.input('x', [3]);
    const s = g.input('s', [3]);
    const a = F.mul(x, x); // d/dx = 2x
    const b = F.reduceSum(F.mul(x, 3)); // d/dx = 3
    const [both] = grad([a, b], [x]);
    const [seeded] = grad([a, b], [x], { seeds: [s, g.scalar(-1)] });
    const p = await Program.create({ both, seeded }, { threads: 1 });
    const r = await p.run({ x: Float32Array.from([1, 2, -1]), s: Float32Array.from([1, 0, 2]) });
    assert.deepEqual([...r.both], [5, 7, 1]);
    assert.deepEqual([...r.seeded], [2 - 3, 0 - 3, -4 - 3]);
    await p.release();
  });
});
