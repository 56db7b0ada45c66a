import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lbfgs } from '../../src/optim/lbfgs.js';
import { Adam } from '../../src/optim/adam.js';
import { assertClose, loadFixture, type Fixture, type Tolerance } from '../helpers/fixtures.js';

/** The fixture's function: sum(a x²) + 0.1 sum(x⁴) + sum(x[i] x[i-1]), in float32 like torch. */
function objective(a: Float32Array) {
  return async (x: Float32Array) => {
    const n = x.length;
    let loss = 0;
    const g = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      loss += a[i] * x[i] * x[i] + 0.1 * x[i] ** 4;
      g[i] = 2 * a[i] * x[i] + 0.4 * x[i] ** 3;
      if (i > 0) {
        loss += x[i] * x[i - 1];
        g[i] += x[i - 1];
        g[i - 1] += x[i];
      }
    }
    return { loss, grad: g };
  };
}

/** The losses along the way and the final x against the fixture's. */
function assertTrajectory(
  fx: Fixture,
  losses: number[],
  x: Float32Array,
  lossTol: Tolerance,
  xTol: Tolerance,
): void {
  assertClose(Float32Array.from(losses), fx.tensors.losses.data as Float32Array, lossTol, 'losses');
  assertClose(x, fx.tensors.x.data as Float32Array, xTol, 'final x');
}

test('L-BFGS follows torch.optim.LBFGS (no line search) evaluation by evaluation', async () => {
  const fx = loadFixture('optim/lbfgs');
  const a = fx.tensors.a.data as Float32Array;
  const x = Float32Array.from(fx.tensors.x0.data as Float32Array);
  const losses: number[] = [];
  const evals = await lbfgs(objective(a), x, {
    evaluations: Number(fx.meta.evaluations),
    history: Number(fx.meta.history),
    onEvaluation: (_n, loss) => {
      losses.push(loss);
    },
  });
  assert.equal(evals, Number(fx.meta.evaluations));
  assertTrajectory(fx, losses, x, { atol: 1e-4, rtol: 1e-4 }, { atol: 1e-4, rtol: 1e-3 });
});

for (const kernel of ['simd', 'js'] as const) {
  test(`Adam (${kernel} kernel) matches torch.optim.Adam step by step`, async () => {
    const fx = loadFixture('optim/adam');
    const a = fx.tensors.a.data as Float32Array;
    const x = Float32Array.from(fx.tensors.x0.data as Float32Array);
    const f = objective(a);
    const adam = new Adam(x.length, { lr: Number(fx.meta.lr), kernel });
    assert.equal(adam.kernel, kernel);
    const losses: number[] = [];
    for (let i = 0; i < Number(fx.meta.steps); i++) {
      const r = await f(x);
      losses.push(r.loss);
      adam.update(x, r.grad);
    }
    assertTrajectory(fx, losses, x, { atol: 1e-4, rtol: 1e-5 }, { atol: 1e-5, rtol: 1e-4 });
  });
}

test('L-BFGS stops early when aborted', async () => {
  const fx = loadFixture('optim/lbfgs');
  const ctrl = new AbortController();
  const x = Float32Array.from(fx.tensors.x0.data as Float32Array);
  const evals = await lbfgs(objective(fx.tensors.a.data as Float32Array), x, {
    evaluations: 25,
    signal: ctrl.signal,
    onEvaluation: (n) => {
      if (n === 3) ctrl.abort();
    },
  });
  assert.equal(evals, 3);
});

test('bounded L-BFGS stays in the box and finds the minimum on its face', async () => {
  // Σ (x_i − c_i)² over [0, 1]^n with half the centres outside: the solution clips them.
  const n = 64;
  const c = Float32Array.from({ length: n }, (_, i) => (i % 2 ? 1.5 : -0.3 + (i / n) * 0.8));
  const f = async (x: Float32Array) => {
    let loss = 0;
    const grad = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      loss += (x[i] - c[i]) ** 2;
      grad[i] = 2 * (x[i] - c[i]);
    }
    return { loss, grad };
  };
  const x = new Float32Array(n).fill(0.5);
  let outside = 0;
  await lbfgs(f, x, { evaluations: 40, history: 10, bounds: [0, 1], onEvaluation: (_k, _l, xi) => void (outside += xi.filter((v) => v < 0 || v > 1).length) });
  assert.equal(outside, 0, 'an iterate left [0, 1]');
  for (let i = 0; i < n; i++) assert.ok(Math.abs(x[i] - Math.min(1, Math.max(0, c[i]))) < 1e-3, `x[${i}] = ${x[i]}, want ${Math.min(1, Math.max(0, c[i]))}`);
  // Unbounded, the same problem leaves the box: the bounds did the work.
  const free = new Float32Array(n).fill(0.5);
  await lbfgs(f, free, { evaluations: 40, history: 10 });
  assert.ok(free.some((v) => v > 1.4), 'the unbounded run reaches the centres outside');
});
