/**
 * The reference's image pipeline (data/base_dataset.py: get_params, get_transform,
 * __scale_width, __make_power_2, __crop, __flip) on 8-bit pictures, so every step rounds as
 * Pillow does: resizes are Pillow's 8-bit BICUBIC (resampleU8), grayscale is convert('L'), and
 * ToTensor + Normalize(0.5, 0.5) happens last, in float32. Random numbers arrive as uniforms in
 * [0, 1) drawn on the main thread, so results do not depend on which worker ran the item.
 */
import { resampleU8 } from '../../images/resample.js';

/** Interleaved HWC bytes, 1 (L) or 3 (RGB) channels. */
/** --preprocess of the official get_transform. */
export const PREPROCESS = ['resize_and_crop', 'crop', 'scale_width', 'scale_width_and_crop', 'none'] as const;
export type Preprocess = (typeof PREPROCESS)[number];

export interface U8Image {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

export interface TransformConfig {
  preprocess: Preprocess;
  load_size: number;
  crop_size: number;
  no_flip: boolean;
}

/** An item's CHW float32 tensor in [-1, 1]. */
export interface ItemTensor {
  data: Float32Array;
  shape: [number, number, number];
}

export class TransformError extends Error {
  override name = 'TransformError';
}

/** Python's round(): half to even. */
export function pyRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Pillow's RGB -> L (Convert.c L24): ITU-R 601-2 luma in 16-bit fixed point, rounded. */
export function toGray(img: U8Image): U8Image {
  if (img.channels === 1) return img;
  const n = img.width * img.height;
  const out = new Uint8Array(n);
  const d = img.data;
  for (let i = 0; i < n; i++)
    out[i] = (d[3 * i] * 19595 + d[3 * i + 1] * 38470 + d[3 * i + 2] * 7471 + 0x8000) >>> 16;
  return { width: img.width, height: img.height, channels: 1, data: out };
}

/** Pillow's im.resize((w, h), BICUBIC) on 8-bit data. */
export function resizeU8(img: U8Image, width: number, height: number): U8Image {
  if (!(width >= 1 && height >= 1))
    throw new TransformError(`cannot resize ${img.width}x${img.height} to ${width}x${height}`);
  const data = resampleU8(img.data, img.width, img.height, img.channels, width, height, 'bicubic');
  return { width, height, channels: img.channels, data };
}

/** PIL's crop: a box that reaches outside the picture is filled with black there. */
export function cropU8(img: U8Image, x: number, y: number, width: number, height: number): U8Image {
  const c = img.channels;
  const out = new Uint8Array(width * height * c);
  const x0 = Math.max(0, x);
  const x1 = Math.min(img.width, x + width);
  if (x1 > x0) {
    for (let r = 0; r < height; r++) {
      const sy = y + r;
      if (sy < 0 || sy >= img.height) continue;
      const src = (sy * img.width + x0) * c;
      out.set(img.data.subarray(src, src + (x1 - x0) * c), (r * width + (x0 - x)) * c);
    }
  }
  return { width, height, channels: img.channels, data: out };
}

export function flipU8(img: U8Image): U8Image {
  const { width: w, height: h, channels: c } = img;
  const out = new Uint8Array(img.data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * c;
      const d = (y * w + (w - 1 - x)) * c;
      for (let k = 0; k < c; k++) out[d + k] = img.data[s + k];
    }
  }
  return { width: w, height: h, channels: c, data: out };
}

/** __scale_width's target size (None when the picture is left as is). */
export function scaleWidthSize(
  w: number,
  h: number,
  target: number,
  crop: number,
): { width: number; height: number } | null {
  if (w === target && h >= crop) return null;
  return { width: target, height: Math.trunc(Math.max((target * h) / w, crop)) };
}

/** __make_power_2's target size: each side rounded (half to even) to a multiple of base. */
export function makePower2Size(w: number, h: number, base = 4): { width: number; height: number } {
  return { width: Math.trunc(pyRound(w / base) * base), height: Math.trunc(pyRound(h / base) * base) };
}

/** Uniforms for one item's random choices: crop x, crop y, flip. */
export type Uniforms = readonly [number, number, number];

/** random.randint(0, n) from a uniform in [0, 1). */
function randint0(u: number, n: number): number {
  return Math.min(n, Math.floor(u * (n + 1)));
}

export interface CropFlipParams {
  x: number;
  y: number;
  flip: boolean;
}

/**
 * get_params: one crop position and flip for both halves of an aligned pair, computed from the
 * size the picture will have after scaling (as the reference estimates it).
 */
export function getParams(cfg: TransformConfig, width: number, height: number, u: Uniforms): CropFlipParams {
  let newW = width;
  let newH = height;
  if (cfg.preprocess === 'resize_and_crop') newW = newH = cfg.load_size;
  else if (cfg.preprocess === 'scale_width_and_crop') {
    newW = cfg.load_size;
    newH = Math.floor((cfg.load_size * height) / width);
  }
  return {
    x: randint0(u[0], Math.max(0, newW - cfg.crop_size)),
    y: randint0(u[1], Math.max(0, newH - cfg.crop_size)),
    flip: u[2] > 0.5,
  };
}

/** float32(k/255) then Normalize(0.5, 0.5), as ToTensor and Normalize compute it. */
const U8_TO_SIGNED = Float32Array.from({ length: 256 }, (_, k) =>
  Math.fround(Math.fround(Math.fround(k / 255) - 0.5) / 0.5),
);

/** HWC bytes to a CHW float32 tensor in [-1, 1]. */
export function toTensor(img: U8Image): ItemTensor {
  const { width: w, height: h, channels: c } = img;
  const n = w * h;
  const out = new Float32Array(c * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) out[k * n + i] = U8_TO_SIGNED[img.data[i * c + k]];
  return { data: out, shape: [c, h, w] };
}

export interface TransformOutcome {
  tensor: ItemTensor;
  notices: string[];
}

/**
 * get_transform applied to one picture: `params` given (aligned pairs) uses __crop/__flip with
 * them; without, RandomCrop and RandomHorizontalFlip draw from `u`.
 */
export function applyTransform(
  src: U8Image,
  cfg: TransformConfig,
  gray: boolean,
  params: CropFlipParams | null,
  u: Uniforms,
  name: string,
): TransformOutcome {
  const notices: string[] = [];
  let img = gray ? toGray(src) : src;
  if (cfg.preprocess.includes('resize')) img = resizeU8(img, cfg.load_size, cfg.load_size);
  else if (cfg.preprocess.includes('scale_width')) {
    const s = scaleWidthSize(img.width, img.height, cfg.load_size, cfg.crop_size);
    if (s) img = resizeU8(img, s.width, s.height);
  }
  if (cfg.preprocess.includes('crop')) {
    const size = cfg.crop_size;
    if (params) {
      if (img.width > size || img.height > size) img = cropU8(img, params.x, params.y, size, size);
    } else {
      if (img.width < size || img.height < size) {
        throw new TransformError(
          `${name}: ${img.width}x${img.height} after --preprocess ${cfg.preprocess} is smaller than --crop_size ${size}; ` +
            'use a smaller --crop_size or a --preprocess that scales first',
        );
      }
      const x = randint0(u[0], img.width - size);
      const y = randint0(u[1], img.height - size);
      if (img.width !== size || img.height !== size) img = cropU8(img, x, y, size, size);
    }
  }
  if (cfg.preprocess === 'none') {
    const t = makePower2Size(img.width, img.height, 4);
    if (t.width < 1 || t.height < 1)
      throw new TransformError(
        `${name}: ${img.width}x${img.height} is too small (sides must round to at least 4 pixels)`,
      );
    if (t.width !== img.width || t.height !== img.height) {
      notices.push(
        `The image size needs to be a multiple of 4. The loaded image size was (${img.width}, ${img.height}), so it was adjusted to ` +
          `(${t.width}, ${t.height}). This adjustment will be done to all images whose sizes are not multiples of 4`,
      );
      img = resizeU8(img, t.width, t.height);
    }
  }
  if (!cfg.no_flip) {
    // RandomHorizontalFlip flips when rand < 0.5; get_params when random() > 0.5.
    const flip = params ? params.flip : u[2] < 0.5;
    if (flip) img = flipU8(img);
  }
  return { tensor: toTensor(img), notices };
}

/** float32(k/255) * 255, as ToTensor then Lambda(x.mul(255)) compute it. */
const U8_TO_255 = Float32Array.from({ length: 256 }, (_, k) => Math.fround(Math.fround(k / 255) * 255));

/**
 * pytorch/examples fast_neural_style's training transform: Resize(size) (the shorter side to
 * `size`, the longer to int(size·long/short), Pillow BILINEAR), CenterCrop(size) (offsets
 * int(round((side - size) / 2))), ToTensor, ×255: a CHW float32 tensor in 0-255.
 */
export function resizeCenterCrop255(src: U8Image, size: number): ItemTensor {
  let img = src;
  const { width: w, height: h } = img;
  const short = Math.min(w, h);
  const long = Math.max(w, h);
  if (short !== size) {
    const newLong = Math.trunc((size * long) / short);
    img = w <= h ? resizeBilinear(img, size, newLong) : resizeBilinear(img, newLong, size);
  }
  if (img.width !== size || img.height !== size) {
    const top = Math.trunc(pyRound((img.height - size) / 2));
    const left = Math.trunc(pyRound((img.width - size) / 2));
    img = cropU8(img, left, top, size, size);
  }
  const n = size * size;
  const c = img.channels;
  const out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < 3; k++) out[k * n + i] = U8_TO_255[img.data[i * c + (c === 1 ? 0 : k)]];
  return { data: out, shape: [3, size, size] };
}

function resizeBilinear(img: U8Image, width: number, height: number): U8Image {
  if (!(width >= 1 && height >= 1))
    throw new TransformError(`cannot resize ${img.width}x${img.height} to ${width}x${height}`);
  const data = resampleU8(img.data, img.width, img.height, img.channels, width, height, 'bilinear');
  return { width, height, channels: img.channels, data };
}
