/**
 * One Pix2PixModel.optimize_parameters() of the official code, on ONNX Runtime:
 *
 *   forward:  fake_B = G(A)
 *   D step:   D_fake = GAN(D(cat(A, fake_B)), fake), D_real = GAN(D(cat(A, B)), real),
 *             loss_D = ½(D_fake + D_real)
 *   G step:   (with the D just updated) G_GAN = GAN(D(cat(A, fake_B)), real),
 *             G_L1 = L1(fake_B, B)·λL1
 *
 * All in one session: G runs once, D's gradients feed an Adam step inside the graph (D is
 * small: 2.8M parameters against G's 54M), and the G loss is taken through D with those new
 * weights, gradient-stopped as PyTorch's updated leaves are. G's Adam step runs in JS on the
 * gradients that come out. Two sessions (one for D, one for G, G run twice) cost a G forward
 * and a session round trip more.
 */
import { F, Graph, type Program, type Tensor } from '../engine/index.js';
import { Rng, sampleDropout, type Module } from '../nn/index.js';
import { ganLoss, gradientPenalty, l1Loss, type GanMode } from './losses.js';
import {
  Bound,
  NetAdam,
  SessionCache,
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

/** The training options the step uses, complete (defaults come from the schema: pix2pixTrainCommand.resolve). */
export interface Pix2PixStepOptions extends OptimizerOptions {
  gan_mode: GanMode;
  lambda_L1: number;
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
  /** D with the weights after its step, as the G loss sees it. */
  Dn: Bound;
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
  private cache = new SessionCache<Compiled>();

  constructor(
    readonly nets: Pix2PixNets,
    o: Pix2PixStepOptions,
  ) {
    const adam = adamOptions(o);
    this.optimizers = { G: new NetAdam('G', nets.G, adam), D: new NetAdam('D', nets.D, { ...adam }) };
    this.opts = {
      gan_mode: o.gan_mode,
      lambda_L1: o.lambda_L1,
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
    const c = await this.compiled(real_A, real_B);
    return c.G.ctx.dropout.map((d) => ({ name: d.input.name, shape: d.input.shape, p: d.p }));
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
    const c = await this.compiled(real_A, real_B);
    const masks = o.dropout ?? sampleDropout(c.G.ctx, this.opts.rng);
    const feeds: Record<string, Float32Array> = {
      real_A: real_A.data,
      real_B: real_B.data,
      ...masks,
      ...c.G.feeds(),
      ...c.D.feeds(),
      ...this.optimizers.D.inGraphFeeds(),
    };
    if (this.opts.lambda_gp > 0)
      feeds.alpha = Float32Array.from({ length: real_A.shape[0] }, () => this.opts.rng.next());
    const r = await c.program.run(feeds, { checkFinite: this.opts.checkFinite });
    this.optimizers.D.finishInGraph(r);
    this.optimizers.G.step(r);
    applyBatchNormUpdates(c.G, r);
    applyBatchNormUpdates(c.D, r);
    applyBatchNormUpdates(c.Dn, r);
    return {
      losses: {
        G_GAN: scalar(r, 'loss.G_GAN'),
        G_L1: scalar(r, 'loss.G_L1'),
        D_real: scalar(r, 'loss.D_real'),
        D_fake: scalar(r, 'loss.D_fake'),
      },
      fake_B: imageOut(r, 'fake_B', c.fakeShape),
    };
  }

  release(): Promise<void> {
    return this.cache.release();
  }

  private compiled(a: ImageBatch, b: ImageBatch): Promise<Compiled> {
    return this.cache.get(shapeKey(a, b), () => this.compile(a, b));
  }

  private compile(a: ImageBatch, bImg: ImageBatch): Promise<Compiled> {
    const { gan_mode, lambda_gp, lambda_L1 } = this.opts;
    const built = buildWithZeroStats([this.nets.G, this.nets.D], () => {
      const g = new Graph();
      const G = new Bound('G', this.nets.G, g);
      const D = new Bound('D', this.nets.D, g);
      const realA = g.input('real_A', a.shape);
      const realB = g.input('real_B', bImg.shape);
      const fakeB = G.call(realA, 'G(real_A)');
      const fakeAB = F.concat([realA, fakeB], 1);
      // D step (fake_B detached: only D's weights are differentiated here).
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
      const gradD = D.gradOutputs(lossD);
      const adamD = this.optimizers.D.inGraph(D, gradD);
      // G step through D after its update.
      const Dn = new Bound('Dn', this.nets.D, g, adamD.weights);
      const lossGAN = ganLoss(Dn.call(F.concat([realA, fakeB], 1), 'Dn(fake_AB)'), true, gan_mode);
      const lossL1 = F.mul(l1Loss(fakeB, realB), lambda_L1);
      const outputs: Record<string, Tensor> = {
        fake_B: fakeB,
        'loss.D_fake': lossFake,
        'loss.D_real': lossReal,
        'loss.G_GAN': lossGAN,
        'loss.G_L1': lossL1,
        ...gradD,
        ...adamD.outputs,
        ...G.gradOutputs(F.add(lossGAN, lossL1)),
        ...G.updateOutputs(),
        ...D.updateOutputs(),
        ...Dn.updateOutputs(),
      };
      return { outputs, G, D, Dn, fakeShape: fakeB.shape };
    });
    return compile(built.outputs, this.opts.threads).then((program) => ({ program, ...built }));
  }
}
