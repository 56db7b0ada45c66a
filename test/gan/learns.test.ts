/**
 * The training steps learn: tiny networks on synthetic 32x32 tasks improve a measured metric
 * on held-out images within a bounded number of steps (deterministic: seeded data, init and
 * masks). Learning rates are 10x the official 2e-4 so that a few dozen steps are enough.
 *
 * - CycleGAN, unpaired: A = white shapes on red, B = white shapes on blue. Only D_A (which
 *   has seen blue backgrounds) can teach G_A to turn red into blue. Metric: mean |G_A(A) - blue|
 *   over held-out background pixels (copying the input scores |red - blue| = 1.07).
 * - pix2pix, paired: A = a rectangle's outline, B = the filled rectangle. Metric: L1(G(A), B) on
 *   held-out pairs against the copy-the-input baseline L1(A, B).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph, Program } from '../../src/engine/index.js';
import { Ctx, Rng, type Module } from '../../src/nn/index.js';
import { ResnetGenerator, defineD, defineG, initWeights } from '../../src/models/networks.js';
import { CycleGANStep } from '../../src/gan/cyclegan_step.js';
import { Pix2PixStep } from '../../src/gan/pix2pix_step.js';
import type { ImageBatch } from '../../src/gan/step_common.js';
import { ganTrainDefaults } from '../../src/gan/options.js';

const S = 32;
type RGB = [number, number, number];
const RED: RGB = [0.8, -0.8, -0.8];
const BLUE: RGB = [-0.8, -0.8, 0.8];

/** White discs and squares at random places on a plain background; `mask` marks the shape. */
function shapes(rng: Rng, bg: RGB, n: number): ImageBatch & { mask: Uint8Array } {
  const data = new Float32Array(n * 3 * S * S);
  const mask = new Uint8Array(n * S * S);
  for (let b = 0; b < n; b++) {
    const cx = 8 + rng.next() * 16;
    const cy = 8 + rng.next() * 16;
    const r = 4 + rng.next() * 5;
    const disc = rng.next() < 0.5;
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        const inside = disc
          ? (x - cx) ** 2 + (y - cy) ** 2 < r * r
          : Math.abs(x - cx) < r && Math.abs(y - cy) < r;
        mask[b * S * S + y * S + x] = inside ? 1 : 0;
        for (let c = 0; c < 3; c++) data[((b * 3 + c) * S + y) * S + x] = inside ? 1 : bg[c];
      }
    }
  }
  return { data, shape: [n, 3, S, S], mask };
}

/** A white rectangle outline on black, and the same rectangle filled. */
function outlines(rng: Rng, n: number): { A: ImageBatch; B: ImageBatch } {
  const A = new Float32Array(n * 3 * S * S).fill(-1);
  const B = new Float32Array(n * 3 * S * S).fill(-1);
  for (let b = 0; b < n; b++) {
    const x0 = 3 + rng.int(12);
    const y0 = 3 + rng.int(12);
    const x1 = Math.min(S - 2, x0 + 8 + rng.int(12));
    const y1 = Math.min(S - 2, y0 + 8 + rng.int(12));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const edge = y === y0 || y === y1 || x === x0 || x === x1;
        for (let c = 0; c < 3; c++) {
          const i = ((b * 3 + c) * S + y) * S + x;
          B[i] = 1;
          if (edge) A[i] = 1;
        }
      }
    }
  }
  return { A: { data: A, shape: [n, 3, S, S] }, B: { data: B, shape: [n, 3, S, S] } };
}

/** G(x) in G's current mode (training mode: batch statistics, as the official test.py without --eval). */
async function translate(G: Module, x: ImageBatch): Promise<Float32Array> {
  const g = new Graph();
  const y = G.forward(new Ctx(g, { root: G }), g.input('x', x.shape));
  const p = await Program.create({ y }, { threads: 2 });
  try {
    return (await p.run({ x: x.data })).y;
  } finally {
    await p.release();
  }
}

test('CycleGAN learns to turn red backgrounds blue (unpaired)', async (t) => {
  const rng = new Rng(1);
  const gen = (): ResnetGenerator => {
    const g = new ResnetGenerator(3, 3, { ngf: 4, norm: 'instance', nBlocks: 2 });
    initWeights(g, 'normal', 0.02, rng);
    return g.train();
  };
  const nets = {
    G_A: gen(),
    G_B: gen(),
    D_A: defineD({ netD: 'basic', ndf: 4, norm: 'instance' }, { rng }).train(),
    D_B: defineD({ netD: 'basic', ndf: 4, norm: 'instance' }, { rng }).train(),
  };
  const held = shapes(new Rng(99), RED, 8);
  const background = async (): Promise<number> => {
    const y = await translate(nets.G_A, held);
    let s = 0;
    let n = 0;
    for (let b = 0; b < 8; b++) {
      for (let i = 0; i < S * S; i++) {
        if (held.mask[b * S * S + i]) continue;
        for (let c = 0; c < 3; c++) s += Math.abs(y[(b * 3 + c) * S * S + i] - BLUE[c]);
        n += 3;
      }
    }
    return s / n;
  };
  const copy = (Math.abs(RED[0] - BLUE[0]) + Math.abs(RED[1] - BLUE[1]) + Math.abs(RED[2] - BLUE[2])) / 3;
  const before = await background();
  const step = new CycleGANStep(nets, { ...ganTrainDefaults('cycle_gan'), lr: 0.002, threads: 2 });
  const data = new Rng(5);
  const steps = 30;
  try {
    for (let i = 0; i < steps; i++)
      await step.optimizeParameters({ real_A: shapes(data, RED, 1), real_B: shapes(data, BLUE, 1) });
  } finally {
    await step.release();
  }
  const after = await background();
  t.diagnostic(
    `background |G_A(A) - blue|: ${before.toFixed(3)} at init, ${after.toFixed(3)} after ${steps} steps (copying A: ${copy.toFixed(3)})`,
  );
  assert.ok(after < 0.25, `background distance ${after} after ${steps} steps`);
  assert.ok(after < 0.4 * before && after < 0.25 * copy);
});

test('pix2pix learns to fill outlines (paired)', async (t) => {
  const rng = new Rng(2);
  const G = defineG({ netG: 'unet_32', ngf: 8, norm: 'batch', no_dropout: true }, { rng }).train();
  const D = defineD({ netD: 'basic', ndf: 8, norm: 'batch', input_nc: 6 }, { rng }).train();
  const held = outlines(new Rng(77), 8);
  const l1 = (a: ArrayLike<number>): number => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - held.B.data[i]);
    return s / a.length;
  };
  const copy = l1(held.A.data);
  const before = l1(await translate(G, held.A));
  const step = new Pix2PixStep({ G, D }, { ...ganTrainDefaults('pix2pix'), lr: 0.002, threads: 2 });
  const data = new Rng(3);
  const steps = 80;
  try {
    for (let i = 0; i < steps; i++) {
      const { A, B } = outlines(data, 4);
      await step.optimizeParameters({ real_A: A, real_B: B });
    }
  } finally {
    await step.release();
  }
  const after = l1(await translate(G, held.A));
  t.diagnostic(
    `held-out L1(G(A), B): ${before.toFixed(3)} at init, ${after.toFixed(3)} after ${steps} steps; copying A: ${copy.toFixed(3)}`,
  );
  assert.ok(after < 0.6 * copy, `L1 ${after} is not well below the copy baseline ${copy}`);
  assert.ok(after < 0.3 * before);
});
