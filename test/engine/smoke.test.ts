/**
 * The engine end to end on one small case, against float64 arithmetic written out here:
 * y = Σ relu(conv(x, w, padding 1)) and dy/dx = the conv's adjoint applied to relu's mask.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Graph, Program, grad } from '../../src/engine/index.js';

const [C, K, H, W] = [2, 3, 5, 5];

/** y and dy/dx in float64 for x [1, C, H, W], w [K, C, 3, 3], padding 1. */
function reference(x: Float32Array, w: Float32Array): { y: number; gx: Float64Array; clipped: number } {
  const at = (c: number, i: number, j: number) => (i < 0 || j < 0 || i >= H || j >= W ? 0 : x[(c * H + i) * W + j]);
  let y = 0;
  let clipped = 0;
  const gx = new Float64Array(C * H * W);
  for (let k = 0; k < K; k++) {
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        let s = 0;
        for (let c = 0; c < C; c++) {
          for (let di = 0; di < 3; di++) for (let dj = 0; dj < 3; dj++) s += w[((k * C + c) * 3 + di) * 3 + dj] * at(c, i + di - 1, j + dj - 1);
        }
        if (s <= 0) {
          clipped++;
          continue;
        }
        y += s;
        // Where relu passes, each input the window read gets its filter tap.
        for (let c = 0; c < C; c++) {
          for (let di = 0; di < 3; di++) {
            for (let dj = 0; dj < 3; dj++) {
              const [ii, jj] = [i + di - 1, j + dj - 1];
              if (ii >= 0 && jj >= 0 && ii < H && jj < W) gx[(c * H + ii) * W + jj] += w[((k * C + c) * 3 + di) * 3 + dj];
            }
          }
        }
      }
    }
  }
  return { y, gx, clipped };
}

test('conv + relu + sum: forward and input gradient match float64', async () => {
  const g = new Graph();
  const x = g.input('x', [1, C, H, W]);
  const wd = Float32Array.from({ length: K * C * 9 }, (_, i) => Math.sin(i));
  const y = F.reduceSum(F.relu(F.conv2d(x, g.constant(wd, [K, C, 3, 3]), null, { padding: 1 })));
  const [gx] = grad(y, [x]);
  const p = await Program.create({ y, gx });
  try {
    const xs = Float32Array.from({ length: C * H * W }, (_, i) => Math.cos(i));
    const r = await p.run({ x: xs });
    const want = reference(xs, wd);
    // Some conv outputs are negative, so a missing relu or gradient mask would fail.
    assert.ok(want.clipped > 0 && want.clipped < K * H * W);
    assert.equal(r.y.length, 1);
    assert.ok(Math.abs(r.y[0] - want.y) <= 1e-5 * Math.abs(want.y), `y ${r.y[0]} vs ${want.y}`);
    assert.equal(r.gx.length, C * H * W);
    const scale = Math.max(...want.gx.map(Math.abs));
    r.gx.forEach((v, i) => assert.ok(Math.abs(v - want.gx[i]) <= 1e-5 * scale, `gx[${i}] ${v} vs ${want.gx[i]}`));
  } finally {
    await p.release();
  }
});
