/**
 * `fast train` options: declared once in src/options/commands/fast_train.ts (pytorch/examples
 * fast_neural_style's names and defaults, plus --vgg, --width, --iterations, --hold-back,
 * --threads); this module resolves them for the library.
 */
import { fastTrainCommand, type FastTrainInput, type FastTrainOptions } from '../options/commands/fast_train.js';

export type { FastTrainInput, FastTrainOptions } from '../options/commands/fast_train.js';
export type VggChoice = 'vgg16' | 'vgg19' | 'random' | string;

export class FastTrainError extends Error {
  override name = 'FastTrainError';
}

/** Defaults filled in and every value checked (OptionError names the option). */
export function resolveFastTrainOptions(o: FastTrainInput): FastTrainOptions {
  return fastTrainCommand.resolve(o);
}
