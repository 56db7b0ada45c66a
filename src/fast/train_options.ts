/**
 * `fast train` options: pytorch/examples fast_neural_style's names and defaults (neural_style.py
 * train), plus this project's (--vgg, --width, --iterations, --hold-back, --threads). One
 * interface and one defaults object, so the move to the TypeBox option schemas (src/options)
 * is mechanical.
 */
export type VggChoice = 'vgg16' | 'vgg19' | 'random' | string;
export type WidthChoice = 'full' | 'half';

export interface FastTrainOptions {
  /** A folder tree of images (COCO 2014 train in the references). */
  dataset: string;
  styleImage: string;
  /** Where the final model (.pth) goes. */
  saveModelDir: string;
  /** Checkpoints, loss log and plot, sample grids; default <save-model-dir>/checkpoints. */
  checkpointModelDir?: string;
  epochs: number;
  batchSize: number;
  imageSize: number;
  /** Square side the style image is resized to; default: its own size. */
  styleSize?: number;
  contentWeight: number;
  styleWeight: number;
  lr: number;
  /** Batches between loss lines. */
  logInterval: number;
  /** Batches between checkpoints. */
  checkpointInterval: number;
  seed: number;
  vgg: VggChoice;
  width: WidthChoice;
  /** Stop after this many steps in all (resumed ones included); default: all epochs. */
  iterations?: number;
  /** Images at the end of the sorted dataset kept out of training for the sample grids and held-back costs. */
  holdBack: number;
  /** Decode worker threads. */
  decodeThreads: number;
  /** ONNX Runtime threads (default: all cores). */
  threads?: number;
}

export const FAST_TRAIN_DEFAULTS = {
  epochs: 2,
  batchSize: 4,
  imageSize: 256,
  contentWeight: 1e5,
  styleWeight: 1e10,
  lr: 1e-3,
  logInterval: 500,
  checkpointInterval: 2000,
  seed: 42,
  vgg: 'vgg16',
  width: 'full',
  holdBack: 4,
  decodeThreads: 1,
} as const satisfies Partial<FastTrainOptions>;

export type FastTrainInput = Pick<FastTrainOptions, 'dataset' | 'styleImage' | 'saveModelDir'> & Partial<FastTrainOptions>;

export class FastTrainError extends Error {
  override name = 'FastTrainError';
}

export function resolveFastTrainOptions(o: FastTrainInput): FastTrainOptions {
  const r: FastTrainOptions = { ...FAST_TRAIN_DEFAULTS, ...o };
  const positiveInt: (keyof FastTrainOptions)[] = ['epochs', 'batchSize', 'imageSize', 'logInterval', 'checkpointInterval'];
  for (const k of positiveInt) {
    const v = r[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new FastTrainError(`--${kebab(k)} must be a positive whole number, got ${String(v)}`);
  }
  if (r.imageSize < 16) throw new FastTrainError(`--image-size ${r.imageSize} is too small: TransformerNet and VGG need at least 16 pixels`);
  if (r.styleSize !== undefined && (!Number.isInteger(r.styleSize) || r.styleSize < 16)) throw new FastTrainError(`--style-size must be a whole number of at least 16, got ${r.styleSize}`);
  if (r.iterations !== undefined && (!Number.isInteger(r.iterations) || r.iterations < 1)) throw new FastTrainError(`--iterations must be a positive whole number, got ${r.iterations}`);
  if (!Number.isInteger(r.holdBack) || r.holdBack < 0) throw new FastTrainError(`--hold-back must be 0 or more, got ${r.holdBack}`);
  for (const k of ['contentWeight', 'styleWeight', 'lr'] as const)
    if (!(Number.isFinite(r[k]) && r[k] > 0)) throw new FastTrainError(`--${kebab(k)} must be a positive number, got ${r[k]}`);
  if (r.width !== 'full' && r.width !== 'half') throw new FastTrainError(`--width must be full or half, got ${String(r.width)}`);
  return r;
}

export function kebab(k: string): string {
  return k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
