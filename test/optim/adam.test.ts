import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Adam } from '../../src/optim/adam.js';
import { assertClose, loadFixture } from '../helpers/fixtures.js';

/** Deterministic values of mixed scale and sign, including zeros and tiny gradients. */
function values(n: number, seed: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const u = s / 2147483648 - 0.5;
    out[i] = i % 97 === 0 ? 0 : u * scale * (i % 7 === 0 ? 1e-4 : 1);
  }
  return out;
}

// Sizes around the 16384-element chunk and the four-lane width: the tails and chunk borders.
const SIZES = [1, 3, 4, 5, 16383, 16384, 16389, 40001];

test('the SIMD kernel is what runs by default here (a broken module would fall back silently)', () => {
  assert.equal(new Adam(10, { lr: 1 }).kernel, 'simd');
});

test("Adam's state after 4 steps from given gradients is torch.optim.Adam's (GAN betas, a 3-element tail)", () => {
  const fx = loadFixture('optim/adam_gan');
  const f32 = (k: string): Float32Array => fx.tensors[k].data as Float32Array;
  const x0 = f32('x0');
  const grads = f32('grads');
  const n = x0.length;
  const opts = { lr: Number(fx.meta.lr), beta1: Number(fx.meta.beta1), beta2: Number(fx.meta.beta2) };
  for (const kernel of ['simd', 'js'] as const) {
    const adam = new Adam(n, { ...opts, kernel });
    const x = x0.slice();
    for (let t = 0; t < Number(fx.meta.steps); t++) adam.update(x, grads.subarray(t * n, (t + 1) * n));
    // An ulp apart at most: PyTorch fuses v's multiply-add (AVX2), the kernels round twice.
    const ulp = 1.2e-7;
    // x moves by ~lr a step: an ulp of where it started, not of where it ended (near 0 at times).
    const xt = f32('x');
    for (let i = 0; i < n; i++) {
      const tol = 2 * ulp * Math.max(Math.abs(x0[i]), Math.abs(xt[i]));
      assert.ok(Math.abs(x[i] - xt[i]) <= tol, `x (${kernel}) [${i}]: ${x[i]} vs ${xt[i]}`);
    }
    assertClose(adam.v, f32('v'), { atol: 0, rtol: 2 * ulp }, `v (${kernel})`);
    // With β1 = 0.5 both products in m's update are exact: nothing left to round differently.
    if (kernel === 'simd') assert.deepEqual(adam.m, f32('m'), 'm (simd)');
    else assertClose(adam.m, f32('m'), { atol: 0, rtol: ulp }, 'm (js)');
  }
});

test('SIMD Adam follows the float64 JavaScript Adam to float32 rounding over several steps', () => {
  for (const n of SIZES) {
    for (const beta1 of [0.5, 0.9]) {
      const opts = { lr: 0.0002, beta1 };
      const simd = new Adam(n, { ...opts, kernel: 'simd' });
      const js = new Adam(n, { ...opts, kernel: 'js' });
      const x0 = values(n, 1, 2);
      const xs = x0.slice();
      const xj = x0.slice();
      // Rounding of the moments is relative to what went into them, not to what cancels out.
      const sumG = new Float64Array(n);
      const sumG2 = new Float64Array(n);
      for (let t = 0; t < 4; t++) {
        const g = values(n, 7 + 1000 * t, 0.1);
        simd.update(xs, g);
        js.update(xj, g);
        for (let i = 0; i < n; i++) {
          sumG[i] += Math.abs(g[i]);
          sumG2[i] += g[i] * g[i];
        }
        // After the first step every element with a gradient has moved (by about lr): a skipped
        // tail or chunk would leave it where it was.
        if (t === 0)
          for (let i = 0; i < n; i++) assert.ok(g[i] === 0 || xs[i] !== x0[i], `n=${n} [${i}] not updated`);
      }
      for (let i = 0; i < n; i++) {
        const what = `n=${n} β1=${beta1} [${i}]`;
        // Each step moves x by ≤ lr; the kernels differ by rounding: an ulp of x per step.
        assert.ok(
          Math.abs(xs[i] - xj[i]) <= 4 * 2.4e-7 * Math.max(1, Math.abs(xj[i])),
          `${what} x ${xs[i]} vs ${xj[i]}`,
        );
        assert.ok(Math.abs(simd.m[i] - js.m[i]) <= 3e-7 * sumG[i], `${what} m ${simd.m[i]} vs ${js.m[i]}`);
        assert.ok(Math.abs(simd.v[i] - js.v[i]) <= 3e-7 * sumG2[i], `${what} v ${simd.v[i]} vs ${js.v[i]}`);
      }
    }
  }
});

test('SIMD Adam over segments (updateAt with offsets) equals one flat update', () => {
  const sizes = [5, 16390, 3, 20000];
  const n = sizes.reduce((a, b) => a + b, 0);
  const flat = new Adam(n, { lr: 0.01 });
  const seg = new Adam(n, { lr: 0.01 });
  const x = values(n, 3, 1);
  const xf = x.slice();
  const xSegs = (() => {
    let o = 0;
    return sizes.map((s) => x.slice(o, (o += s)));
  })();
  for (let t = 0; t < 3; t++) {
    const g = values(n, 11 + t, 1);
    flat.update(xf, g);
    seg.begin();
    let o = 0;
    for (const xs of xSegs) {
      seg.updateAt(xs, g.subarray(o, o + xs.length), o);
      o += xs.length;
    }
  }
  assert.deepEqual(Float32Array.from(xSegs.flatMap((s) => [...s])), xf);
  assert.deepEqual(seg.m, flat.m);
  assert.deepEqual(seg.v, flat.v);
});

test('Adam refuses a segment that does not fit its state', () => {
  const a = new Adam(10, { lr: 1 });
  a.begin();
  assert.throws(() => a.updateAt(new Float32Array(4), new Float32Array(4), 8), /does not fit/);
  assert.throws(() => a.updateAt(new Float32Array(4), new Float32Array(3), 0), /does not fit/);
});
