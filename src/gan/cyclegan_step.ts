/**
 * One CycleGANModel.optimize_parameters() of the official code, on ONNX Runtime:
 *
 *   forward: fake_B = G_A(A), rec_A = G_B(fake_B), fake_A = G_B(B), rec_B = G_A(fake_A)
 *   G step (D frozen): G_A = GAN(D_A(fake_B), real), G_B = GAN(D_B(fake_A), real),
 *                      cycle_A = L1(rec_A, A)·λA, cycle_B = L1(rec_B, B)·λB,
 *                      idt_A = L1(G_A(B), B)·λB·λidt, idt_B = L1(G_B(A), A)·λA·λidt
 *   D step:            D_A = ½[GAN(D_A(B), real) + GAN(D_A(pool(fake_B)), fake)], D_B likewise
 *
 * Two compiled sessions per input shape, built once and reused: the G session computes the
 * forward pass, the G losses and G_A/G_B weight gradients (D weights are fed but no gradient
 * is built for them); the D session takes the fakes (after the caller's image pool) and gives
 * D_A/D_B gradients. Adam (β1 0.5) steps each network's flat parameters in between.
 */
import { F, Graph, GraphError, type Program, type Tensor } from '../engine/index.js';
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

export interface CycleGANNets {
  G_A: Module;
  G_B: Module;
  D_A: Module;
  D_B: Module;
}
type NetName = keyof CycleGANNets;
const NETS: readonly NetName[] = ['G_A', 'G_B', 'D_A', 'D_B'];

/** The training options the step uses, complete (defaults come from the schema: cycleganTrainCommand.resolve). */
export interface CycleGANStepOptions extends OptimizerOptions {
  gan_mode: GanMode;
  lambda_A: number;
  lambda_B: number;
  lambda_identity: number;
  /**
   * Not in the official models (their wgangp is the bare ±mean): > 0 adds
   * cal_gradient_penalty(type 'mixed', constant 1)·lambda_gp to each D loss.
   */
  lambda_gp?: number;
  /** Draws dropout masks (generators built without no_dropout) and gradient-penalty mixing weights. */
  rng?: Rng;
  threads?: number;
  /** NaN/Inf in any output fails the step naming the op that made it (default true). */
  checkFinite?: boolean;
}

export interface CycleGANGLosses {
  G_A: number;
  G_B: number;
  cycle_A: number;
  cycle_B: number;
  idt_A: number;
  idt_B: number;
}
export interface CycleGANDLosses {
  D_A: number;
  D_B: number;
}
export type CycleGANLosses = CycleGANGLosses & CycleGANDLosses;

export interface CycleGANGResult {
  losses: CycleGANGLosses;
  /** The images of the forward pass (before the G update), as the official visuals. */
  fake_B: ImageBatch;
  rec_A: ImageBatch;
  fake_A: ImageBatch;
  rec_B: ImageBatch;
  idt_A: ImageBatch | null;
  idt_B: ImageBatch | null;
}

interface Compiled {
  program: Program;
  bound: Record<NetName, Bound>;
  /** Output shapes of the images, by name. */
  shapes: Record<string, readonly number[]>;
}

export class CycleGANStep {
  readonly optimizers: Record<NetName, NetAdam>;
  readonly opts: Required<Omit<CycleGANStepOptions, 'lr' | 'beta1' | 'threads'>> & {
    threads?: number;
  };
  private gCache = new SessionCache<Compiled>();
  private dCache = new SessionCache<Compiled>();

  constructor(
    readonly nets: CycleGANNets,
    o: CycleGANStepOptions,
  ) {
    const adam = adamOptions(o);
    this.optimizers = {
      G_A: new NetAdam('G_A', nets.G_A, adam),
      G_B: new NetAdam('G_B', nets.G_B, { ...adam }),
      D_A: new NetAdam('D_A', nets.D_A, { ...adam }),
      D_B: new NetAdam('D_B', nets.D_B, { ...adam }),
    };
    this.opts = {
      gan_mode: o.gan_mode,
      lambda_A: o.lambda_A,
      lambda_B: o.lambda_B,
      lambda_identity: o.lambda_identity,
      lambda_gp: o.lambda_gp ?? 0,
      rng: o.rng ?? new Rng(0),
      checkFinite: o.checkFinite ?? true,
      threads: o.threads,
    };
  }

  /** The learning rate of all four optimizers (the official schedulers move G's and D's together). */
  setLearningRate(lr: number): void {
    for (const n of NETS) this.optimizers[n].lr = lr;
  }

  /** forward() + backward_G() + optimizer_G.step(). */
  async stepG(
    batch: { real_A: ImageBatch; real_B: ImageBatch },
    o: { dropout?: Record<string, Float32Array> } = {},
  ): Promise<CycleGANGResult> {
    const { real_A, real_B } = batch;
    checkBatch('real_A', real_A);
    checkBatch('real_B', real_B);
    for (const n of NETS) assertTraining(n, this.nets[n]);
    const { program, bound, shapes } = await this.compiledG(real_A, real_B);
    const feeds: Record<string, Float32Array> = { real_A: real_A.data, real_B: real_B.data };
    for (const n of NETS) Object.assign(feeds, bound[n].feeds());
    if (o.dropout) Object.assign(feeds, o.dropout);
    else
      for (const n of ['G_A', 'G_B'] as const)
        Object.assign(feeds, sampleDropout(bound[n].ctx, this.opts.rng));
    const r = await program.run(feeds, { checkFinite: this.opts.checkFinite });
    this.optimizers.G_A.step(r);
    this.optimizers.G_B.step(r);
    for (const n of NETS) applyBatchNormUpdates(bound[n], r);
    const idt = this.opts.lambda_identity > 0;
    return {
      losses: {
        G_A: scalar(r, 'loss.G_A'),
        G_B: scalar(r, 'loss.G_B'),
        cycle_A: scalar(r, 'loss.cycle_A'),
        cycle_B: scalar(r, 'loss.cycle_B'),
        idt_A: idt ? scalar(r, 'loss.idt_A') : 0,
        idt_B: idt ? scalar(r, 'loss.idt_B') : 0,
      },
      fake_B: imageOut(r, 'fake_B', shapes.fake_B),
      rec_A: imageOut(r, 'rec_A', shapes.rec_A),
      fake_A: imageOut(r, 'fake_A', shapes.fake_A),
      rec_B: imageOut(r, 'rec_B', shapes.rec_B),
      idt_A: idt ? imageOut(r, 'idt_A', shapes.idt_A) : null,
      idt_B: idt ? imageOut(r, 'idt_B', shapes.idt_B) : null,
    };
  }

  /** backward_D_A() + backward_D_B() + optimizer_D.step(), with the fakes after the image pools. */
  async stepD(batch: {
    real_A: ImageBatch;
    real_B: ImageBatch;
    fake_A: ImageBatch;
    fake_B: ImageBatch;
  }): Promise<CycleGANDLosses> {
    for (const [k, v] of Object.entries(batch)) checkBatch(k, v);
    for (const n of ['D_A', 'D_B'] as const) assertTraining(n, this.nets[n]);
    const key = shapeKey(batch.real_A, batch.real_B, batch.fake_A, batch.fake_B);
    const { program, bound } = await this.dCache.get(key, () => this.compileD(batch));
    const feeds: Record<string, Float32Array> = {
      real_A: batch.real_A.data,
      real_B: batch.real_B.data,
      fake_A: batch.fake_A.data,
      fake_B: batch.fake_B.data,
      ...bound.D_A.feeds(),
      ...bound.D_B.feeds(),
    };
    if (this.opts.lambda_gp > 0) {
      for (const [name, n] of [
        ['alpha_A', batch.real_B.shape[0]],
        ['alpha_B', batch.real_A.shape[0]],
      ] as const) {
        feeds[name] = Float32Array.from({ length: n }, () => this.opts.rng.next());
      }
    }
    const r = await program.run(feeds, { checkFinite: this.opts.checkFinite });
    this.optimizers.D_A.step(r);
    this.optimizers.D_B.step(r);
    applyBatchNormUpdates(bound.D_A, r);
    applyBatchNormUpdates(bound.D_B, r);
    return { D_A: scalar(r, 'loss.D_A'), D_B: scalar(r, 'loss.D_B') };
  }

  /**
   * A whole optimize_parameters(): the G step, the fakes through `pool` (the official
   * ImagePool.query; identity for pool_size 0), then the D step. Losses by official name.
   */
  async optimizeParameters(
    batch: { real_A: ImageBatch; real_B: ImageBatch },
    pool: { fake_A?: (x: ImageBatch) => ImageBatch; fake_B?: (x: ImageBatch) => ImageBatch } = {},
  ): Promise<{ losses: CycleGANLosses; visuals: CycleGANGResult }> {
    const g = await this.stepG(batch);
    const fake_A = pool.fake_A ? pool.fake_A(g.fake_A) : g.fake_A;
    const fake_B = pool.fake_B ? pool.fake_B(g.fake_B) : g.fake_B;
    const d = await this.stepD({ real_A: batch.real_A, real_B: batch.real_B, fake_A, fake_B });
    return { losses: { ...d, ...g.losses }, visuals: g };
  }

  /** Names and shapes of the G session's dropout inputs (empty unless the generators use dropout). */
  async dropoutSites(
    real_A: ImageBatch,
    real_B: ImageBatch,
  ): Promise<{ name: string; shape: readonly number[]; p: number }[]> {
    const { bound } = await this.compiledG(real_A, real_B);
    return [...bound.G_A.ctx.dropout, ...bound.G_B.ctx.dropout].map((d) => ({
      name: d.input.name,
      shape: d.input.shape,
      p: d.p,
    }));
  }

  async release(): Promise<void> {
    await Promise.all([this.gCache.release(), this.dCache.release()]);
  }

  private compiledG(a: ImageBatch, b: ImageBatch): Promise<Compiled> {
    return this.gCache.get(shapeKey(a, b), () => this.compileG(a, b));
  }

  private compileG(a: ImageBatch, b: ImageBatch): Promise<Compiled> {
    const { gan_mode, lambda_A, lambda_B, lambda_identity } = this.opts;
    if (lambda_identity > 0 && a.shape[1] !== b.shape[1]) {
      // As the official assert: G_A(B) must take B's channels and give B's channels.
      throw new GraphError(
        `the identity loss needs input_nc == output_nc (A has ${a.shape[1]} channels, B ${b.shape[1]}); set lambda_identity 0`,
      );
    }
    const g = new Graph();
    const { outputs, bound, shapes } = buildWithZeroStats(Object.values(this.nets), () => {
      const bound = bindAll(this.nets, g);
      const realA = g.input('real_A', a.shape);
      const realB = g.input('real_B', b.shape);
      // Calls in the official order, so batch-norm statistics update in the same sequence.
      const fakeB = bound.G_A.call(realA, 'G_A(real_A)');
      const recA = bound.G_B.call(fakeB, 'G_B(fake_B)');
      const fakeA = bound.G_B.call(realB, 'G_B(real_B)');
      const recB = bound.G_A.call(fakeA, 'G_A(fake_A)');
      const images: Record<string, Tensor> = { fake_B: fakeB, rec_A: recA, fake_A: fakeA, rec_B: recB };
      const losses: Record<string, Tensor> = {};
      if (lambda_identity > 0) {
        images.idt_A = bound.G_A.call(realB, 'G_A(real_B)');
        losses.idt_A = F.mul(l1Loss(images.idt_A, realB), lambda_B * lambda_identity);
        images.idt_B = bound.G_B.call(realA, 'G_B(real_A)');
        losses.idt_B = F.mul(l1Loss(images.idt_B, realA), lambda_A * lambda_identity);
      }
      losses.G_A = ganLoss(bound.D_A.call(fakeB, 'D_A(fake_B)'), true, gan_mode);
      losses.G_B = ganLoss(bound.D_B.call(fakeA, 'D_B(fake_A)'), true, gan_mode);
      losses.cycle_A = F.mul(l1Loss(recA, realA), lambda_A);
      losses.cycle_B = F.mul(l1Loss(recB, realB), lambda_B);
      const order = ['G_A', 'G_B', 'cycle_A', 'cycle_B', 'idt_A', 'idt_B'].filter((k) => losses[k]);
      const lossG = order.map((k) => losses[k]).reduce((x, y) => F.add(x, y));
      const outputs: Record<string, Tensor> = { ...images };
      for (const k of order) outputs[`loss.${k}`] = losses[k];
      Object.assign(outputs, bound.G_A.gradOutputs(lossG), bound.G_B.gradOutputs(lossG));
      for (const n of NETS) Object.assign(outputs, bound[n].updateOutputs());
      const shapes = Object.fromEntries(Object.entries(images).map(([k, t]) => [k, t.shape]));
      return { outputs, bound, shapes };
    });
    return compile(outputs, this.opts.threads).then((program) => ({
      program,
      bound,
      shapes,
    }));
  }

  private compileD(batch: {
    real_A: ImageBatch;
    real_B: ImageBatch;
    fake_A: ImageBatch;
    fake_B: ImageBatch;
  }): Promise<Compiled> {
    const { gan_mode, lambda_gp } = this.opts;
    const g = new Graph();
    const { outputs, bound } = buildWithZeroStats([this.nets.D_A, this.nets.D_B], () => {
      const bound = bindAll(this.nets, g);
      const t = Object.fromEntries(Object.entries(batch).map(([k, v]) => [k, g.input(k, v.shape)])) as Record<
        keyof typeof batch,
        Tensor
      >;
      const basic = (d: Bound, real: Tensor, fake: Tensor, alphaName: string): Tensor => {
        const lossReal = ganLoss(d.call(real, `${d.name}(real)`), true, gan_mode);
        const lossFake = ganLoss(d.call(fake, `${d.name}(fake)`), false, gan_mode);
        const loss = F.mul(F.add(lossReal, lossFake), 0.5);
        if (!(lambda_gp > 0)) return loss;
        const alpha = g.input(alphaName, [real.shape[0], 1]);
        return F.add(
          loss,
          gradientPenalty((x) => d.call(x, `${d.name}(interpolated)`), real, fake, alpha, {
            lambdaGP: lambda_gp,
          }),
        );
      };
      const lossDA = basic(bound.D_A, t.real_B, t.fake_B, 'alpha_A');
      const lossDB = basic(bound.D_B, t.real_A, t.fake_A, 'alpha_B');
      const outputs: Record<string, Tensor> = {
        'loss.D_A': lossDA,
        'loss.D_B': lossDB,
        ...bound.D_A.gradOutputs(lossDA),
        ...bound.D_B.gradOutputs(lossDB),
        ...bound.D_A.updateOutputs(),
        ...bound.D_B.updateOutputs(),
      };
      return { outputs, bound };
    });
    return compile(outputs, this.opts.threads).then((program) => ({
      program,
      bound,
      shapes: {},
    }));
  }
}

function bindAll(nets: CycleGANNets, g: Graph): Record<NetName, Bound> {
  return {
    G_A: new Bound('G_A', nets.G_A, g),
    G_B: new Bound('G_B', nets.G_B, g),
    D_A: new Bound('D_A', nets.D_A, g),
    D_B: new Bound('D_B', nets.D_B, g),
  };
}
