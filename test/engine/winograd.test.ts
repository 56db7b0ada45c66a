/**
 * The Winograd F(4x4, 3x3) lowering of frozen 3x3 convolutions against direct convolution:
 * a float64 reference computed here, and ORT's own Conv (algorithm 'direct'), forward and
 * gradients, on random data.
 *
 * Tolerance: relative RMS error ≤ 1e-5 and max abs error ≤ 5e-5 · max|reference|. Float32
 * Winograd F(4,3) measures 0.5-1.7e-6 relative RMS and ≤ 4e-6 max here (2.3e-6 RMS on a
 * 256-channel VGG layer; direct float32 conv ~1e-7): its transforms scale by up to 8 and
 * cancel. A wrong transform matrix, tile shift or filter flip gives errors of order 1.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import onnxProto from 'onnx-proto';
import { F, Graph, Program, grad, toOnnxBytes, withPolicy, type Tensor } from '../../src/engine/index.js';
import { topoSort } from '../../src/engine/graph.js';
import { winogradMatrices } from '../../src/engine/lowering/winograd_transforms.js';
import { rng } from '../helpers/gradcheck.js';

const { onnx } = onnxProto;
const topoSortTypes = (ts: Tensor[]) => new Set(topoSort(ts).map((n) => n.type));
const countOf = (ts: Tensor[], type: string) => topoSort(ts).filter((n) => n.type === type).length;

/** Uniform in [-scale, scale). */
const randn = (n: number, r: () => number, scale = 1) =>
  Float32Array.from({ length: n }, () => (2 * r() - 1) * scale);

/**
 * Every (output, filter, input) index triple of a 3x3 pad-1 convolution [c -> k, h x wd]: the
 * forward sums w·x into y, the input gradient sums w·r into x, over the same taps.
 */
function forEachTap(c: number, k: number, h: number, wd: number, visit: (yi: number, wi: number, xi: number) => void): void {
  for (let o = 0; o < k; o++)
    for (let i = 0; i < h; i++)
      for (let j = 0; j < wd; j++)
        for (let ci = 0; ci < c; ci++)
          for (let u = 0; u < 3; u++) {
            const ii = i + u - 1;
            if (ii < 0 || ii >= h) continue;
            for (let v = 0; v < 3; v++) {
              const jj = j + v - 1;
              if (jj >= 0 && jj < wd) visit((o * h + i) * wd + j, ((o * c + ci) * 3 + u) * 3 + v, (ci * h + ii) * wd + jj);
            }
          }
}

/** y[k, i, j] = Σ_c Σ_uv w[k, c, u, v] x[c, i+u-1, j+v-1] + b[k], in float64. */
function conv3x3Ref(x: Float32Array, w: Float32Array, b: Float32Array | null, c: number, k: number, h: number, wd: number): Float64Array {
  const y = new Float64Array(k * h * wd);
  if (b) for (let o = 0; o < k; o++) y.fill(b[o], o * h * wd, (o + 1) * h * wd);
  forEachTap(c, k, h, wd, (yi, wi, xi) => (y[yi] += w[wi] * x[xi]));
  return y;
}

/** dL/dx of L = Σ r·conv(x), in float64. */
function conv3x3InputGradRef(r: Float32Array, w: Float32Array, c: number, k: number, h: number, wd: number): Float64Array {
  const gx = new Float64Array(c * h * wd);
  forEachTap(c, k, h, wd, (yi, wi, xi) => (gx[xi] += r[yi] * w[wi]));
  return gx;
}

function assertClose(what: string, got: Float32Array, want: ArrayLike<number>): { rms: number } {
  assert.equal(got.length, want.length, `${what}: length`);
  let num = 0;
  let den = 0;
  let maxErr = 0;
  let maxRef = 0;
  for (let i = 0; i < got.length; i++) {
    const d = got[i] - want[i];
    num += d * d;
    den += want[i] * want[i];
    maxErr = Math.max(maxErr, Math.abs(d));
    maxRef = Math.max(maxRef, Math.abs(want[i]));
  }
  const rms = Math.sqrt(num / den);
  assert.ok(rms <= 1e-5, `${what}: relative RMS error ${rms.toExponential(2)} > 1e-5`);
  assert.ok(
    maxErr <= 5e-5 * maxRef,
    `${what}: max error ${maxErr.toExponential(2)} > 5e-5 · ${maxRef.toExponential(2)}`,
  );
  return { rms };
}

describe('Winograd F(4x4, 3x3) matrices', () => {
  test('Aᵀ[(G g) ⊙ (Bᵀ d)] is the correlation of d with g for F(2,3), F(4,3), F(6,3)', () => {
    const r = rng(1);
    for (const m of [2, 4, 6]) {
      const { BT, G, AT } = winogradMatrices(m, 3);
      const n = m + 2;
      const d = Array.from({ length: n }, r);
      const g = Array.from({ length: 3 }, r);
      const Gg = G.map((row) => row.reduce((s, v, k) => s + v * g[k], 0));
      const Bd = BT.map((row) => row.reduce((s, v, k) => s + v * d[k], 0));
      for (let i = 0; i < m; i++) {
        const got = AT[i].reduce((s, v, k) => s + v * Gg[k] * Bd[k], 0);
        const want = g[0] * d[i] + g[1] * d[i + 1] + g[2] * d[i + 2];
        assert.ok(Math.abs(got - want) < 1e-12, `F(${m},3) output ${i}: ${got} vs ${want}`);
      }
    }
  });
});

describe('Winograd conv2d vs direct convolution', () => {
  // [channels in, out, height, width]: multiples of 4, ragged sizes (padded blocks), two tiles.
  const shapes: [number, number, number, number][] = [
    [16, 24, 8, 12],
    [24, 16, 7, 10],
    [8, 8, 5, 6],
    [4, 12, 3, 9],
  ];
  for (const [c, k, h, wd] of shapes) {
    test(`${c}->${k} at ${h}x${wd}: forward, input, filter and bias gradients`, async () => {
      const r = rng(c * 1000 + h * 10 + wd);
      const xd = randn(c * h * wd, r);
      const wdat = randn(k * c * 9, r, Math.sqrt(2 / (9 * c)));
      const bd = randn(k, r, 0.1);
      const rd = randn(k * h * wd, r);
      const results: Record<string, Record<string, Float32Array>> = {};
      for (const algorithm of ['winograd', 'direct'] as const) {
        const g = new Graph({ policy: withPolicy({ convAlgorithm: algorithm }) });
        const x = g.input('x', [1, c, h, wd]);
        const w = g.constant(wdat, [k, c, 3, 3], 'w');
        const b = g.input('b', [k]);
        const y = F.conv2d(x, w, b, { padding: 1 });
        const rr = g.input('r', [1, k, h, wd]);
        const [gx, gw, gb] = grad(F.reduceSum(F.mul(y, rr)), [x, w, b]);
        const types = topoSortTypes([y, gx]);
        assert.equal(
          types.has('WinogradConv'),
          algorithm === 'winograd',
          `${algorithm}: node types ${[...types]}`,
        );
        const p = await Program.create({ y, gx, gw, gb }, { threads: 1 });
        results[algorithm] = await p.run({ x: xd, b: bd, r: rd });
        await p.release();
      }
      const wino = results.winograd;
      assertClose('forward vs float64', wino.y, conv3x3Ref(xd, wdat, bd, c, k, h, wd));
      assertClose('input gradient vs float64', wino.gx, conv3x3InputGradRef(rd, wdat, c, k, h, wd));
      assertClose('forward vs ORT Conv', wino.y, results.direct.y);
      assertClose('filter gradient vs ORT', wino.gw, results.direct.gw);
      assertClose('bias gradient vs ORT', wino.gb, results.direct.gb);
    });
  }

  test('conv-relu-avgpool-conv stays blocked between the convolutions and matches direct', async () => {
    // 16x8 pools inside the blocked layout; 12x10 falls back to NCHW pooling.
    for (const [h, wd, blockedPool] of [
      [16, 8, true],
      [12, 10, false],
    ] as const) {
      const r = rng(h * 100 + wd);
      const [c0, c1, c2] = [8, 16, 12];
      const xd = randn(c0 * h * wd, r);
      const w1 = randn(c1 * c0 * 9, r, 0.3);
      const w2 = randn(c2 * c1 * 9, r, 0.3);
      const b1 = randn(c1, r, 0.1);
      const rd = randn(c2 * (h / 2) * Math.floor(wd / 2), r);
      const out: Record<string, Record<string, Float32Array>> = {};
      for (const algorithm of ['winograd', 'direct'] as const) {
        const g = new Graph({ policy: withPolicy({ convAlgorithm: algorithm }) });
        const x = g.input('x', [1, c0, h, wd]);
        const a1 = F.relu(
          F.conv2d(x, g.constant(w1, [c1, c0, 3, 3]), g.constant(b1, [c1]), { padding: 1 }),
        );
        const pooled = F.avgPool2d(a1, { kernel: 2 });
        const y = F.conv2d(pooled, g.constant(w2, [c2, c1, 3, 3]), g.constant(new Float32Array(c2), [c2]), {
          padding: 1,
        });
        const [gx] = grad(F.reduceSum(F.mul(y, g.constant(rd, y.shape))), [x]);
        if (algorithm === 'winograd') {
          const types = topoSortTypes([y, gx]);
          assert.equal(types.has('AveragePool'), !blockedPool, `pooling kind at ${h}x${wd}: ${[...types]}`);
          // Blocked end to end: one conversion in (x) and one out (y); NCHW pooling adds a round trip.
          const conversions = blockedPool ? 1 : 2;
          assert.equal(countOf([y], 'ToBlocks'), conversions, `ToBlocks in y's graph at ${h}x${wd}`);
          assert.equal(countOf([y], 'FromBlocks'), conversions, `FromBlocks in y's graph at ${h}x${wd}`);
        }
        if (algorithm === 'winograd') {
          // Four WinogradConvs (two forward, two in the input gradient) share one copy of each transform.
          const inits = onnx.ModelProto.decode(toOnnxBytes({ y, gx })).graph!.initializer!.map((t) => t.name);
          for (const name of ['winograd4_3_BT', 'winograd4_3_AT', 'winograd4_3_GxG_T']) {
            assert.equal(inits.filter((n) => n === name).length, 1, `${name} in ${inits.join(' ')}`);
          }
        }
        const p = await Program.create({ y, gx }, { threads: 1 });
        out[algorithm] = await p.run({ x: xd });
        await p.release();
      }
      assertClose(`chain forward ${h}x${wd}`, out.winograd.y, out.direct.y);
      assertClose(`chain input gradient ${h}x${wd}`, out.winograd.gx, out.direct.gx);
    }
  });

  test('direct conv: the input gradient as a conv with flipped filters, frozen or fed', async () => {
    // 16 input channels: the flipped-filter Conv path (below 16 the gradient is a ConvTranspose).
    const [c, k, h, wd] = [16, 8, 6, 7];
    const r = rng(7);
    const wdat = randn(k * c * 9, r, 0.2);
    const rd = randn(k * h * wd, r);
    const want = conv3x3InputGradRef(rd, wdat, c, k, h, wd);
    for (const frozen of [true, false]) {
      const g = new Graph({ policy: withPolicy({ convAlgorithm: 'direct' }) });
      const x = g.input('x', [1, c, h, wd]);
      const w = frozen ? g.constant(wdat, [k, c, 3, 3]) : g.input('w', [k, c, 3, 3]);
      const y = F.conv2d(x, w, null, { padding: 1 });
      const rr = g.input('r', y.shape);
      const [gx] = grad(F.reduceSum(F.mul(y, rr)), [x]);
      const types = topoSortTypes([gx]);
      assert.ok(types.has('Conv') && !types.has('ConvTranspose'), `frozen=${frozen}: ${[...types]}`);
      const p = await Program.create({ gx }, { threads: 1 });
      const got = await p.run(frozen ? { r: rd } : { r: rd, w: wdat });
      await p.release();
      assertClose(`input gradient, frozen=${frozen}`, got.gx, want);
    }
  });

  test("'winograd' refuses convolutions it cannot compute; 'auto' falls back", () => {
    for (const algorithm of ['winograd', 'auto'] as const) {
      const g = new Graph({ policy: withPolicy({ convAlgorithm: algorithm }) });
      const x = g.input('x', [1, 4, 8, 8]);
      const wc = g.constant(new Float32Array(4 * 4 * 9), [4, 4, 3, 3]);
      const wi = g.input('w', [4, 4, 3, 3]);
      if (algorithm === 'winograd') {
        assert.throws(() => F.conv2d(x, wi, null, { padding: 1 }), /frozen/);
        assert.throws(() => F.conv2d(x, wc, null, { padding: 1, stride: 2 }), /Winograd/);
        continue;
      }
      const y: Tensor = F.conv2d(x, wi, null, { padding: 1 });
      assert.equal(y.source.kind === 'node' && y.source.node.type, 'Conv');
    }
  });
});
