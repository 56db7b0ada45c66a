/**
 * Stylising pictures with a fast style model: loading the content as pytorch/examples does
 * (`--content-scale`) or to a longest side (`--size`), and running the network on sizes it
 * keeps: reflect-padded to a multiple of 4 and cropped back, so the output has the input's size
 * (pytorch/examples returns e.g. 28 rows for 25).
 */
import { cropRaw, loadImage, padToMultiple, resampleU8, toHWC8, toRaw, type RawImage } from '../images/index.js';
import { FastError } from './errors.js';
import type { FastModel } from './model.js';

export interface ContentOptions {
  /** pytorch/examples' --content-scale: divide width and height by this (Pillow LANCZOS). */
  contentScale?: number;
  /** Resize so the longest side is this many pixels (LANCZOS), up or down. */
  size?: number;
  /** Told about resizing the user did not ask for (pictures over 4096 px are scaled down). */
  notice?: (msg: string) => void;
}

export function checkContentOptions(o: ContentOptions): void {
  if (o.contentScale !== undefined && o.size !== undefined) throw new FastError('--content-scale and --size both set the size: give one');
  if (o.contentScale !== undefined && !(o.contentScale > 0)) throw new FastError(`--content-scale must be above 0, got ${o.contentScale}`);
  if (o.size !== undefined && !(Number.isInteger(o.size) && o.size >= 4)) throw new FastError(`--size must be a whole number of pixels >= 4, got ${o.size}`);
}

/** The size pytorch/examples' utils.load_image(scale=s) gives: int(w / s) x int(h / s). */
export function scaledSize(width: number, height: number, scale: number): { width: number; height: number } {
  const w = Math.trunc(width / scale);
  const h = Math.trunc(height / scale);
  if (w < 1 || h < 1) throw new FastError(`--content-scale ${scale} leaves nothing of a ${width}x${height} picture`);
  return { width: w, height: h };
}

/** A content picture as RGB [0,1], sized as asked. */
export async function loadContent(file: string, o: ContentOptions = {}): Promise<RawImage> {
  checkContentOptions(o);
  const img = await loadImage(file, { size: o.size, notice: o.notice });
  if (o.contentScale === undefined || o.contentScale === 1) return img;
  // Pillow resizes the 8-bit picture, so this does too (the loaded values are exact bytes).
  const t = scaledSize(img.width, img.height, o.contentScale);
  return toRaw(resampleU8(toHWC8(img), img.width, img.height, 3, t.width, t.height, 'lanczos3'), t.width, t.height, 3);
}

/** One picture through the network; RGB [0,1] in and out (the network's 0-255 scaled), same size. */
export async function stylizeImage(model: FastModel, img: RawImage): Promise<RawImage> {
  const { image: padded, box } = padToMultiple(img, model.multiple, 'reflect');
  const x = padded.data.map((v) => v * 255);
  const y = await model.run(x, [1, 3, padded.height, padded.width]);
  for (let i = 0; i < y.length; i++) y[i] /= 255;
  return cropRaw({ width: padded.width, height: padded.height, data: y }, box.x, box.y, box.width, box.height);
}
