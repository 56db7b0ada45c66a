/**
 * Finite-difference check of the engine's reverse-mode gradients.
 *
 * One graph computes L = sum(y * r) (r a fixed random tensor, fed as an input, so every
 * element of y matters with a different weight) together with grad(L, inputs). The same
 * compiled Program (one session, one thread) is then run on perturbed inputs, and the
 * change in L is compared with the analytic gradient:
 *
 * - directional: for a few random directions v (entries uniform in [-1, 1]),
 *   L(x + eps v) - L(x - eps v) against <grad, (x + eps v) - (x - eps v)>, where both
 *   perturbed points are the float32 values actually fed, so rounding them costs nothing;
 * - elementwise: for every element of inputs with at most `elementwiseLimit` values,
 *   the same central difference along that element alone.
 *
 * Tolerances (defaults): eps = 1e-2, so no element moves by more than 1e-2 (keep inputs
 * further than that from kinks and ties). A difference d = |fd - analytic| passes when
 *   d <= rtol * max(|fd|, |analytic|) + atol * scale + noise,
 * with rtol = 1e-2, atol = 2e-3, scale = the largest analytic entry (elementwise) or
 * |grad| * |dx| (directional), and noise = 16 * 2^-23 * sum|y * r| / eps, the float32
 * rounding of L divided by the step. Central differences are exact to O(eps^2) relative
 * error (~1e-5 here), far inside rtol, while a wrong sign, a missing transpose or a
 * misplaced border fold changes entries by O(1) relative to the gradient and fails.
 * Over the engine's gradcheck suite the worst |fd - analytic| / tol is 0.12 (pow with a
 * tensor exponent) and typically below 0.01, while gradcheck-checker.test.ts shows a 3% error,
 * a flipped sign, a missing transpose and a border folded one place off all failing.
 */
import assert from 'node:assert/strict';
import { F, Graph, Program, grad, sizeOf, type Shape, type Tensor } from '../../src/engine/index.js';

export type Builder = (g: Graph, inputs: Tensor[]) => Tensor;

export interface InputSpec {
  shape: Shape;
  /** Values; default uniform in [-1, 1]. */
  data?: ArrayLike<number>;
}

export interface GradcheckOptions {
  eps?: number;
  rtol?: number;
  atol?: number;
  directions?: number;
  /** Inputs with at most this many elements also get a full elementwise check. */
  elementwiseLimit?: number;
  seed?: number;
  /** Accept a gradient that is identically zero (otherwise it is reported: almost always a broken test). */
  allowZero?: boolean;
}

export interface Mismatch {
  input: number;
  /** Element index, or -1 for a directional check. */
  element: number;
  direction: number;
  fd: number;
  analytic: number;
  tol: number;
}

export interface GradcheckReport {
  /** Every check that failed, worst first. */
  failures: Mismatch[];
  checks: number;
  runs: number;
  /** Largest |fd - analytic| / tol seen (below 1 passes). */
  worst: number;
  /** The forward output y at the unperturbed point. */
  y: Float32Array;
}

const U32 = 2 ** -23;

/** Deterministic uniform [0, 1) generator (mulberry32), so failures reproduce. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function uniform(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

/** Values in ±[lo, hi] with random signs: no element is within lo of zero (for relu, abs, sign kinks). */
export function awayFromZero(n: number, seed: number, lo = 0.1, hi = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() < 0.5 ? -1 : 1) * (lo + (hi - lo) * r()));
}

/** A random permutation of {0, gap, 2 gap, ...} shifted to be centred: every pair differs by at least gap (for max ties). */
export function distinct(n: number, seed: number, gap = 0.05): Float32Array {
  const r = rng(seed);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return Float32Array.from(idx, (k) => (k - (n - 1) / 2) * gap);
}

/** Runs the check and returns what it found, without asserting. */
export async function checkGradients(
  build: Builder,
  specs: readonly InputSpec[],
  opts: GradcheckOptions = {},
): Promise<GradcheckReport> {
  const eps = opts.eps ?? 1e-2;
  const rtol = opts.rtol ?? 1e-2;
  const atol = opts.atol ?? 2e-3;
  const directions = opts.directions ?? 3;
  const limit = opts.elementwiseLimit ?? 64;
  const seed = opts.seed ?? 1;

  const g = new Graph();
  const xs = specs.map((s, i) => g.input(`in${i}`, s.shape));
  const y = build(g, xs);
  const r = g.input('r', y.shape);
  const prod = F.mul(y, r);
  const L = F.reduceSum(prod);
  const mag = F.reduceSum(F.abs(prod));
  const grads = grad(L, xs);
  const outputs: Record<string, Tensor> = { L, mag, y };
  grads.forEach((t, i) => (outputs[`g${i}`] = t));
  const prog = await Program.create(outputs, { threads: 1 });

  const feeds: Record<string, Float32Array> = { r: uniform(y.size, seed + 7919, -1, 1) };
  const vals = specs.map((s, i) => {
    const n = sizeOf(s.shape);
    const v = s.data ? Float32Array.from(s.data) : uniform(n, seed + 31 * (i + 1));
    if (v.length !== n)
      throw new Error(`gradcheck: input ${i} has ${v.length} values for shape [${s.shape}]`);
    return v;
  });
  vals.forEach((v, i) => (feeds[`in${i}`] = v));

  let runs = 0;
  const evalL = async (): Promise<{ L: number; mag: number }> => {
    runs++;
    const res = await prog.run(feeds);
    return { L: res.L[0], mag: res.mag[0] };
  };

  try {
    const base = await prog.run(feeds);
    runs++;
    const yBase = Float32Array.from(base.y);
    const an = specs.map((_, i) => Float64Array.from(base[`g${i}`]));
    const failures: Mismatch[] = [];
    let checks = 0;
    let worst = 0;
    const noiseOf = (m1: number, m2: number): number =>
      (16 * U32 * Math.max(m1, m2, Math.abs(base.mag[0]))) / eps;
    const record = (m: Omit<Mismatch, 'tol'>, scale: number, noise: number): void => {
      checks++;
      const tol = rtol * Math.max(Math.abs(m.fd), Math.abs(m.analytic)) + atol * scale + noise;
      const ratio = Math.abs(m.fd - m.analytic) / tol;
      if (!(ratio <= 1)) failures.push({ ...m, tol });
      worst = Math.max(worst, Number.isNaN(ratio) ? Infinity : ratio);
    };

    if (!opts.allowZero && an.every((a) => a.every((v) => v === 0))) {
      failures.push({ input: -1, element: -1, direction: -1, fd: NaN, analytic: 0, tol: 0 });
    }

    const dr = rng(seed + 104729);
    for (let d = 0; d < directions; d++) {
      const plus = vals.map((v) => Float32Array.from(v));
      const minus = vals.map((v) => Float32Array.from(v));
      for (let i = 0; i < vals.length; i++) {
        for (let j = 0; j < vals[i].length; j++) {
          const s = eps * (2 * dr() - 1);
          plus[i][j] = vals[i][j] + s;
          minus[i][j] = vals[i][j] - s;
        }
      }
      plus.forEach((v, i) => (feeds[`in${i}`] = v));
      const lp = await evalL();
      minus.forEach((v, i) => (feeds[`in${i}`] = v));
      const lm = await evalL();
      vals.forEach((v, i) => (feeds[`in${i}`] = v));
      let dot = 0;
      let gn = 0;
      let dn = 0;
      for (let i = 0; i < vals.length; i++) {
        for (let j = 0; j < vals[i].length; j++) {
          const dx = plus[i][j] - minus[i][j];
          dot += an[i][j] * dx;
          gn += an[i][j] ** 2;
          dn += dx * dx;
        }
      }
      // Noise is that of L itself (not divided by eps here: fd and dot are both in units of L).
      record(
        { input: -1, element: -1, direction: d, fd: lp.L - lm.L, analytic: dot },
        Math.sqrt(gn * dn),
        noiseOf(lp.mag, lm.mag) * eps,
      );
    }

    for (let i = 0; i < vals.length; i++) {
      const v = vals[i];
      if (v.length > limit) continue;
      let gmax = 0;
      for (const a of an[i]) gmax = Math.max(gmax, Math.abs(a));
      for (let j = 0; j < v.length; j++) {
        const x0 = v[j];
        const p = Math.fround(x0 + eps);
        const m = Math.fround(x0 - eps);
        v[j] = p;
        const lp = await evalL();
        v[j] = m;
        const lm = await evalL();
        v[j] = x0;
        const fd = (lp.L - lm.L) / (p - m);
        record(
          { input: i, element: j, direction: -1, fd, analytic: an[i][j] },
          gmax,
          noiseOf(lp.mag, lm.mag),
        );
      }
    }
    failures.sort((a, b) => Math.abs(b.fd - b.analytic) / b.tol - Math.abs(a.fd - a.analytic) / a.tol);
    return { failures, checks, runs, worst, y: yBase };
  } finally {
    await prog.release();
  }
}

/** Asserts that every analytic gradient of `build` matches finite differences. */
export async function gradcheck(
  build: Builder,
  specs: readonly InputSpec[],
  opts: GradcheckOptions = {},
): Promise<GradcheckReport> {
  const rep = await checkGradients(build, specs, opts);
  if (rep.failures.length) {
    const lines = rep.failures
      .slice(0, 8)
      .map((f) =>
        f.input === -1 && f.direction === -1
          ? 'every analytic gradient is zero'
          : `${f.element < 0 ? `direction ${f.direction}` : `input ${f.input}[${f.element}]`}: fd ${f.fd.toPrecision(6)} vs analytic ${f.analytic.toPrecision(6)} (tol ${f.tol.toPrecision(3)})`,
      );
    assert.fail(
      `gradient check failed (${rep.failures.length}/${rep.checks} checks):\n  ${lines.join('\n  ')}`,
    );
  }
  return rep;
}
