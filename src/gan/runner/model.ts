/**
 * The two trainable models as train.py sees them (CycleGANModel, Pix2PixModel): their networks
 * under the official model_names (which name the checkpoint files), one optimize_parameters()
 * per batch, losses in the official loss_names order and the official visual_names.
 */
import { defineD, defineG } from '../../models/networks.js';
import type { Module } from '../../nn/index.js';
import { Rng } from '../../nn/random.js';
import { CycleGANStep } from '../cyclegan_step.js';
import type { Batch } from '../data/loader.js';
import { deriveSeed } from '../data/rng.js';
import { DataError } from '../data/files.js';
import type { GanTrainOptions } from '../options.js';
import { Pix2PixStep } from '../pix2pix_step.js';
import { ImagePool } from '../pool.js';
import type { Visuals } from '../report/visuals.js';
import type { ImageBatch, NetAdam } from '../step_common.js';

export interface IterationResult {
  /** By official loss name, in the official order. */
  losses: Record<string, number>;
  /** The official visuals of this iteration (images of the forward pass before the update). */
  visuals: () => Visuals;
}

export interface TrainModel {
  readonly className: string;
  /** Networks by official model name, in model_names order (file names [label]_net_[name].pth). */
  readonly nets: Record<string, Module>;
  readonly optimizers: Record<string, NetAdam>;
  readonly pools: Record<string, ImagePool>;
  /** Dropout masks and gradient-penalty weights. */
  readonly rng: Rng;
  readonly lossNames: readonly string[];
  setLearningRate(lr: number): void;
  iterate(batch: Batch): Promise<IterationResult>;
  release(): Promise<void>;
}

/** Streams of the run's --seed (data order and augmentation use the loader's own 'data' stream). */
export const SEED_STREAMS = { init: 'init', dropout: 'dropout', poolA: 'pool_fake_A', poolB: 'pool_fake_B' };

/** define_G options from a parsed option set (train or test: both carry the base options). */
export function genOptions(opt: Pick<GanTrainOptions, 'netG' | 'ngf' | 'norm' | 'no_dropout' | 'init_type' | 'init_gain'>, inputNc: number, outputNc: number) {
  return {
    netG: opt.netG,
    input_nc: inputNc,
    output_nc: outputNc,
    ngf: opt.ngf,
    norm: opt.norm,
    no_dropout: opt.no_dropout,
    init_type: opt.init_type,
    init_gain: opt.init_gain,
  };
}

function discOptions(opt: GanTrainOptions, inputNc: number) {
  return {
    netD: opt.netD,
    input_nc: inputNc,
    ndf: opt.ndf,
    n_layers_D: opt.n_layers_D,
    norm: opt.norm,
    init_type: opt.init_type,
    init_gain: opt.init_gain,
  };
}

function pair(batch: Batch): { real_A: ImageBatch; real_B: ImageBatch } {
  if (!batch.B) throw new DataError('training needs target (B) images; this dataset has none');
  return { real_A: batch.A, real_B: batch.B };
}

const CYCLE_LOSSES = ['D_A', 'G_A', 'cycle_A', 'idt_A', 'D_B', 'G_B', 'cycle_B', 'idt_B'] as const;
const PIX2PIX_LOSSES = ['G_GAN', 'G_L1', 'D_real', 'D_fake'] as const;

/**
 * Builds the model for --model, its networks initialised as init_net does, in the official
 * order (generators, then discriminators) from the 'init' stream of --seed.
 */
export function createTrainModel(opt: GanTrainOptions, threads?: number): TrainModel {
  const init = new Rng(deriveSeed(opt.seed, SEED_STREAMS.init));
  const rng = new Rng(deriveSeed(opt.seed, SEED_STREAMS.dropout));
  const adam = { lr: opt.lr, beta1: opt.beta1 };
  if (opt.model === 'cycle_gan') {
    const nets = {
      G_A: defineG(genOptions(opt, opt.input_nc, opt.output_nc), { rng: init }),
      G_B: defineG(genOptions(opt, opt.output_nc, opt.input_nc), { rng: init }),
      D_A: defineD(discOptions(opt, opt.output_nc), { rng: init }),
      D_B: defineD(discOptions(opt, opt.input_nc), { rng: init }),
    };
    const step = new CycleGANStep(nets, {
      ...adam,
      gan_mode: opt.gan_mode,
      lambda_A: opt.lambda_A,
      lambda_B: opt.lambda_B,
      lambda_identity: opt.lambda_identity,
      rng,
      threads,
    });
    const pools = {
      fake_A: new ImagePool(opt.pool_size, opt.seed, SEED_STREAMS.poolA),
      fake_B: new ImagePool(opt.pool_size, opt.seed, SEED_STREAMS.poolB),
    };
    const idt = opt.lambda_identity > 0;
    return {
      className: 'CycleGANModel',
      nets,
      optimizers: step.optimizers,
      pools,
      rng,
      lossNames: CYCLE_LOSSES,
      setLearningRate: (lr) => step.setLearningRate(lr),
      release: () => step.release(),
      async iterate(batch) {
        const input = pair(batch);
        const { losses, visuals: v } = await step.optimizeParameters(input, {
          fake_A: (x) => pools.fake_A.query(x),
          fake_B: (x) => pools.fake_B.query(x),
        });
        return {
          losses: Object.fromEntries(CYCLE_LOSSES.map((k) => [k, losses[k]])),
          visuals: () => {
            const out: Visuals = { real_A: input.real_A, fake_B: v.fake_B, rec_A: v.rec_A };
            if (idt && v.idt_B) out.idt_B = v.idt_B;
            Object.assign(out, { real_B: input.real_B, fake_A: v.fake_A, rec_B: v.rec_B });
            if (idt && v.idt_A) out.idt_A = v.idt_A;
            return out;
          },
        };
      },
    };
  }
  if (opt.model !== 'pix2pix') throw new DataError(`--model ${opt.model} cannot be trained`);
  const nets = {
    G: defineG(genOptions(opt, opt.input_nc, opt.output_nc), { rng: init }),
    D: defineD(discOptions(opt, opt.input_nc + opt.output_nc), { rng: init }),
  };
  const step = new Pix2PixStep(nets, {
    ...adam,
    gan_mode: opt.gan_mode,
    lambda_L1: opt.lambda_L1,
    rng,
    threads,
  });
  return {
    className: 'Pix2PixModel',
    nets,
    optimizers: step.optimizers,
    // The official Pix2PixModel keeps no image pool whatever --pool_size says.
    pools: {},
    rng,
    lossNames: PIX2PIX_LOSSES,
    setLearningRate: (lr) => step.setLearningRate(lr),
    release: () => step.release(),
    async iterate(batch) {
      const input = pair(batch);
      const { losses, fake_B } = await step.optimizeParameters(input);
      return {
        losses: Object.fromEntries(PIX2PIX_LOSSES.map((k) => [k, losses[k]])),
        visuals: () => ({ real_A: input.real_A, fake_B, real_B: input.real_B }),
      };
    },
  };
}

/** print_networks: "[Network G_A] Total number of parameters : 11.378 M". */
export function networkSummary(nets: Record<string, Module>): string[] {
  const lines = ['---------- Networks initialized -------------'];
  for (const [name, net] of Object.entries(nets)) {
    let n = 0;
    for (const [, p] of net.namedParameters()) n += p.data.length;
    lines.push(`[Network ${name}] Total number of parameters : ${(n / 1e6).toFixed(3)} M`);
  }
  lines.push('-----------------------------------------------');
  return lines;
}
