/**
 * GAN losses and whole training iterations against the official code (scripts/fixtures/gan.py):
 * GANLoss / L1Loss values and gradients, cal_gradient_penalty (a double backward pass through
 * D), and two optimize_parameters() iterations of CycleGANModel (instance norm, lsgan, identity
 * loss) and Pix2PixModel (batch norm in training mode, dropout with the recorded masks, vanilla
 * GAN) from the same initial weights: losses, gradients, and the weights, running statistics and
 * num_batches_tracked after each step.
 *
 * Tolerances. Losses: 1e-5 relative. Gradients: |Δ| ≤ 1e-4 + 1e-4·|g| (sums over every pixel in
 * float32; measured ≤ 5.6e-5 at |g| ≈ 1.7). Weights after Adam: 1e-6 — except the biases of
 * convolutions that feed an InstanceNorm. Those cancel exactly, so their true gradient is 0
 * (PyTorch float64: ~1e-16) and the float32 gradient is rounding noise of either sign, which
 * Adam's first step turns into a move of up to lr = 2e-4 (PyTorch's own float32 run lands
 * 2.0e-4 from its float64 run for the same reason; see the fixture's meta). For those we check
 * only that each step moved them by no more than Adam can (≈ lr).
 */
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { F, Graph, Program, grad } from '../../src/engine/index.js';
import {
  Conv2d,
  ConvTranspose2d,
  Ctx,
  InstanceNorm2d,
  Rng,
  Sequential,
  type Module,
  type Parameter,
} from '../../src/nn/index.js';
import { defineD, defineG, type NormType } from '../../src/models/networks.js';
import { bceWithLogits, ganLoss, gradientPenalty, l1Loss, type GanMode } from '../../src/gan/losses.js';
import { CycleGANStep } from '../../src/gan/cyclegan_step.js';
import { Pix2PixStep } from '../../src/gan/pix2pix_step.js';
import type { ImageBatch } from '../../src/gan/step_common.js';
import { assertClose, loadFixture, type Json } from '../helpers/fixtures.js';
import { f32, readGanPth, subDict } from './helpers.js';
import { ganTrainDefaults } from '../../src/gan/options.js';

const GRAD_TOL = { atol: 1e-4, rtol: 1e-4 };
const WEIGHT_TOL = { atol: 1e-6, rtol: 0 };

describe('GAN losses', () => {
  const fx = loadFixture('gan/losses');
  const values = fx.meta.values as Record<string, number>;
  for (const mode of ['lsgan', 'vanilla', 'wgangp'] as GanMode[]) {
    for (const real of [true, false]) {
      const key = `${mode}_${real ? 'real' : 'fake'}`;
      test(`GANLoss('${mode}')(pred, ${real})`, async () => {
        const g = new Graph();
        const pred = g.input('pred', fx.shape('pred'));
        const loss = ganLoss(pred, real, mode);
        const [gp] = grad(loss, [pred]);
        // wgangp's gradient (±1/N) is a constant.
        const p = await Program.create({ loss, gp }, { threads: 2, allowConstantOutputs: true });
        const r = await p.run({ pred: fx.f32('pred') });
        await p.release();
        assertClose(r.loss, [values[key]], { atol: 1e-6, rtol: 1e-6 }, key);
        assertClose(r.gp, fx.f32(`grad_${key}`), { atol: 1e-8, rtol: 1e-5 }, `${key} gradient`);
      });
    }
  }

  test('L1Loss', async () => {
    const g = new Graph();
    const a = g.input('a', fx.shape('a'));
    const b = g.input('b', fx.shape('b'));
    const loss = l1Loss(a, b);
    const [ga] = grad(loss, [a]);
    const p = await Program.create({ loss, ga }, { threads: 2 });
    const r = await p.run({ a: fx.f32('a'), b: fx.f32('b') });
    await p.release();
    assertClose(r.loss, [values.l1], { atol: 1e-6, rtol: 1e-6 }, 'l1');
    assertClose(r.ga, fx.f32('grad_l1'), { atol: 1e-8, rtol: 1e-5 }, 'l1 gradient');
  });

  test('BCE with logits stays finite and exact for large logits', async () => {
    const g = new Graph();
    const x = g.input('x', [4]);
    const p = await Program.create({ real: bceWithLogits(x, 1), fake: bceWithLogits(x, 0) }, { threads: 1 });
    const r = await p.run({ x: Float32Array.from([-200, -30, 30, 200]) });
    await p.release();
    // mean(softplus(-x)) and mean(softplus(x)): (200 + 30 + ~0 + ~0)/4 both ways.
    assertClose(r.real, [57.5], { atol: 1e-4, rtol: 0 }, 'real');
    assertClose(r.fake, [57.5], { atol: 1e-4, rtol: 0 }, 'fake');
  });

  test('cal_gradient_penalty: value and its gradient through a second backward pass of D', async () => {
    const fx = loadFixture('gan/gp');
    const spec = fx.meta.spec as Record<string, Json>;
    const D = defineD(
      {
        netD: 'n_layers',
        n_layers_D: spec.n_layers_D as number,
        ndf: spec.ndf as number,
        norm: spec.norm as NormType,
        input_nc: 3,
      },
      { init: false },
    );
    D.loadStateDict(await readGanPth('gp.pth'));
    const g = new Graph();
    const ctx = new Ctx(g, { root: D, trainable: 'all' });
    const real = g.input('real', fx.shape('real'));
    const fake = g.input('fake', fx.shape('fake'));
    const alpha = g.input('alpha', fx.shape('alpha'));
    const gp = gradientPenalty((x) => D.forward(ctx, x), real, fake, alpha, {
      lambdaGP: fx.meta.lambda_gp as number,
      constant: fx.meta.constant as number,
    });
    const params = Array.from(D.namedParameters());
    const gs = grad(
      gp,
      params.map(([, p]) => ctx.inputs.get(p)!),
      { allowUnused: true },
    );
    const outs: Record<string, ReturnType<typeof F.add>> = { gp };
    params.forEach(([k], i) => {
      const t = gs[i];
      if (t) outs[`g.${k}`] = t;
    });
    const p = await Program.create(outs, { threads: 2 });
    const r = await p.run({
      real: fx.f32('real'),
      fake: fx.f32('fake'),
      alpha: fx.f32('alpha'),
      ...ctx.paramFeeds(),
    });
    await p.release();
    assertClose(r.gp, [fx.meta.gp as number], { atol: 1e-6, rtol: 1e-5 }, 'gradient penalty');
    for (const [k] of params) {
      const want = fx.f32(`grad.${k}`);
      // A bias the gradient of D does not depend on (the output layer's) has no gradient at all.
      const got = r[`g.${k}`] ?? new Float32Array(want.length);
      assertClose(got, want, GRAD_TOL, `d gp / d ${k}`);
    }
  });
});

// ------------------------------------------------------------------ whole steps

/** Biases of convolutions directly followed by an InstanceNorm (which removes them again). */
function cancelledBiases(net: Module): Set<Parameter> {
  const out = new Set<Parameter>();
  for (const m of net.modules()) {
    if (!(m instanceof Sequential)) continue;
    m.layers.forEach((l, i) => {
      if (
        (l instanceof Conv2d || l instanceof ConvTranspose2d) &&
        l.bias &&
        m.layers[i + 1] instanceof InstanceNorm2d
      )
        out.add(l.bias);
    });
  }
  return out;
}

/** Float state in state_dict order, with a mask of the cancelled-bias elements. */
function flatState(net: Module): { values: Float32Array; cancelled: Uint8Array } {
  const skip = cancelledBiases(net);
  const vals: number[] = [];
  const mask: number[] = [];
  for (const [, p] of net.namedTensors()) {
    if (!(p.data instanceof Float32Array)) continue;
    for (const v of p.data) {
      vals.push(v);
      mask.push(skip.has(p) ? 1 : 0);
    }
  }
  return { values: Float32Array.from(vals), cancelled: Uint8Array.from(mask) };
}

function compareState(
  t: TestContext,
  label: string,
  net: Module,
  expected: Float32Array,
  before: Float32Array,
  lr: number,
): number {
  const { values, cancelled } = flatState(net);
  assert.equal(values.length, expected.length, `${label}: state size`);
  const keep = (a: Float32Array) => a.filter((_, i) => !cancelled[i]);
  const s = assertClose(keep(values), keep(expected), WEIGHT_TOL, `${label} weights`);
  let moved = 0;
  for (let i = 0; i < values.length; i++)
    if (cancelled[i]) moved = Math.max(moved, Math.abs(values[i] - before[i]));
  // Adam moves a weight by at most about lr per step (exactly lr·|g|/(|g|+eps) on the first).
  assert.ok(moved <= lr * 1.5, `${label}: cancelled biases moved ${moved}, more than 1.5·lr = ${1.5 * lr}`);
  t.diagnostic(
    `${label}: max |Δ| weights ${s.maxAbs.toExponential(2)} (cancelled biases moved ≤ ${moved.toExponential(2)})`,
  );
  return s.maxAbs;
}

function intState(net: Module): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, p] of net.namedTensors()) if (p.data instanceof BigInt64Array) out[k] = Number(p.data[0]);
  return out;
}

const batchOf = (
  sd: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array | BigInt64Array }>,
  key: string,
): ImageBatch => {
  const v = sd.get(key);
  const data = f32(v, key);
  const s = v!.shape;
  return { data, shape: [s[0], s[1], s[2], s[3]] };
};

interface StepMeta {
  losses: Record<string, number>;
  dropout_sites: number;
  num_batches_tracked: Record<string, Record<string, number>>;
}

function checkLosses(got: Record<string, number>, want: Record<string, number>, label: string): void {
  assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort(), `${label}: loss names`);
  for (const [k, v] of Object.entries(want))
    assertClose([got[k]], [v], { atol: 1e-6, rtol: 1e-5 }, `${label} ${k}`);
}

test('CycleGAN: two optimize_parameters() iterations match the official CycleGANModel', async (t) => {
  const fx = loadFixture('gan/cyclegan_step');
  const opt = fx.meta.opt as Record<string, Json>;
  const steps = fx.meta.steps as unknown as StepMeta[];
  const sd = await readGanPth(fx.meta.pth as string);
  const norm = opt.norm as NormType;
  const make = (n: string): Module => {
    const net: Module = n.startsWith('G')
      ? defineG(
          { netG: opt.netG as string, ngf: opt.ngf as number, norm, no_dropout: opt.no_dropout as boolean },
          { init: false },
        )
      : defineD(
          {
            netD: opt.netD as 'basic',
            ndf: opt.ndf as number,
            norm,
            n_layers_D: opt.n_layers_D as number,
            input_nc: 3,
          },
          { init: false },
        );
    net.loadStateDict(subDict(sd, `init.${n}`));
    return net.train();
  };
  const nets = { G_A: make('G_A'), G_B: make('G_B'), D_A: make('D_A'), D_B: make('D_B') };
  const lr = opt.lr as number;
  const step = new CycleGANStep(nets, {
    gan_mode: opt.gan_mode as GanMode,
    lambda_A: opt.lambda_A as number,
    lambda_B: opt.lambda_B as number,
    lambda_identity: opt.lambda_identity as number,
    lr,
    beta1: opt.beta1 as number,
    threads: 2,
  });
  try {
    for (const i of [1, 2]) {
      const before = Object.fromEntries(
        (['G_A', 'G_B', 'D_A', 'D_B'] as const).map((n) => [n, flatState(nets[n]).values]),
      );
      const batch = { real_A: batchOf(sd, `step${i}.real_A`), real_B: batchOf(sd, `step${i}.real_B`) };
      const { losses, visuals } = await step.optimizeParameters(batch);
      checkLosses({ ...losses }, steps[i - 1].losses, `step ${i}`);
      if (i === 1) {
        assertClose(visuals.fake_B.data, fx.f32('step1.fake_B'), { atol: 1e-5, rtol: 0 }, 'fake_B');
        assertClose(visuals.fake_A.data, fx.f32('step1.fake_A'), { atol: 1e-5, rtol: 0 }, 'fake_A');
      }
      for (const n of ['G_A', 'G_B', 'D_A', 'D_B'] as const) {
        if (i === 1) {
          const s = assertClose(
            step.optimizers[n].grad,
            f32(sd.get(`step1.grad.${n}`), n),
            GRAD_TOL,
            `step 1 ${n} gradient`,
          );
          t.diagnostic(`step 1 ${n}: max |Δ| gradient ${s.maxAbs.toExponential(2)}`);
        }
        compareState(t, `step ${i} ${n}`, nets[n], f32(sd.get(`step${i}.after.${n}`), n), before[n], lr);
      }
    }
  } finally {
    await step.release();
  }
});

test('pix2pix: two optimize_parameters() iterations (batch norm, dropout) match the official Pix2PixModel', async (t) => {
  const fx = loadFixture('gan/pix2pix_step');
  const opt = fx.meta.opt as Record<string, Json>;
  const steps = fx.meta.steps as unknown as StepMeta[];
  const sd = await readGanPth(fx.meta.pth as string);
  const norm = opt.norm as NormType;
  const G = defineG(
    { netG: opt.netG as string, ngf: opt.ngf as number, norm, no_dropout: opt.no_dropout as boolean },
    { init: false },
  );
  G.loadStateDict(subDict(sd, 'init.G'));
  const D = defineD(
    {
      netD: opt.netD as 'basic',
      ndf: opt.ndf as number,
      norm,
      n_layers_D: opt.n_layers_D as number,
      input_nc: 6,
    },
    { init: false },
  );
  D.loadStateDict(subDict(sd, 'init.D'));
  const nets = { G: G.train(), D: D.train() };
  const lr = opt.lr as number;
  const step = new Pix2PixStep(nets, {
    gan_mode: opt.gan_mode as GanMode,
    lambda_L1: opt.lambda_L1 as number,
    lr,
    beta1: opt.beta1 as number,
    threads: 2,
  });
  try {
    const batch = { real_A: batchOf(sd, 'step1.real_A'), real_B: batchOf(sd, 'step1.real_B') };
    const sites = await step.dropoutSites(batch.real_A, batch.real_B);
    for (const i of [1, 2]) {
      assert.equal(sites.length, steps[i - 1].dropout_sites);
      const dropout = Object.fromEntries(sites.map((s, j) => [s.name, fx.f32(`step${i}.mask_${j}`)]));
      const before = { G: flatState(G).values, D: flatState(D).values };
      const { losses, fake_B } = await step.optimizeParameters(batch, { dropout });
      checkLosses({ ...losses }, steps[i - 1].losses, `step ${i}`);
      if (i === 1) assertClose(fake_B.data, fx.f32('step1.fake_B'), { atol: 1e-5, rtol: 0 }, 'fake_B');
      for (const n of ['G', 'D'] as const) {
        if (i === 1) {
          const s = assertClose(
            step.optimizers[n].grad,
            f32(sd.get(`step1.grad.${n}`), n),
            GRAD_TOL,
            `step 1 ${n} gradient`,
          );
          t.diagnostic(`step 1 ${n}: max |Δ| gradient ${s.maxAbs.toExponential(2)}`);
        }
        // Includes the running statistics: G updated once per step, D three times.
        compareState(t, `step ${i} ${n}`, nets[n], f32(sd.get(`step${i}.after.${n}`), n), before[n], lr);
        assert.deepEqual(
          intState(nets[n]),
          steps[i - 1].num_batches_tracked[n],
          `step ${i} ${n} num_batches_tracked`,
        );
      }
    }
  } finally {
    await step.release();
  }
});

test('a step refuses networks in eval mode and batches that do not fit', async () => {
  const G = defineG({ netG: 'unet_32', ngf: 1, norm: 'batch' }, { init: false });
  const D = defineD({ netD: 'basic', ndf: 1, norm: 'batch', input_nc: 6 }, { init: false });
  const step = new Pix2PixStep({ G: G.eval(), D: D.train() }, ganTrainDefaults('pix2pix'));
  const img = (h: number): ImageBatch => ({ data: new Float32Array(3 * h * h), shape: [1, 3, h, h] });
  await assert.rejects(
    step.optimizeParameters({ real_A: img(32), real_B: img(32) }),
    /G: a training step needs the network in training mode/,
  );
  G.train();
  await assert.rejects(step.optimizeParameters({ real_A: img(32), real_B: img(64) }), /aligned pairs/);
  await assert.rejects(
    step.optimizeParameters({
      real_A: { data: new Float32Array(5), shape: [1, 3, 32, 32] },
      real_B: img(32),
    }),
    /do not fill/,
  );
  await step.release();
  const cg = new CycleGANStep({
    G_A: defineG({ netG: 'resnet_1blocks', ngf: 1, input_nc: 1, output_nc: 3 }, { init: false }),
    G_B: defineG({ netG: 'resnet_1blocks', ngf: 1, input_nc: 3, output_nc: 1 }, { init: false }),
    D_A: defineD({ netD: 'pixel', ndf: 1, input_nc: 3 }, { init: false }),
    D_B: defineD({ netD: 'pixel', ndf: 1, input_nc: 1 }, { init: false }),
  }, ganTrainDefaults('cycle_gan'));
  const gray: ImageBatch = { data: new Float32Array(16 * 16), shape: [1, 1, 16, 16] };
  const rgb: ImageBatch = { data: new Float32Array(3 * 16 * 16), shape: [1, 3, 16, 16] };
  await assert.rejects(cg.stepG({ real_A: gray, real_B: rgb }), /identity loss needs input_nc == output_nc/);
  await cg.release();
});

test('wgangp with lambda_gp adds a non-negative gradient penalty to the D losses only', async () => {
  const build = () => {
    const rng = new Rng(11);
    const G = (): Module =>
      defineG({ netG: 'resnet_1blocks', ngf: 2, norm: 'instance', no_dropout: true }, { rng }).train();
    const D = (): Module =>
      defineD({ netD: 'n_layers', n_layers_D: 2, ndf: 2, norm: 'instance' }, { rng }).train();
    return { G_A: G(), G_B: G(), D_A: D(), D_B: D() };
  };
  const data = new Rng(12);
  const img = (): ImageBatch => ({
    data: Float32Array.from({ length: 3 * 16 * 16 }, () => data.next() * 2 - 1),
    shape: [1, 3, 16, 16],
  });
  const batch = { real_A: img(), real_B: img() };
  const plain = new CycleGANStep(build(), { ...ganTrainDefaults('cycle_gan'), gan_mode: 'wgangp', threads: 1 });
  const gp = new CycleGANStep(build(), { ...ganTrainDefaults('cycle_gan'), gan_mode: 'wgangp', lambda_gp: 10, rng: new Rng(13), threads: 1 });
  try {
    const a = await plain.optimizeParameters(batch);
    const b = await gp.optimizeParameters(batch);
    for (const k of ['G_A', 'G_B', 'cycle_A', 'cycle_B', 'idt_A', 'idt_B'] as const)
      assert.equal(b.losses[k], a.losses[k], k);
    for (const k of ['D_A', 'D_B'] as const) {
      assert.ok(
        Number.isFinite(b.losses[k]) && b.losses[k] > a.losses[k],
        `${k}: ${b.losses[k]} vs ${a.losses[k]} without the penalty`,
      );
    }
  } finally {
    await plain.release();
    await gp.release();
  }
});
