/**
 * RawImage, the in-memory picture every module shares: planar CHW float32 RGB in [0,1], the layout
 * the networks take (a single image is an NCHW batch of one with no copy).
 */
export interface RawImage {
  width: number;
  height: number;
  /** length 3 * width * height, planes R, G, B, row-major, values nominally in [0,1] */
  data: Float32Array;
}

export type Channels = 1 | 2 | 3 | 4;

export function assertRaw(img: RawImage, what = 'image'): void {
  const { width, height, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`${what}: width and height must be positive integers, got ${width}x${height}`);
  }
  if (!(data instanceof Float32Array) || data.length !== 3 * width * height) {
    throw new RangeError(
      `${what}: data must be a Float32Array of 3*${width}*${height}=${3 * width * height} values, got ${data?.length}`,
    );
  }
}

export function blankRaw(width: number, height: number, value = 0): RawImage {
  const data = new Float32Array(3 * width * height);
  if (value !== 0) data.fill(value);
  return { width, height, data };
}

export function cloneRaw(img: RawImage): RawImage {
  return { width: img.width, height: img.height, data: img.data.slice() };
}

/** float32 k/255 for k in 0..255, bit-identical to numpy's `uint8.astype(float32) / 255.0` */
const U8_TO_F32 = Float32Array.from({ length: 256 }, (_, k) => k / 255);

/**
 * Interleaved HWC uint8 with 1 (grey), 2 (grey+alpha), 3 or 4 (RGBA) channels to HWC RGB, alpha
 * composited over white in 8 bits so every value stays an exact byte.
 */
export function flattenU8(buf: Uint8Array, width: number, height: number, channels: Channels): Uint8Array {
  const n = width * height;
  if (buf.length < n * channels) {
    throw new RangeError(
      `buffer has ${buf.length} bytes, need ${n * channels} for ${width}x${height}x${channels}`,
    );
  }
  if (channels === 3) return buf.length === 3 * n ? buf : buf.subarray(0, 3 * n);
  const out = new Uint8Array(3 * n);
  const hasAlpha = channels === 2 || channels === 4;
  const colour = channels >= 3;
  for (let i = 0; i < n; i++) {
    const p = i * channels;
    const a = hasAlpha ? buf[p + channels - 1] : 255;
    for (let c = 0; c < 3; c++) {
      const v = buf[p + (colour ? c : 0)];
      out[3 * i + c] = a === 255 ? v : Math.round((v * a + 255 * (255 - a)) / 255);
    }
  }
  return out;
}

/** Interleaved HWC uint8 (sharp's raw output; channels as flattenU8) to a RawImage. */
export function toRaw(buf: Uint8Array, width: number, height: number, channels: Channels = 3): RawImage {
  const rgb = flattenU8(buf, width, height, channels);
  const n = width * height;
  const out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    out[i] = U8_TO_F32[rgb[3 * i]];
    out[n + i] = U8_TO_F32[rgb[3 * i + 1]];
    out[2 * n + i] = U8_TO_F32[rgb[3 * i + 2]];
  }
  return { width, height, data: out };
}

/** Rounds half to even, as numpy's and torch's round(). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** One float in [0,1] to a byte exactly as `(x.clamp(0,1) * 255).round()` in float32. */
export function toByte(x: number): number {
  if (!(x > 0)) return 0; // NaN too: a black pixel beats a crash when saving a diverged image
  if (x >= 1) return 255;
  return roundHalfEven(Math.fround(x * 255));
}

/** RawImage to interleaved HWC uint8 RGB (clamped, rounded). */
export function toHWC8(img: RawImage): Buffer {
  assertRaw(img);
  const n = img.width * img.height;
  const d = img.data;
  const out = Buffer.allocUnsafe(3 * n);
  for (let i = 0; i < n; i++) {
    out[3 * i] = toByte(d[i]);
    out[3 * i + 1] = toByte(d[n + i]);
    out[3 * i + 2] = toByte(d[2 * n + i]);
  }
  return out;
}

/** Interleaved HWC float (any channel count) to planar CHW, and back. */
export function hwcToChw(
  src: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
): Float32Array {
  const n = width * height;
  const out = new Float32Array(channels * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < channels; c++) out[c * n + i] = src[i * channels + c];
  return out;
}

export function chwToHwc(src: Float32Array, width: number, height: number, channels: number): Float32Array {
  const n = width * height;
  const out = new Float32Array(channels * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < channels; c++) out[i * channels + c] = src[c * n + i];
  return out;
}

/** The box at (x, y), written into `out` when given (a buffer reused across many crops). */
export function cropRaw(img: RawImage, x: number, y: number, width: number, height: number, out?: Float32Array): RawImage {
  assertRaw(img);
  if (![x, y, width, height].every(Number.isInteger) || x < 0 || y < 0 || width < 1 || height < 1) {
    throw new RangeError(`cropRaw: bad box ${x},${y} ${width}x${height}`);
  }
  if (x + width > img.width || y + height > img.height) {
    throw new RangeError(`cropRaw: box ${x},${y} ${width}x${height} exceeds ${img.width}x${img.height}`);
  }
  if (out && out.length !== 3 * width * height) {
    throw new RangeError(`cropRaw: output of ${out.length} values for a ${width}x${height} box`);
  }
  const data = out ?? new Float32Array(3 * width * height);
  const n = img.width * img.height;
  for (let c = 0; c < 3; c++) {
    for (let r = 0; r < height; r++) {
      const s = c * n + (y + r) * img.width + x;
      data.set(img.data.subarray(s, s + width), c * width * height + r * width);
    }
  }
  return { width, height, data };
}

/** Centre crop to the given size (for square-crop pipelines such as CycleGAN's). */
export function centerCropRaw(img: RawImage, width: number, height: number): RawImage {
  return cropRaw(
    img,
    Math.floor((img.width - width) / 2),
    Math.floor((img.height - height) / 2),
    width,
    height,
  );
}

export type PadMode = 'reflect' | 'edge' | 'constant';
export interface Padding {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/**
 * Source index for a padded coordinate. Reflect is PyTorch's (edge not repeated), extended
 * periodically so pads larger than the image still work (PyTorch refuses those).
 */
function padIndex(i: number, n: number, mode: PadMode): number {
  if (i >= 0 && i < n) return i;
  if (mode === 'edge' || n === 1) return i < 0 ? 0 : n - 1;
  const period = 2 * (n - 1);
  const m = ((i % period) + period) % period;
  return m < n ? m : period - m;
}

export function padRaw(img: RawImage, pad: Padding, mode: PadMode = 'reflect', value = 0): RawImage {
  assertRaw(img);
  const { top, bottom, left, right } = pad;
  if (![top, bottom, left, right].every((p) => Number.isInteger(p) && p >= 0)) {
    throw new RangeError(`padRaw: pads must be non-negative integers, got ${JSON.stringify(pad)}`);
  }
  const W = img.width + left + right;
  const H = img.height + top + bottom;
  const out = new Float32Array(3 * W * H);
  const n = img.width * img.height;
  const xs = Int32Array.from({ length: W }, (_, X) => padIndex(X - left, img.width, mode));
  for (let c = 0; c < 3; c++) {
    for (let Y = 0; Y < H; Y++) {
      const y = Y - top;
      const o = c * W * H + Y * W;
      if (mode === 'constant' && (y < 0 || y >= img.height)) {
        out.fill(value, o, o + W);
        continue;
      }
      const row = c * n + padIndex(y, img.height, mode) * img.width;
      for (let X = 0; X < W; X++) {
        const x = X - left;
        out[o + X] = mode === 'constant' && (x < 0 || x >= img.width) ? value : img.data[row + xs[X]];
      }
    }
  }
  return { width: W, height: H, data: out };
}

/**
 * Pads so both sides are multiples of `multiple` (generators with k stride-2 stages need 2^k),
 * splitting the pad evenly; `box` is where the original sits, for cropRaw afterwards.
 */
export function padToMultiple(
  img: RawImage,
  multiple: number,
  mode: PadMode = 'reflect',
): { image: RawImage; box: { x: number; y: number; width: number; height: number } } {
  const extra = (n: number): number => (multiple - (n % multiple)) % multiple;
  const ew = extra(img.width);
  const eh = extra(img.height);
  const left = Math.floor(ew / 2);
  const top = Math.floor(eh / 2);
  const image =
    ew === 0 && eh === 0 ? img : padRaw(img, { top, bottom: eh - top, left, right: ew - left }, mode);
  return { image, box: { x: left, y: top, width: img.width, height: img.height } };
}

export function hflip(img: RawImage): RawImage {
  assertRaw(img);
  const { width: w, height: h } = img;
  const out = new Float32Array(img.data.length);
  for (let r = 0; r < 3 * h; r++) {
    const o = r * w;
    for (let x = 0; x < w; x++) out[o + x] = img.data[o + w - 1 - x];
  }
  return { width: w, height: h, data: out };
}

export type NCHW = [number, number, number, number];

/** Batches same-size images into one NCHW buffer. */
export function stackNCHW(images: RawImage[]): { data: Float32Array; shape: NCHW } {
  if (images.length === 0) throw new RangeError('stackNCHW: no images');
  const { width, height } = images[0];
  const per = 3 * width * height;
  const data = new Float32Array(images.length * per);
  images.forEach((img, i) => {
    assertRaw(img, `image ${i}`);
    if (img.width !== width || img.height !== height) {
      throw new RangeError(
        `stackNCHW: image ${i} is ${img.width}x${img.height}, expected ${width}x${height}`,
      );
    }
    data.set(img.data, i * per);
  });
  return { data, shape: [images.length, 3, height, width] };
}

/** Splits an NCHW batch (C must be 3) into RawImages; views, not copies. */
export function unstackNCHW(data: Float32Array, shape: readonly number[]): RawImage[] {
  const [n, c, h, w] = shape;
  if (shape.length !== 4 || c !== 3 || data.length !== n * c * h * w) {
    throw new RangeError(
      `unstackNCHW: need [N,3,H,W] matching ${data.length} values, got [${shape.join(',')}]`,
    );
  }
  const per = 3 * h * w;
  return Array.from({ length: n }, (_, i) => ({
    width: w,
    height: h,
    data: data.subarray(i * per, (i + 1) * per),
  }));
}

/** [0,1] to [-1,1] and back (GAN generators' tanh range). */
export function toSigned(img: RawImage): RawImage {
  return { width: img.width, height: img.height, data: img.data.map((v) => v * 2 - 1) };
}

export function fromSigned(img: RawImage): RawImage {
  return { width: img.width, height: img.height, data: img.data.map((v) => (v + 1) / 2) };
}

/** Per-channel (x - mean) / std, e.g. ImageNet statistics for VGG. */
export function normalizeRaw(img: RawImage, mean: readonly number[], std: readonly number[]): RawImage {
  const n = img.width * img.height;
  const out = new Float32Array(img.data.length);
  for (let c = 0; c < 3; c++)
    for (let i = 0; i < n; i++) out[c * n + i] = (img.data[c * n + i] - mean[c]) / std[c];
  return { width: img.width, height: img.height, data: out };
}

export function denormalizeRaw(img: RawImage, mean: readonly number[], std: readonly number[]): RawImage {
  const n = img.width * img.height;
  const out = new Float32Array(img.data.length);
  for (let c = 0; c < 3; c++)
    for (let i = 0; i < n; i++) out[c * n + i] = img.data[c * n + i] * std[c] + mean[c];
  return { width: img.width, height: img.height, data: out };
}

export function clampRaw(img: RawImage): RawImage {
  return { width: img.width, height: img.height, data: img.data.map((v) => (v > 1 ? 1 : v > 0 ? v : 0)) };
}
