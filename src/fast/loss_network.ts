/**
 * The loss network of `fast train --vgg`: torchvision's VGG-16 as the references use it
 * (`vgg16`, from the hub), VGG-19 (`vgg19`), a .pth file of either, or seeded random weights
 * (`random`, offline). Only `features.*` is read.
 */
import fs from 'node:fs';
import { VGGFeatures, type VggArch } from '../models/vgg.js';
import { defaultHub, readModuleStateDict, type DownloadProgress } from '../weights/index.js';
import { FastTrainError, type VggChoice } from './train_options.js';

export interface LossNetwork {
  vgg: VGGFeatures;
  /** 'vgg16', 'vgg19', 'random' or the file, for logs and the resume check. */
  id: string;
  random: boolean;
}

async function fromFile(file: string, label: string): Promise<LossNetwork> {
  let sd;
  try {
    sd = await readModuleStateDict(file, { filter: (k) => k.startsWith('features.') });
  } catch (e) {
    throw new FastTrainError(`--vgg ${label}: cannot read ${file}: ${(e as Error).message}`);
  }
  // conv4_1 sits at index 17 in VGG-16 and index 19 in VGG-19.
  const arch: VggArch = sd.has('features.17.weight') ? 'vgg16' : 'vgg19';
  const vgg = new VGGFeatures(arch);
  try {
    vgg.loadStateDict(sd);
  } catch (e) {
    throw new FastTrainError(`--vgg ${label}: ${file} holds neither torchvision's VGG-16 nor VGG-19 features: ${(e as Error).message}`);
  }
  return { vgg, id: label, random: false };
}

export async function loadLossNetwork(
  choice: VggChoice,
  seed: number,
  hooks: { onDownload?: (p: DownloadProgress) => void; signal?: AbortSignal } = {},
): Promise<LossNetwork> {
  if (choice === 'random') return { vgg: new VGGFeatures('vgg16').initRandom(seed), id: 'random', random: true };
  if (choice === 'vgg16' || choice === 'vgg19') {
    let file: string;
    try {
      file = await defaultHub().ensure(choice, { onProgress: hooks.onDownload, signal: hooks.signal });
    } catch (e) {
      throw new FastTrainError(
        `--vgg ${choice}: the pretrained weights are not available: ${(e as Error).message} ` +
          '(or train offline with --vgg random: seeded random weights, per-layer normalised)',
      );
    }
    return fromFile(file, choice);
  }
  if (!fs.existsSync(choice)) throw new FastTrainError(`--vgg ${choice}: no such file (use vgg16, vgg19, random or a .pth path)`);
  return fromFile(choice, choice);
}
