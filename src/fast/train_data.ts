/**
 * fast_neural_style's data: every picture under --dataset (sorted by path; the reference's
 * ImageFolder wants one more folder level, any tree works here), in order and unshuffled as its
 * DataLoader gives them, the last batch possibly short; each picture resized and center-cropped
 * to --image-size in 0-255, decoded in worker threads (src/gan/data's DecodePool) one batch
 * ahead of the training step.
 */
import { DataError, DecodePool, decodeU8, makeDataset, type TransformConfig } from '../gan/data/index.js';
import { resampleU8 } from '../images/resample.js';
import type { ImageBatch } from '../gan/step_common.js';
import { FastTrainError } from './train_options.js';

export interface FastDataset {
  /** Training pictures, in order. */
  train: string[];
  /** Held-back pictures (the last ones of the sorted list). */
  heldBack: string[];
}

export async function listDataset(dir: string, holdBack: number): Promise<FastDataset> {
  let files: string[];
  try {
    files = await makeDataset(dir, Infinity, '--dataset');
  } catch (e) {
    if (e instanceof DataError) throw new FastTrainError(e.message);
    throw e;
  }
  // Hold back only what leaves at least as many pictures to train on.
  const k = Math.min(holdBack, Math.floor(files.length / 2));
  return { train: files.slice(0, files.length - k), heldBack: files.slice(files.length - k) };
}

/** Unused by the 'resize_crop_255' job, which needs only its size. */
const NO_CFG: TransformConfig = { preprocess: 'none', load_size: 0, crop_size: 0, no_flip: true };

export class BatchReader {
  private readonly pool: DecodePool;
  constructor(
    readonly size: number,
    threads: number,
    private readonly warn: (m: string) => void,
  ) {
    this.pool = new DecodePool(threads);
  }

  /** The pictures as one [n, 3, size, size] batch; unreadable files are skipped with a warning. */
  async read(files: readonly string[]): Promise<ImageBatch | null> {
    const outs = await Promise.all(files.map((path) => this.pool.run({ kind: 'resize_crop_255', path, size: this.size }, NO_CFG)));
    const items: Float32Array[] = [];
    for (const o of outs) {
      if (o.ok) items.push(o.result.A.data);
      else this.warn(`skipping ${o.file}: ${o.message}`);
    }
    if (items.length === 0) return null;
    const per = 3 * this.size * this.size;
    const data = new Float32Array(items.length * per);
    items.forEach((d, i) => data.set(d, i * per));
    return { data, shape: [items.length, 3, this.size, this.size] };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/**
 * utils.load_image(style_image, size=style_size) then ToTensor ×255: the picture at its own size,
 * or resized to size × size (Pillow's ANTIALIAS, i.e. Lanczos), as a [1, 3, H, W] batch.
 */
export async function loadStyleImage(file: string, size?: number): Promise<ImageBatch> {
  let img;
  try {
    img = await decodeU8(file, []);
  } catch (e) {
    throw new FastTrainError(`--style-image: ${(e as Error).message}`);
  }
  let { width: w, height: h, data } = img;
  if (size !== undefined && (w !== size || h !== size)) {
    data = resampleU8(data, w, h, 3, size, size, 'lanczos3');
    w = h = size;
  }
  if (w < 16 || h < 16) throw new FastTrainError(`--style-image ${file} is ${w}x${h}: too small for VGG (at least 16x16; see --style-size)`);
  const n = w * h;
  const out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) out[k * n + i] = Math.fround(Math.fround(data[i * 3 + k] / 255) * 255);
  return { data: out, shape: [1, 3, h, w] };
}
