/**
 * Mistakes are reported when the graph is built, as GraphError naming the op and the
 * shapes involved, instead of surfacing later as an ONNX Runtime failure.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Graph, GraphError, NonFiniteError, Program, grad, type Tensor } from '../../src/engine/index.js';

/** Asserts that fn throws a GraphError whose message matches every pattern. */
function throwsGraph(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof GraphError, `expected GraphError, got ${String(e)}`);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

const zeros = (n: number) => new Float32Array(n);

describe('build-time shape errors', () => {
  test('conv2d: input channels do not match the weight', () => {
    const g = new Graph();
    const x = g.input('x', [1, 3, 8, 8]);
    const w = g.input('w', [4, 2, 3, 3]);
    throwsGraph(() => F.conv2d(x, w), /^Conv:/, /x\[1,3,8,8\]/, /\[4,2,3,3\]/, /3 channels/);
  });

  test('conv2d: bias length, groups, and an input smaller than the kernel', () => {
    const g = new Graph();
    const x = g.input('x', [1, 4, 4, 4]);
    throwsGraph(
      () => F.conv2d(x, g.input('w', [6, 4, 3, 3]), g.input('b', [5])),
      /^Conv:/,
      /bias b\[5\]/,
      /6 output channels/,
    );
    throwsGraph(
      () => F.conv2d(x, g.input('w2', [5, 2, 3, 3]), null, { groups: 2 }),
      /^Conv:/,
      /5 output channels/,
      /2 groups/,
    );
    throwsGraph(() => F.conv2d(x, g.input('w3', [2, 4, 5, 5])), /^Conv:/, /x\[1,4,4,4\]/, /too small/, /5x5/);
    throwsGraph(
      () => F.conv2d(x, g.input('w4', [2, 4, 3, 3]), null, { stride: 0 }),
      /conv/i,
      /invalid options/,
    );
  });

  test('convTranspose2d: channel mismatch and output padding too large', () => {
    const g = new Graph();
    const x = g.input('x', [1, 3, 4, 4]);
    throwsGraph(
      () => F.convTranspose2d(x, g.input('w', [2, 4, 3, 3])),
      /^ConvTranspose:/,
      /x\[1,3,4,4\]/,
      /w\[2,4,3,3\]/,
    );
    throwsGraph(
      () => F.convTranspose2d(x, g.input('w2', [3, 2, 3, 3]), null, { stride: 2, outputPadding: 2 }),
      /^ConvTranspose:/,
      /output_padding 2/,
    );
  });

  test('matmul: inner dimensions and batch broadcasting', () => {
    const g = new Graph();
    const a = g.input('a', [2, 3]);
    throwsGraph(
      () => F.matmul(a, g.input('b', [4, 5])),
      /^MatMul:/,
      /inner dimensions/,
      /a\[2,3\]/,
      /b\[4,5\]/,
    );
    throwsGraph(
      () => F.matmul(g.input('c', [2, 3, 4]), g.input('d', [3, 4, 5])),
      /^MatMul:/,
      /\[2\] and \[3\] do not broadcast/,
    );
    throwsGraph(() => F.matmul(g.input('v', [3]), g.input('m', [3, 2])), /^MatMul:/, /v\[3\]/);
  });

  test('elementwise: broadcasting failure names the op and both shapes', () => {
    const g = new Graph();
    const a = g.input('a', [2, 3]);
    const b = g.input('b', [4]);
    throwsGraph(() => F.add(a, b), /^Add:/, /\[2,3\] and \[4\] do not broadcast/);
    throwsGraph(
      () => F.mul(g.input('c', [2, 3, 4]), g.input('d', [3, 1, 4])),
      /^Mul:/,
      /\[2,3,4\] and \[3,1,4\]/,
    );
    throwsGraph(() => F.where(F.greater(a, 0), a, b), /^Where:/, /\[2,3\]/, /\[4\]/);
  });

  test('dtype errors', () => {
    const g = new Graph();
    const a = g.input('a', [2, 3]);
    const mask = F.greater(a, 0);
    throwsGraph(() => F.add(a, mask), /^Add:/, /bool/);
    throwsGraph(() => F.where(a, a, 0), /^Where:/, /condition must be bool/);
    throwsGraph(() => F.relu(g.input('i', [2], 'int64')), /^Relu:/, /int64/);
    throwsGraph(() => F.and(mask, a), /^And:/, /bool/);
  });

  test('reshape: wrong size and an impossible -1', () => {
    const g = new Graph();
    const x = g.input('x', [2, 3]);
    throwsGraph(() => F.reshape(x, [4, 2]), /^Reshape:/, /x\[2,3\]/, /6 values/, /\[4,2\]/);
    throwsGraph(() => F.reshape(x, [4, -1]), /^Reshape:/, /x\[2,3\]/, /\[4,-1\]/);
  });

  test('pad: reflect padding as large as the axis, wrong pad count, over-cropping', () => {
    const g = new Graph();
    const x = g.input('x', [1, 1, 3, 5]);
    throwsGraph(
      () => F.pad(x, [0, 0, 3, 1, 0, 0, 0, 1], 'reflect'),
      /^Pad:/,
      /reflect/,
      /x\[1,1,3,5\]/,
      /axis 2/,
    );
    throwsGraph(() => F.pad(x, [1, 1, 1, 1], 'constant'), /^Pad:/, /4 pads for rank 4/);
    throwsGraph(() => F.pad(x, [0, 0, -2, 0, 0, 0, -2, 0]), /^Pad:/, /x\[1,1,3,5\]/);
    // ORT crops before padding: crop 1 then pad 3 leaves only 2 rows, so this cannot reflect
    // (and would otherwise fail only when run).
    throwsGraph(
      () => F.pad(x, [0, 0, 0, 3, 0, 0, 0, -2], 'reflect'),
      /^Pad:/,
      /reflect padding 3\/-2/,
      /axis 3/,
    );
    throwsGraph(() => F.pad(x, [0, 0, 0, -3, 0, 0, 0, -2], 'edge'), /^Pad:/, /empty axis 3/);
    // Cropping more than an axis has, even if padding the other side would restore the length.
    throwsGraph(() => F.pad(x, [0, 0, -4, 0, 0, 0, 2, 0]), /^Pad:/, /remove more than x\[1,1,3,5\]/);
  });

  test('pooling: window larger than the input, padding over half the window', () => {
    const g = new Graph();
    const x = g.input('x', [1, 2, 2, 2]);
    throwsGraph(() => F.maxPool2d(x, { kernel: 3 }), /^MaxPool:/, /x\[1,2,2,2\]/, /3x3 window/);
    throwsGraph(() => F.avgPool2d(x, { kernel: [1, 3] }), /^AveragePool:/, /x\[1,2,2,2\]/, /1x3 window/);
    throwsGraph(() => F.maxPool2d(x, { kernel: 2, padding: 2 }), /^MaxPool:/, /padding 2/);
    throwsGraph(() => F.maxPool2d(g.input('v', [2, 2, 2]), { kernel: 2 }), /^MaxPool:/, /NCHW/);
  });

  test('concat: mismatched shapes, no inputs, unknown axis', () => {
    const g = new Graph();
    const a = g.input('a', [1, 2, 5]);
    const b = g.input('b', [1, 3, 4]);
    throwsGraph(() => F.concat([a, b], 1), /^Concat:/, /b\[1,3,4\]/, /a\[1,2,5\]/, /axis 1/);
    throwsGraph(() => F.concat([], 0), /^Concat:/);
    throwsGraph(() => F.concat([a, a], 3), /^Concat:/, /axis 3/, /a\[1,2,5\]/);
    throwsGraph(() => F.concat([a, a], -4), /^Concat:/, /axis -4/);
  });

  test('unknown or repeated axes in reductions, transpose, slice, normalize', () => {
    const g = new Graph();
    const x = g.input('x', [2, 3, 4]);
    throwsGraph(() => F.reduceSum(x, [3]), /^ReduceSum:/, /\[3\]/, /x\[2,3,4\]/);
    throwsGraph(() => F.reduceMean(x, [-4]), /^ReduceMean:/, /x\[2,3,4\]/);
    throwsGraph(() => F.reduceSum(x, [1, -2]), /^ReduceSum:/, /repeated/);
    throwsGraph(() => F.transpose(x, [0, 0, 1]), /^Transpose:/, /x\[2,3,4\]/);
    throwsGraph(() => F.transpose(x, [1, 0]), /^Transpose:/);
    throwsGraph(() => F.slice(x, [{ axis: 3, start: 0 }]), /^Slice:/, /axis 3/, /x\[2,3,4\]/);
    throwsGraph(() => F.slice(x, [{ axis: 0, step: 0 }]), /^Slice:/, /step 0/);
    throwsGraph(() => F.normalize(x, [3]), /^Normalize:/, /axis 3/, /x\[2,3,4\]/);
    throwsGraph(() => F.normalize(x, [1, -2]), /^Normalize:/, /repeated/);
  });

  test('expand, clip, resize and graph bookkeeping', () => {
    const g = new Graph();
    const x = g.input('x', [3, 2]);
    throwsGraph(() => F.expand(x, [3, 4]), /^Expand:/, /x\[3,2\]/, /\[3,4\]/);
    throwsGraph(() => F.clip(x, 1, 0), /^Clip:/, /min 1/);
    throwsGraph(() => F.resize(x, 0, 4), /^Resize:/, /x\[3,2\]/);
    throwsGraph(() => g.input('x', [1]), /'x' is declared twice/);
    throwsGraph(() => g.constant(zeros(5), [2, 3], 'k'), /'k'/, /5 values/, /\[2,3\]/);
    throwsGraph(() => g.input('bad', [2, -1]), /invalid shape/);
    const other = new Graph().input('y', [3, 2]);
    throwsGraph(() => F.add(x, other), /^Add:/, /another graph/);
  });
});

describe('grad errors', () => {
  test('a wrt tensor that no output depends on throws, or gives null with allowUnused', () => {
    const g = new Graph();
    const x = g.input('x', [2]);
    const unused = g.input('u', [2]);
    const y = F.reduceSum(F.mul(x, x));
    throwsGraph(() => grad(y, [x, unused]), /^grad:/, /u\[2\]/, /allowUnused/);
    const [gx, gu] = grad(y, [x, unused], { allowUnused: true });
    assert.ok(gx !== null);
    assert.equal(gu, null);
  });

  test('a path only through non-differentiable ops counts as unused', () => {
    const g = new Graph();
    const x = g.input('x', [3]);
    const y = F.reduceSum(F.where(F.greater(x, 0), 1, -1));
    throwsGraph(() => grad(y, [x]), /no output depends on x\[3\]/);
    const s = F.reduceSum(F.sign(x));
    throwsGraph(() => grad(s, [x]), /no output depends on x\[3\]/);
  });

  test('non-float wrt, mismatched seed, foreign graph, no outputs', () => {
    const g = new Graph();
    const x = g.input('x', [3]);
    const i = g.input('i', [3], 'int64');
    const y = F.mul(x, 2);
    throwsGraph(() => grad(y, [i]), /^grad:/, /int64/);
    throwsGraph(() => grad(y, [x], { seeds: [g.input('s', [1, 3])] }), /^grad:/, /seed s\[1,3\]/);
    throwsGraph(() => grad(y, [new Graph().input('z', [3])]), /^grad:/, /another graph/);
    throwsGraph(() => grad([], [x]), /^grad: no outputs/);
  });

  test('an unsupported gradient is reported when grad is built, naming the op', () => {
    const g = new Graph();
    const x = g.input('x', [1, 1, 5, 5]);
    const y = F.reduceSum(F.avgPool2d(x, { kernel: 2, stride: 2, ceilMode: true }));
    throwsGraph(() => grad(y, [x]), /^AveragePool:/, /ceilMode/);
  });
});

describe('Program errors', () => {
  test('an output that depends on no input is refused', async () => {
    const g = new Graph();
    g.input('x', [2]);
    const c = F.mul(g.constant(Float32Array.from([1, 2]), [2]), 3);
    await assert.rejects(
      Program.create({ c }),
      (e: unknown) =>
        e instanceof GraphError && /output 'c' does not depend on any graph input/.test(e.message),
    );
  });

  test('an output name that collides with an input, and an empty output set', async () => {
    const g = new Graph();
    const x = g.input('x', [2]);
    await assert.rejects(
      Program.create({ x: F.mul(x, 2) }),
      (e: unknown) => e instanceof GraphError && /'x' is already used/.test(e.message),
    );
    await assert.rejects(Program.create({}), GraphError);
  });

  test('missing feed, wrong length, wrong dtype, use after release', async () => {
    const g = new Graph();
    const x = g.input('x', [2, 3]);
    const k = g.input('k', [3], 'int64');
    const y = F.add(x, F.cast(k, 'float32'));
    const p = await Program.create({ y }, { threads: 1 });
    const k3 = BigInt64Array.from([1n, 2n, 3n]);
    const err = (re: RegExp) => (e: unknown) => e instanceof GraphError && re.test(e.message);
    await assert.rejects(p.run({ k: k3 }), err(/missing input 'x' \[2,3\]/));
    await assert.rejects(p.run({ x: zeros(5), k: k3 }), err(/input 'x' expects 6 values for \[2,3\], got 5/));
    await assert.rejects(
      p.run({ x: zeros(6), k: Float32Array.from([1, 2, 3]) }),
      err(/input 'k' expects int64, got float32/),
    );
    await assert.rejects(p.run({ x: new Uint8Array(6), k: k3 }), err(/input 'x' expects float32, got bool/));
    const ok = await p.run({ x: zeros(6), k: k3 });
    assert.deepEqual([...ok.y], [1, 2, 3, 1, 2, 3]);
    await p.release();
    await assert.rejects(p.run({ x: zeros(6), k: k3 }), /after release/);
  });

  test('checkFinite names the op that first produced a NaN', async () => {
    const g = new Graph();
    const x = g.input('x', [3]);
    let logged: Tensor | undefined;
    const y = g.scope('block', () => {
      logged = F.log(F.sub(x, 1));
      return F.reduceSum(F.mul(logged, 2));
    });
    assert.ok(logged);
    const p = await Program.create({ y }, { threads: 1 });
    const feeds = { x: Float32Array.from([2, 3, 0.5]) };
    // Without the check the NaN comes back silently.
    assert.ok(Number.isNaN((await p.run(feeds)).y[0]));
    await assert.rejects(
      p.run(feeds, { checkFinite: true }),
      (e: unknown) =>
        e instanceof NonFiniteError &&
        /output 'y' is not finite: first produced by Log \(block\.Log_\d+\)/.test(e.message),
    );
    const fine = await p.run({ x: Float32Array.from([2, 3, 4]) }, { checkFinite: true });
    assert.ok(Math.abs(fine.y[0] - 2 * (Math.log(1) + Math.log(2) + Math.log(3))) < 1e-5);
    await p.release();
  });

  test('checkFinite also covers gradient outputs (division by zero in the backward pass)', async () => {
    const g = new Graph();
    const x = g.input('x', [2]);
    const y = F.reduceSum(F.sqrt(x));
    const [gx] = grad(y, [x]);
    const p = await Program.create({ y, gx }, { threads: 1 });
    await assert.rejects(
      p.run({ x: Float32Array.from([0, 4]) }, { checkFinite: true }),
      (e: unknown) =>
        e instanceof NonFiniteError && /output 'gx' is not finite: first produced by Div/.test(e.message),
    );
    await p.release();
  });
});
