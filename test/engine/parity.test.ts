/**
 * Engine vs PyTorch: every fixture in test/fixtures/engine (scripts/fixtures/engine.py)
 * is rebuilt with F.*, src/nn's layers (the norms) and grad, run in ONNX Runtime, and its output, extra outputs and the
 * gradients of L = sum(y * r) are compared with the float64 PyTorch reference.
 *
 * Tolerance: |actual - expected| ≤ atol + rtol·|expected|, by default atol 1e-5, rtol 1e-5
 * (the references are float64 rounded to float32; the engine computes in float32).
 * Looser cases say why next to their entry.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Graph, Program, grad, type Results, type Tensor } from '../../src/engine/index.js';
import { BatchNorm2d, Ctx, InstanceNorm2d, type Parameter } from '../../src/nn/index.js';
import {
  FIXTURES_DIR,
  assertClose,
  loadFixture,
  type Fixture,
  type Json,
  type Tolerance,
} from '../helpers/fixtures.js';

type Inputs = Record<string, Tensor>;
type Outputs = Record<string, Tensor>;

/**
 * A case's graph outputs (names starting with '_' are fetched for `host` but not compared) and
 * outputs computed on the host from the run's results (the layer rules applied after a run).
 */
interface Built {
  outputs: Outputs;
  host: (res: Results) => Record<string, Float32Array>;
}

interface Case {
  name: string;
  /** The fixture's `Fixture` is there for the values a layer keeps outside the graph (running statistics). */
  build: (t: Inputs, opts: Record<string, Json>, fx: Fixture) => Outputs | Built;
  tol?: Tolerance;
  /** Inputs built as graph constants (ONNX initializers, as frozen weights are) instead of fed. */
  constants?: string[];
}

// Single ops measure ≤ 3e-6 abs error (≤ 0.1 of this bound).
const DEFAULT_TOL: Tolerance = { atol: 1e-5, rtol: 1e-5 };
// Blocks chain 2-4 convolutions with instance/batch norm; weight gradients reach ~45 and are
// sums over every output pixel, so float32 accumulation leaves up to 1.5e-5 abs error.
const BLOCK_TOL: Tolerance = { atol: 1e-4, rtol: 1e-5 };

// ------------------------------------------------------------------ src/nn layers

/** Binds a module's parameters to the fixture's tensors (fed inputs, so their gradients are checked). */
class FixtureCtx extends Ctx {
  constructor(
    graph: Graph,
    private readonly bind: ReadonlyMap<Parameter, Tensor>,
  ) {
    super(graph);
  }
  override t(p: Parameter): Tensor {
    return this.bind.get(p) ?? super.t(p);
  }
}

/** nn.InstanceNorm2d, affine when gamma and beta are given. */
function instanceNorm(x: Tensor, gamma?: Tensor, beta?: Tensor, eps = 1e-5): Tensor {
  const m = new InstanceNorm2d(x.shape[1], { affine: gamma !== undefined, eps });
  const bind = new Map<Parameter, Tensor>();
  if (m.weight && gamma && m.bias && beta) bind.set(m.weight, gamma).set(m.bias, beta);
  return m.forward(new FixtureCtx(x.graph, bind), x);
}

/**
 * nn.BatchNorm2d in training: y from the graph, and the running statistics after the step by
 * the layer's own rule (its statistic shares are graph outputs, folded in on the host) from
 * the fixture's running statistics.
 */
function batchNorm2dTrain(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  running: { mean: Float32Array; var: Float32Array },
  { momentum = 0.1, eps = 1e-5 } = {},
): { y: Tensor; shares: Outputs; host: (res: Results) => Record<string, Float32Array> } {
  const bn = new BatchNorm2d(x.shape[1], { momentum, eps });
  bn.runningMean.data = Float32Array.from(running.mean);
  bn.runningVar.data = Float32Array.from(running.var);
  const ctx = new FixtureCtx(x.graph, new Map([[bn.weight, gamma], [bn.bias, beta]]));
  const y = bn.forward(ctx, x);
  const shares = Object.fromEntries(ctx.updates.map((u, i) => [`_share${i}`, u.share]));
  return {
    y,
    shares,
    host: (res) => {
      ctx.updates.forEach((u, i) => u.apply(res[`_share${i}`]));
      return { new_running_mean: bn.runningMean.f32, new_running_var: bn.runningVar.f32 };
    },
  };
}

/** PyTorch F.pad order (left, right, top, bottom) on NCHW. */
function pad2d(
  x: Tensor,
  [l, r, t, b]: readonly number[],
  mode: 'reflect' | 'replicate' | 'constant',
): Tensor {
  return F.pad(x, [0, 0, t, l, 0, 0, b, r], mode === 'replicate' ? 'edge' : mode);
}

// ------------------------------------------------------------------ option parsing

type Pair = number | [number, number];
function pairOpt(o: Record<string, Json>, key: string): Pair | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number')
    return [v[0], v[1]];
  throw new Error(`option ${key}: unexpected ${JSON.stringify(v)}`);
}
function numOpt(o: Record<string, Json>, key: string): number {
  const v = o[key];
  if (typeof v !== 'number') throw new Error(`option ${key}: expected a number, got ${JSON.stringify(v)}`);
  return v;
}
function numsOpt(o: Record<string, Json>, key: string): number[] {
  const v = o[key];
  if (!Array.isArray(v) || !v.every((x): x is number => typeof x === 'number'))
    throw new Error(`option ${key}: expected numbers`);
  return v;
}
const convOpts = (o: Record<string, Json>) => ({
  stride: pairOpt(o, 'stride'),
  padding: pairOpt(o, 'padding'),
  dilation: pairOpt(o, 'dilation'),
  outputPadding: pairOpt(o, 'output_padding'),
});
const poolOpts = (o: Record<string, Json>) => ({
  kernel: pairOpt(o, 'kernel_size') ?? 1,
  stride: pairOpt(o, 'stride'),
  padding: pairOpt(o, 'padding'),
  ceilMode: o.ceil_mode === true,
});

// ------------------------------------------------------------------ cases

const runningOf = (fx: Fixture) => ({ mean: fx.f32('running_mean'), var: fx.f32('running_var') });

const cases: Case[] = [];
const names = (prefix: string, list: string[]) => list.map((s) => `${prefix}${s}`);

for (const name of names('conv2d_', ['k3_s1_p1', 'k3_s2_p2_d2', 'k4_s2_p1', 'k3_s21_p10_d12'])) {
  cases.push({ name, build: ({ x, w, b }, o) => ({ y: F.conv2d(x, w, b, convOpts(o)) }) });
}
for (const name of names('conv_transpose2d_', [
  'k3_s2_p1_op1',
  'k4_s2_p1',
  'k3_s3_p1_d2_op2',
  'k3_s1_p1_d2_op1',
])) {
  cases.push({ name, build: ({ x, w, b }, o) => ({ y: F.convTranspose2d(x, w, b, convOpts(o)) }) });
}
for (const name of ['pad_reflect', 'pad_replicate', 'pad_zero']) {
  cases.push({
    name,
    build: ({ x }, o) => ({ y: pad2d(x, numsOpt(o, 'pad'), o.mode as 'reflect' | 'replicate' | 'constant') }),
  });
}
for (const name of names('max_pool2d_', ['k2_s2', 'k3_s2', 'k3_s2_p1', 'k3_s2_ceil'])) {
  cases.push({ name, build: ({ x }, o) => ({ y: F.maxPool2d(x, poolOpts(o)) }) });
}
for (const name of names('avg_pool2d_', ['k2_s2', 'k3_s2_p1', 'k3_s1_p1'])) {
  cases.push({ name, build: ({ x }, o) => ({ y: F.avgPool2d(x, poolOpts(o)) }) });
}
cases.push(
  { name: 'relu', build: ({ x }) => ({ y: F.relu(x) }) },
  { name: 'leaky_relu_0.2', build: ({ x }, o) => ({ y: F.leakyRelu(x, numOpt(o, 'negative_slope')) }) },
  { name: 'tanh', build: ({ x }) => ({ y: F.tanh(x) }) },
  { name: 'sigmoid', build: ({ x }) => ({ y: F.sigmoid(x) }) },
  {
    name: 'instance_norm',
    build: ({ x }, o) => ({ y: instanceNorm(x, undefined, undefined, numOpt(o, 'eps')) }),
  },
  {
    name: 'instance_norm_affine',
    build: ({ x, gamma, beta }, o) => ({ y: instanceNorm(x, gamma, beta, numOpt(o, 'eps')) }),
  },
  {
    name: 'batch_norm_train',
    build: ({ x, gamma, beta }, o, fx) => {
      const bn = batchNorm2dTrain(x, gamma, beta, runningOf(fx), { momentum: numOpt(o, 'momentum'), eps: numOpt(o, 'eps') });
      return { outputs: { y: bn.y, ...bn.shares }, host: bn.host };
    },
  },
);
for (const name of [
  'interpolate_nearest_x2',
  'interpolate_nearest_5x6_to_8x4',
  'interpolate_nearest_7x9_to_3x21',
  'interpolate_nearest_14x26_to_46x22',
  'interpolate_bilinear_x2',
  'interpolate_bilinear_5x6_to_7x4',
]) {
  cases.push({
    name,
    build: ({ x }, o) => {
      const [h, w] = numsOpt(o, 'size');
      return { y: F.resize(x, h, w, o.mode as 'nearest' | 'bilinear') };
    },
  });
}
cases.push(
  { name: 'matmul', build: ({ a, b }) => ({ y: F.matmul(a, b) }) },
  { name: 'matmul_broadcast', build: ({ a, b }) => ({ y: F.matmul(a, b) }) },
  {
    name: 'block_cyclegan_down',
    tol: BLOCK_TOL,
    build: ({ x, w0, b0, w1, b1, w2, b2, w3, b3 }) => {
      let h = F.relu(instanceNorm(F.conv2d(pad2d(x, [3, 3, 3, 3], 'reflect'), w0, b0)));
      h = F.relu(instanceNorm(F.conv2d(h, w1, b1, { stride: 2, padding: 1 })));
      let r = F.relu(instanceNorm(F.conv2d(pad2d(h, [1, 1, 1, 1], 'reflect'), w2, b2)));
      r = instanceNorm(F.conv2d(pad2d(r, [1, 1, 1, 1], 'reflect'), w3, b3));
      return { y: F.add(h, r) };
    },
  },
  {
    name: 'block_cyclegan_up',
    tol: BLOCK_TOL,
    build: ({ x, w0, b0, w1, b1 }) => {
      const h = F.relu(
        instanceNorm(F.convTranspose2d(x, w0, b0, { stride: 2, padding: 1, outputPadding: 1 })),
      );
      return { y: F.tanh(F.conv2d(pad2d(h, [3, 3, 3, 3], 'reflect'), w1, b1)) };
    },
  },
  {
    name: 'block_batch_norm',
    tol: BLOCK_TOL,
    build: ({ x, w, gamma, beta }, o, fx) => {
      const h = F.conv2d(x, w, null, { stride: 2, padding: 1 });
      const bn = batchNorm2dTrain(h, gamma, beta, runningOf(fx), { momentum: numOpt(o, 'momentum'), eps: numOpt(o, 'eps') });
      return { outputs: { y: F.leakyRelu(bn.y, 0.2), ...bn.shares }, host: bn.host };
    },
  },
  {
    name: 'block_max_pool',
    tol: BLOCK_TOL,
    build: ({ x, w0, b0, w1, b1 }) => {
      const h = F.maxPool2d(F.relu(F.conv2d(x, w0, b0, { padding: 1 })), { kernel: 2, stride: 2 });
      return { y: F.maxPool2d(F.relu(F.conv2d(h, w1, b1, { padding: 1 })), { kernel: 3, stride: 2 }) };
    },
  },
  {
    name: 'gram_style_cost',
    // J ≈ 4e-2 and its gradient ≤ 4e-3 (the 1/(4 nC² (nH nW)²) factor), so the absolute
    // bound is scaled down with them; measured abs error ≤ 4e-9 (J), 5e-10 (gradient).
    tol: { atol: 1e-9, rtol: 1e-5 },
    // The style image and the filters are frozen, as in style transfer.
    constants: ['xs', 'w', 'b'],
    build: ({ xg, xs, w, b }) => {
      const gram = (img: Tensor) => {
        const a = F.relu(F.conv2d(img, w, b, { padding: 1 }));
        const [, nc, nh, nw] = a.shape;
        const A = F.reshape(a, [nc, nh * nw]);
        return { G: F.matmul(A, F.transposeLast(A)), nc, hw: nh * nw };
      };
      const s = gram(xs);
      const gg = gram(xg);
      return { y: F.div(F.reduceSum(F.square(F.sub(s.G, gg.G))), 4 * s.nc ** 2 * s.hw ** 2) };
    },
  },
);

// ------------------------------------------------------------------ runner

function strings(fx: Fixture, key: string): string[] {
  const v = fx.meta[key];
  if (!Array.isArray(v) || !v.every((s): s is string => typeof s === 'string'))
    throw new Error(`${fx.name}: meta.${key} is not a list of names`);
  return v;
}

async function runCase(c: Case): Promise<string[]> {
  const fx = loadFixture(`engine/${c.name}`);
  const inputs = strings(fx, 'inputs');
  const wrt = strings(fx, 'grad_wrt');
  const outputs = strings(fx, 'outputs');
  const g = new Graph();
  const t: Inputs = {};
  const fed = inputs.filter((k) => !c.constants?.includes(k));
  for (const k of inputs)
    t[k] = fed.includes(k) ? g.input(k, fx.shape(k)) : g.constant(fx.f32(k), fx.shape(k), k);
  const made = c.build(t, (fx.meta.options ?? {}) as Record<string, Json>, fx);
  const { outputs: built, host }: Built = isBuilt(made) ? made : { outputs: made, host: () => ({}) };
  const compared = (ks: string[]) => ks.filter((k) => !k.startsWith('_'));
  const L = fx.meta.loss === 'y' ? built.y : F.reduceSum(F.mul(built.y, t.r));
  const grads = grad(
    L,
    wrt.map((k) => t[k]),
  );
  const fetch: Outputs = { ...built };
  wrt.forEach((k, i) => (fetch[`grad_${k}`] = grads[i]));

  const p = await Program.create(fetch);
  try {
    const res = await p.run(Object.fromEntries(fed.map((k) => [k, fx.f32(k)])));
    const fromHost = host(res);
    assert.deepEqual(
      [...compared(Object.keys(built)), ...Object.keys(fromHost)].sort(),
      [...outputs].sort(),
      `${c.name}: built outputs differ from the fixture's`,
    );
    const tol = c.tol ?? DEFAULT_TOL;
    const lines: string[] = [];
    const values: [string, Float32Array][] = [
      ...compared(Object.keys(fetch)).map((k): [string, Float32Array] => {
        assert.deepEqual([...fetch[k].shape], fx.shape(k), `${c.name} ${k}: shape`);
        return [k, res[k]];
      }),
      ...Object.entries(fromHost),
    ];
    for (const [k, v] of values) {
      const s = assertClose(v, fx.f32(k), tol, `${c.name} ${k}`, fx.shape(k));
      const scale = fx.f32(k).reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      lines.push(
        `${k}: max abs ${s.maxAbs.toExponential(1)}, max rel ${s.maxRel.toExponential(1)}, |ref| ≤ ${scale.toExponential(1)}, ratio ${s.ratio.toFixed(2)}`,
      );
    }
    return lines;
  } finally {
    await p.release();
  }
}

function isBuilt(b: Outputs | Built): b is Built {
  return typeof (b as Built).host === 'function';
}

describe('engine parity with PyTorch fixtures', () => {
  test('every engine fixture has a case and every case a fixture', () => {
    const files = readdirSync(path.join(FIXTURES_DIR, 'engine'))
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5))
      .sort();
    assert.deepEqual(cases.map((c) => c.name).sort(), files);
  });

  for (const c of cases) {
    test(c.name, async (t) => {
      const lines = await runCase(c);
      t.diagnostic(lines.join('; '));
    });
  }
});

describe('fixture helpers', () => {
  test('assertClose passes within tolerance and reports the errors', () => {
    const s = assertClose([1, 2.00001, 0], [1, 2, 1e-7], { atol: 1e-6, rtol: 1e-5 }, 'ok');
    assert.ok(Math.abs(s.maxAbs - 1e-5) < 1e-9);
    assert.equal(s.worst, 1);
    assert.ok(s.ratio <= 1);
  });

  test('assertClose names the label, errors and worst element when it fails', () => {
    assert.throws(
      () =>
        assertClose([0, 0, 0, 0, 0, 0.5], [0, 0, 0, 0, 0, 0.4], { atol: 1e-4, rtol: 1e-5 }, 'probe', [2, 3]),
      (e: Error) =>
        /probe/.test(e.message) &&
        /max abs err 1\.00e-1/.test(e.message) &&
        /\[1,2\] \(flat 5\)/.test(e.message),
    );
    assert.throws(() => assertClose([NaN], [0], DEFAULT_TOL, 'nan'), /non-finite/);
    assert.throws(() => assertClose([0, 0], [0], DEFAULT_TOL, 'len'), /2 values, expected 1/);
  });

  test('loadFixture decodes shapes, dtypes and meta', () => {
    const fx = loadFixture('engine/gram_style_cost');
    assert.deepEqual(fx.shape('y'), []);
    assert.equal(fx.f32('y').length, 1);
    assert.deepEqual(fx.shape('w'), [4, 3, 3, 3]);
    assert.equal(fx.meta.loss, 'y');
    assert.throws(() => fx.f32('nope'), /no tensor 'nope'/);
  });
});
