/**
 * loadImage: any picture a person hands us (file, bytes or RawImage) to a RawImage, with the
 * reference's resize semantics. sharp decodes; the final resize is Pillow's (resample.ts).
 */
import { readFile, stat } from 'node:fs/promises';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { ImageError, explainSharpError } from './errors.js';
import { assertRaw, flattenU8, toRaw, type Channels, type RawImage } from './raw.js';
import { resamplePlanes, resampleU8, resizeRaw, sizeForLongestSide, type Kernel } from './resample.js';

export interface LoadOptions {
  /** Resize so the longest side is exactly this (up or down), as the reference's `--size`. */
  size?: number;
  /** Only downscale, and only when the longest side is larger (with a notice). Default 4096. */
  maxSide?: number;
  /** Refuse images that declare more pixels than this. Default 0x3FFF^2, sharp's own limit. */
  maxPixels?: number;
  /** Refuse files larger than this many bytes. Default 1 GiB. */
  maxBytes?: number;
  /** Resampling filter for the resize. Default lanczos3 (Pillow's LANCZOS). */
  kernel?: Kernel;
  /** Name used in messages for Buffer input. */
  name?: string;
  /** Told about anything done to the picture that the user did not ask for. */
  notice?: (msg: string) => void;
}

export const DEFAULT_MAX_SIDE = 4096;
export const DEFAULT_MAX_PIXELS = 0x3fff * 0x3fff;
const DEFAULT_MAX_BYTES = 1 << 30;
/**
 * Above this many source pixels libvips shrinks to about twice the target while decoding, so a
 * 100-megapixel photo never sits in memory at full size; Pillow then does the last step.
 */
const PRESHRINK_PIXELS = 1 << 24;

function megapixels(n: number): string {
  return n >= 1e6 ? `${Math.round(n / 1e6)} megapixels` : `${n} pixels`;
}

function isRawImage(v: unknown): v is RawImage {
  return typeof v === 'object' && v !== null && !Buffer.isBuffer(v) && 'data' in v && 'width' in v;
}

function checkSide(v: number | undefined, what: string): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= 1) && v !== Infinity) {
    throw new RangeError(`loadImage: ${what} must be a positive integer, got ${v}`);
  }
}

async function readInput(src: string | Buffer, name: string, maxBytes: number): Promise<Buffer> {
  if (Buffer.isBuffer(src)) {
    if (src.length === 0) throw new ImageError(`cannot read ${name}: the data is empty`, name);
    return src;
  }
  let size: number;
  try {
    const st = await stat(src);
    if (st.isDirectory())
      throw new ImageError(`cannot read ${name}: it is a folder, not an image file`, name);
    size = st.size;
  } catch (e) {
    if (e instanceof ImageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(code ?? e);
    throw new ImageError(`cannot read ${name}: ${why}`, name, { cause: e });
  }
  if (size === 0) throw new ImageError(`cannot read ${name}: the file is empty (0 bytes)`, name);
  if (size > maxBytes) {
    throw new ImageError(
      `cannot read ${name}: the file is ${(size / 2 ** 20).toFixed(0)} MiB, over the ${(maxBytes / 2 ** 20).toFixed(0)} MiB limit`,
      name,
    );
  }
  try {
    // Bytes rather than a path: libvips caches decoded files by name, so a file rewritten in
    // place (the studio saves over its outputs) could otherwise come back stale.
    return await readFile(src);
  } catch (e) {
    throw new ImageError(`cannot read ${name}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, name, {
      cause: e,
    });
  }
}

function targetSize(
  w: number,
  h: number,
  name: string,
  opts: LoadOptions,
): { width: number; height: number } {
  if (opts.size !== undefined) return sizeForLongestSide(w, h, opts.size);
  const maxSide = opts.maxSide ?? DEFAULT_MAX_SIDE;
  if (Math.max(w, h) <= maxSide) return { width: w, height: h };
  const t = sizeForLongestSide(w, h, maxSide);
  opts.notice?.(
    `${name}: ${w}x${h} is larger than ${maxSide} px on its longest side; downscaled to ${t.width}x${t.height}`,
  );
  return t;
}

function fromRawImage(img: RawImage, name: string, opts: LoadOptions): RawImage {
  try {
    assertRaw(img, name);
  } catch (e) {
    throw new ImageError(`cannot use ${name}: ${(e as Error).message}`, name, { cause: e });
  }
  const t = targetSize(img.width, img.height, name, opts);
  if (t.width === img.width && t.height === img.height) return img;
  const out = resizeRaw(img, t.width, t.height, opts.kernel ?? 'lanczos3');
  for (let i = 0; i < out.data.length; i++) out.data[i] = Math.min(1, Math.max(0, out.data[i]));
  return out;
}

/** Composites 16-bit HWC with alpha over white into float CHW planes in [0,1]. */
function u16ToPlanes(
  px: Uint16Array,
  w: number,
  h: number,
  channels: number,
): { planes: Float32Array; transparent: boolean } {
  const n = w * h;
  const out = new Float32Array(3 * n);
  const hasAlpha = channels === 2 || channels === 4;
  const colour = channels >= 3;
  let transparent = false;
  for (let i = 0; i < n; i++) {
    const p = i * channels;
    const a = hasAlpha ? px[p + channels - 1] / 65535 : 1;
    if (a < 1) transparent = true;
    for (let c = 0; c < 3; c++) {
      const v = px[p + (colour ? c : 0)] / 65535;
      out[c * n + i] = a < 1 ? v * a + (1 - a) : v;
    }
  }
  return { planes: out, transparent };
}

function anyTransparent(px: Uint8Array, channels: number): boolean {
  if (channels !== 2 && channels !== 4) return false;
  for (let i = channels - 1; i < px.length; i += channels) if (px[i] !== 255) return true;
  return false;
}

/**
 * Loads a picture as RGB CHW float32 in [0,1]: EXIF orientation applied, transparency composited
 * over white, grey/palette/CMYK converted to sRGB, 16-bit scaled (not clipped). Bad input throws
 * an ImageError naming the file.
 */
export async function loadImage(src: string | Buffer | RawImage, opts: LoadOptions = {}): Promise<RawImage> {
  checkSide(opts.size, 'size');
  checkSide(opts.maxSide, 'maxSide');
  const name = opts.name ?? (typeof src === 'string' ? src : isRawImage(src) ? '<image>' : '<buffer>');
  if (isRawImage(src)) return fromRawImage(src, name, opts);
  const buf = await readInput(src, name, opts.maxBytes ?? DEFAULT_MAX_BYTES);
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;

  let meta: Metadata;
  try {
    meta = await sharp(buf, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw new ImageError(`cannot read ${name}: ${explainSharpError(e)}`, name, { cause: e });
  }
  const srcW = meta.autoOrient?.width ?? meta.width;
  const srcH = meta.autoOrient?.height ?? meta.height;
  if (!srcW || !srcH) throw new ImageError(`cannot read ${name}: the image has no size`, name);
  if (srcW * srcH > maxPixels) {
    throw new ImageError(
      `cannot read ${name}: it declares ${srcW}x${srcH} pixels (${megapixels(srcW * srcH)}), ` +
        `over the limit of ${megapixels(maxPixels)}; downscale it first`,
      name,
    );
  }
  if ((meta.pages ?? 1) > 1) opts.notice?.(`${name}: has ${meta.pages} frames/pages; using the first`);
  const t = targetSize(srcW, srcH, name, opts);
  const deep = meta.depth !== undefined && meta.depth !== 'uchar' && meta.depth !== 'char';

  let pipeline = sharp(buf, {
    failOn: 'error',
    limitInputPixels: Number.isFinite(maxPixels) ? Math.floor(maxPixels) : false,
    autoOrient: true,
    sequentialRead: true,
  });
  if (srcW * srcH > PRESHRINK_PIXELS && t.width * t.height * 4 < srcW * srcH) {
    pipeline = pipeline.resize({
      width: 2 * t.width,
      height: 2 * t.height,
      fit: 'inside',
      kernel: 'lanczos3',
      withoutEnlargement: true,
    });
  }
  pipeline = deep
    ? pipeline.toColourspace('rgb16').raw({ depth: 'ushort' })
    : pipeline.toColourspace('srgb').raw();
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await pipeline.toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new ImageError(`cannot read ${name}: ${explainSharpError(e)}`, name, { cause: e });
  }
  const { data, info } = decoded;
  const { width: w, height: h } = info;
  const channels = info.channels as Channels;
  const kernel = opts.kernel ?? 'lanczos3';
  const alphaNotice = (): void => opts.notice?.(`${name}: has transparent pixels; composited over white`);

  if (deep) {
    const aligned = data.byteOffset % 2 === 0 ? data : Buffer.from(data);
    const px = new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.length / 2);
    const { planes, transparent } = u16ToPlanes(px, w, h, channels);
    if (transparent) alphaNotice();
    if (t.width === w && t.height === h) return { width: w, height: h, data: planes };
    const out = resamplePlanes(planes, w, h, 3, t.width, t.height, kernel);
    for (let i = 0; i < out.length; i++) out[i] = Math.min(1, Math.max(0, out[i]));
    return { width: t.width, height: t.height, data: out };
  }

  if (anyTransparent(data, channels)) alphaNotice();
  // Flatten to 8-bit RGB first so the resize sees what Pillow would after convert('RGB').
  const rgb = flattenU8(data, w, h, channels);
  if (t.width === w && t.height === h) return toRaw(rgb, w, h, 3);
  if (kernel === 'nearest') return resizeRaw(toRaw(rgb, w, h, 3), t.width, t.height, 'nearest');
  return toRaw(resampleU8(rgb, w, h, 3, t.width, t.height, kernel), t.width, t.height, 3);
}

/** Reads only the header: size after EXIF orientation, format, channels, bit depth. */
export async function probeImage(
  src: string | Buffer,
  name = typeof src === 'string' ? src : '<buffer>',
): Promise<{
  width: number;
  height: number;
  format: string;
  channels: number;
  depth: string;
  hasAlpha: boolean;
}> {
  const buf = await readInput(src, name, DEFAULT_MAX_BYTES);
  try {
    const m = await sharp(buf, { limitInputPixels: false }).metadata();
    return {
      width: m.autoOrient?.width ?? m.width ?? 0,
      height: m.autoOrient?.height ?? m.height ?? 0,
      format: m.format ?? 'unknown',
      channels: m.channels ?? 0,
      depth: m.depth ?? 'unknown',
      hasAlpha: m.hasAlpha ?? false,
    };
  } catch (e) {
    throw new ImageError(`cannot read ${name}: ${explainSharpError(e)}`, name, { cause: e });
  }
}
