/**
 * One dataset item from file to tensors: decode, split (aligned), transform. Runs in a decode
 * worker (or inline with --num_threads 0); everything random comes in the job.
 */
import { loadImage } from '../../images/load.js';
import { toHWC8 } from '../../images/raw.js';
import {
  applyTransform,
  cropU8,
  getParams,
  resizeCenterCrop255,
  TransformError,
  type ItemTensor,
  type TransformConfig,
  type U8Image,
  type Uniforms,
} from './transform.js';

export interface SideJob {
  path: string;
  /** Convert to one channel (input_nc or output_nc is 1). */
  gray: boolean;
  u: Uniforms;
}

/** A/B here are already the network's input/target sides (--direction applied when planning). */
export type ItemJob =
  | { kind: 'unaligned'; A: SideJob; B: SideJob }
  | { kind: 'aligned'; path: string; grayA: boolean; grayB: boolean; u: Uniforms; swap: boolean }
  | { kind: 'single'; A: SideJob }
  /** fast_neural_style's transform: Resize, CenterCrop, ToTensor ×255 (no randomness). */
  | { kind: 'resize_crop_255'; path: string; size: number };

export interface Notice {
  /** Notices of one kind are capped, so a dataset full of odd files does not flood the log. */
  kind: string;
  message: string;
}

export interface ItemResult {
  A: ItemTensor;
  B?: ItemTensor;
  notices: Notice[];
}

export class ItemError extends Error {
  override name = 'ItemError';
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
  }
}

/** Decodes as Image.open(p).convert('RGB') would hand it over: 8-bit RGB. */
export async function decodeU8(file: string, notices: Notice[]): Promise<U8Image> {
  try {
    const raw = await loadImage(file, {
      maxSide: Infinity,
      notice: (m) => notices.push({ kind: 'decode', message: m }),
    });
    return { width: raw.width, height: raw.height, channels: 3, data: toHWC8(raw) };
  } catch (e) {
    throw new ItemError((e as Error).message, file);
  }
}

function transformSide(img: U8Image, cfg: TransformConfig, side: SideJob, notices: Notice[]): ItemTensor {
  try {
    const r = applyTransform(img, cfg, side.gray, null, side.u, side.path);
    for (const m of r.notices) notices.push({ kind: 'resize', message: m });
    return r.tensor;
  } catch (e) {
    if (e instanceof TransformError) throw new ItemError(e.message, side.path);
    throw e;
  }
}

export async function processItem(job: ItemJob, cfg: TransformConfig): Promise<ItemResult> {
  const notices: Notice[] = [];
  if (job.kind === 'resize_crop_255') {
    const img = await decodeU8(job.path, notices);
    try {
      return { A: resizeCenterCrop255(img, job.size), notices };
    } catch (e) {
      if (e instanceof TransformError) throw new ItemError(e.message, job.path);
      throw e;
    }
  }
  if (job.kind === 'single') {
    return { A: transformSide(await decodeU8(job.A.path, notices), cfg, job.A, notices), notices };
  }
  if (job.kind === 'unaligned') {
    const [a, b] = await Promise.all([decodeU8(job.A.path, notices), decodeU8(job.B.path, notices)]);
    return { A: transformSide(a, cfg, job.A, notices), B: transformSide(b, cfg, job.B, notices), notices };
  }
  const ab = await decodeU8(job.path, notices);
  const { width: w, height: h } = ab;
  if (w < 2) throw new ItemError(`${job.path}: ${w}x${h} is too narrow to hold an A|B pair`, job.path);
  if (w !== 2 * h) {
    notices.push({
      kind: 'aspect',
      message:
        `${job.path} is ${w}x${h}: aligned datasets hold A and B side by side, so the width is normally twice the height ` +
        `(${2 * h}x${h}); splitting it at x=${Math.trunc(w / 2)} anyway`,
    });
  }
  const w2 = Math.trunc(w / 2);
  const left = cropU8(ab, 0, 0, w2, h);
  const right = cropU8(ab, w2, 0, w - w2, h);
  const [srcA, srcB] = job.swap ? [right, left] : [left, right];
  // get_params looks at the A half of the file (the left one), whichever side is the input.
  const params = getParams(cfg, left.width, left.height, job.u);
  try {
    const A = applyTransform(srcA, cfg, job.grayA, params, job.u, job.path);
    const B = applyTransform(srcB, cfg, job.grayB, params, job.u, job.path);
    for (const m of [...A.notices, ...B.notices]) notices.push({ kind: 'resize', message: m });
    return { A: A.tensor, B: B.tensor, notices };
  } catch (e) {
    if (e instanceof TransformError) throw new ItemError(e.message, job.path);
    throw e;
  }
}
