/**
 * The benchmark configurations of bench/gan.ts and bench/gan-profile.ts, built one way:
 * the official defaults of each model at batch 1, seeded images in [-1, 1].
 */
import { CycleGANStep } from '../src/gan/cyclegan_step.js';
import { Pix2PixStep } from '../src/gan/pix2pix_step.js';
import { defineD, defineG } from '../src/models/define.js';
import { Rng } from '../src/nn/index.js';
import { ganTrainDefaults } from '../src/gan/options.js';

export function image(size: number, seed: number) {
  return { data: new Rng(seed).fillUniform(new Float32Array(3 * size * size), -1, 1), shape: [1, 3, size, size] };
}

/** resnet_9blocks generators, basic discriminators, lsgan; `run` is one optimize_parameters(). */
export function cycleganBench(size: number, threads: number, rng: Rng) {
  const nets = {
    G_A: defineG({ netG: 'resnet_9blocks', no_dropout: true }, { rng }),
    G_B: defineG({ netG: 'resnet_9blocks', no_dropout: true }, { rng }),
    D_A: defineD({ netD: 'basic' }, { rng }),
    D_B: defineD({ netD: 'basic' }, { rng }),
  };
  const step = new CycleGANStep(nets, { ...ganTrainDefaults('cycle_gan'), threads, rng });
  const batch = { real_A: image(size, 1), real_B: image(size, 2) };
  return { nets, step, run: () => step.optimizeParameters(batch) };
}

/** unet_256 with batch norm, conditional basic discriminator, vanilla GAN, λ_L1 100, at 256 px. */
export function pix2pixBench(threads: number, rng: Rng) {
  const G = defineG({ netG: 'unet_256', norm: 'batch' }, { rng });
  const D = defineD({ netD: 'basic', norm: 'batch', input_nc: 6 }, { rng });
  const step = new Pix2PixStep({ G, D }, { ...ganTrainDefaults('pix2pix'), threads, rng });
  const batch = { real_A: image(256, 4), real_B: image(256, 5) };
  return { step, run: () => step.optimizeParameters(batch) };
}
