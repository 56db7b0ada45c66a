/**
 * One Pix2PixModel.optimize_parameters() of the official code, on ONNX Runtime:
 *
 *   forward:  fake_B = G(A)
 *   D step:   D_fake = GAN(D(cat(A, fake_B)), fake), D_real = GAN(D(cat(A, B)), real),
 *             loss_D = ½(D_fake + D_real)
 *   G step:   (with the D just updated) G_GAN = GAN(D(cat(A, fake_B)), real),
 *             G_L1 = L1(fake_B, B)·λL1
 *
 * The D session runs G forward (G's weights fed, no gradient) and gives D's gradients; the
 * G session runs G again with the same dropout masks — so the same fake_B — and D with its
 * new weights, and gives G's gradients. G's batch-norm statistics are taken from the first
 * pass only, since PyTorch runs G once.
 */
import { F, Graph, type Program, type Tensor } from '../engine/index.js';
import { Rng, sampleDropout, type Module } from '../nn/index.js';
import { ganLoss, gradientPenalty, l1Loss, type GanMode } from './losses.js';
import {
  Bound,
  NetAdam,
  compile,
  adamOptions,
  applyBatchNormUpdates,
  assertTraining,
  buildWithZeroStats,
  checkBatch,
  imageOut,
  scalar,
  shapeKey,
  type ImageBatch,
  type OptimizerOptions,
} from './step_common.js';

export interface Pix2PixNets {
  G: Module;
  D: Module;
}

export interface Pix2PixStepOptions extends OptimizerOptions {
  gan_mode?: GanMode;
  lambda_L1?: number;
  /** Not in the official model: > 0 adds cal_gradient_penalty('mixed')·lambda_gp to loss_D. */
  lambda_gp?: number;
  /** Draws dropout masks (pix2pix keeps dropout on by default) and gradient-penalty mixing weights. */
  rng?: Rng;
  threads?: number;
  checkFinite?: boolean;
}

export interface Pix2PixLosses {
  G_GAN: number;
  G_L1: number;
  D_real: number;
  D_fake: number;
}

interface Compiled {
  program: Program;
  G: Bound;
  D: Bound;
  fakeShape: readonly number[];
}

export class Pix2PixStep {
  readonly optimizers: { G: NetAdam; D: NetAdam };
  readonly opts: {
    gan_mode: GanMode;
    lambda_L1: number;
    lambda_gp: number;
    rng: Rng;
    threads?: number;
    checkFinite: boolean;
  };
  private cache = new Map<string, Promise<{ d: Compiled; g: Compiled }>>();

  constructor(
    readonly nets: Pix2PixNets,
    o: Pix2PixStepOptions = {},
  ) {
    const adam = adamOptions(o);
    this.optimizers = { G: new NetAdam('G', nets.G, adam), D: new NetAdam('D', nets.D, { ...adam }) };
    this.opts = {
      gan_mode: o.gan_mode ?? 'vanilla',
      lambda_L1: o.lambda_L1 ?? 100,
      lambda_gp: o.lambda_gp ?? 0,
      rng: o.rng ?? new Rng(0),
      threads: o.threads,
      checkFinite: o.checkFinite ?? true,
    };
  }

  setLearningRate(lr: number): void {
    this.optimizers.G.lr = lr;
    this.optimizers.D.lr = lr;
  }

  /** Names and shapes of G's dropout inputs, in the order G calls them. */
  async dropoutSites(
    real_A: ImageBatch,
    real_B: ImageBatch,
  ): Promise<{ name: string; shape: readonly number[]; p: number }[]> {
    const { g } = await this.compiled(real_A, real_B);
    return g.G.ctx.dropout.map((d) => ({ name: d.input.name, shape: d.input.shape, p: d.p }));
  }

  /**
   * forward(); D step; G step. `dropout` overrides the masks (by input name, see dropoutSites);
   * otherwise they are drawn from the rng. Returns the losses by official name and fake_B.
   */
  async optimizeParameters(
    batch: { real_A: ImageBatch; real_B: ImageBatch },
    o: { dropout?: Record<string, Float32Array> } = {},
  ): Promise<{ losses: Pix2PixLosses; fake_B: ImageBatch }> {
    const { real_A, real_B } = batch;
    checkBatch('real_A', real_A);
    checkBatch('real_B', real_B);
    if (
      real_A.shape[0] !== real_B.shape[0] ||
      real_A.shape[2] !== real_B.shape[2] ||
      real_A.shape[3] !== real_B.shape[3]
    ) {
      throw new Error(
        `pix2pix needs aligned pairs: real_A [${real_A.shape}] and real_B [${real_B.shape}] differ in batch or size`,
      );
    }
    assertTraining('G', this.nets.G);
    assertTraining('D', this.nets.D);
    const { d, g } = await this.compiled(real_A, real_B);
    const images = { real_A: real_A.data, real_B: real_B.data };
    const masks = o.dropout ?? sampleDropout(d.G.ctx, this.opts.rng);
    const check = { checkFinite: this.opts.checkFinite };

    const dFeeds: Record<string, Float32Array> = { ...images, ...masks, ...d.G.feeds(), ...d.D.feeds() };
    if (this.opts.lambda_gp > 0)
      dFeeds.alpha = Float32Array.from({ length: real_A.shape[0] }, () => this.opts.rng.next());
    const rd = await d.program.run(dFeeds, check);
    this.optimizers.D.step(rd);
    applyBatchNormUpdates(d.G, rd);
    applyBatchNormUpdates(d.D, rd);

    const rg = await g.program.run({ ...images, ...masks, ...g.G.feeds(), ...g.D.feeds() }, check);
    this.optimizers.G.step(rg);
    applyBatchNormUpdates(g.D, rg);
    return {
      losses: {
        G_GAN: scalar(rg, 'loss.G_GAN'),
        G_L1: scalar(rg, 'loss.G_L1'),
        D_real: scalar(rd, 'loss.D_real'),
        D_fake: scalar(rd, 'loss.D_fake'),
      },
      fake_B: imageOut(rd, 'fake_B', d.fakeShape),
    };
  }

  async release(): Promise<void> {
    const all = [...this.cache.values()];
    this.cache.clear();
    await Promise.all(
      all.map((c) =>
        c.then(
          async (x) => void (await Promise.all([x.d.program.release(), x.g.program.release()])),
          () => undefined,
        ),
      ),
    );
  }

  private compiled(a: ImageBatch, b: ImageBatch): Promise<{ d: Compiled; g: Compiled }> {
    const key = shapeKey(a, b);
    let c = this.cache.get(key);
    if (!c) {
      c = Promise.all([this.compileD(a, b), this.compileG(a, b)]).then(([d, g]) => ({ d, g }));
      this.cache.set(key, c);
    }
    return c;
  }

  private graphStart(
    a: ImageBatch,
    b: ImageBatch,
  ): { g: Graph; G: Bound; D: Bound; realA: Tensor; realB: Tensor } {
    const g = new Graph();
    return {
      g,
      G: new Bound('G', this.nets.G, g),
      D: new Bound('D', this.nets.D, g),
      realA: g.input('real_A', a.shape),
      realB: g.input('real_B', b.shape),
    };
  }

  private compileD(a: ImageBatch, b: ImageBatch): Promise<Compiled> {
    const { gan_mode, lambda_gp } = this.opts;
    const built = buildWithZeroStats([this.nets.G, this.nets.D], () => {
      const { g, G, D, realA, realB } = this.graphStart(a, b);
      const fakeB = G.call(realA, 'G(real_A)');
      const fakeAB = F.concat([realA, fakeB], 1);
      const lossFake = ganLoss(D.call(fakeAB, 'D(fake_AB)'), false, gan_mode);
      const realAB = F.concat([realA, realB], 1);
      const lossReal = ganLoss(D.call(realAB, 'D(real_AB)'), true, gan_mode);
      let lossD = F.mul(F.add(lossFake, lossReal), 0.5);
      if (lambda_gp > 0) {
        const alpha = g.input('alpha', [a.shape[0], 1]);
        lossD = F.add(
          lossD,
          gradientPenalty((x) => D.call(x, 'D(interpolated)'), realAB, fakeAB, alpha, {
            lambdaGP: lambda_gp,
          }),
        );
      }
      const outputs: Record<string, Tensor> = {
        fake_B: fakeB,
        'loss.D_fake': lossFake,
        'loss.D_real': lossReal,
        ...D.gradOutputs(lossD),
        ...G.updateOutputs(),
        ...D.updateOutputs(),
      };
      return { outputs, G, D, fakeShape: fakeB.shape };
    });
    return compile(built.outputs, this.opts.threads).then((program) => ({
      program,
      ...built,
    }));
  }

  private compileG(a: ImageBatch, b: ImageBatch): Promise<Compiled> {
    const { gan_mode, lambda_L1 } = this.opts;
    const built = buildWithZeroStats([this.nets.G, this.nets.D], () => {
      const { G, D, realA, realB } = this.graphStart(a, b);
      const fakeB = G.call(realA, 'G(real_A)');
      // G ran once in PyTorch (in forward()); its statistics were taken from the D session.
      G.skipUpdates();
      const lossGAN = ganLoss(D.call(F.concat([realA, fakeB], 1), 'D(fake_AB)'), true, gan_mode);
      const lossL1 = F.mul(l1Loss(fakeB, realB), lambda_L1);
      const outputs: Record<string, Tensor> = {
        'loss.G_GAN': lossGAN,
        'loss.G_L1': lossL1,
        ...G.gradOutputs(F.add(lossGAN, lossL1)),
        ...D.updateOutputs(),
      };
      return { outputs, G, D, fakeShape: fakeB.shape };
    });
    return compile(built.outputs, this.opts.threads).then((program) => ({
      program,
      ...built,
    }));
  }
}
