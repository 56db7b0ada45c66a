/**
 * Separable resampling ported from Pillow's Resample.c, so images resized here match the PyTorch
 * reference's `im.resize(size, Image.LANCZOS)` exactly on 8-bit data (fixed-point path, rounding
 * and clipping between the two passes included) and Pillow's float mode on float data. libvips'
 * lanczos3 is not a substitute: it is off by up to 25/255 downscaling and shifted when upscaling.
 */
import { assertRaw, type RawImage } from './raw.js';

export type Kernel = 'nearest' | 'box' | 'bilinear' | 'bicubic' | 'lanczos3';

interface Filter {
  support: number;
  fn: (x: number) => number;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

const FILTERS: Record<Exclude<Kernel, 'nearest'>, Filter> = {
  box: { support: 0.5, fn: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  bilinear: {
    support: 1,
    fn: (x) => {
      const a = Math.abs(x);
      return a < 1 ? 1 - a : 0;
    },
  },
  bicubic: {
    support: 2,
    fn: (x) => {
      const a = -0.5;
      const t = Math.abs(x);
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    },
  },
  lanczos3: { support: 3, fn: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

interface Coeffs {
  ksize: number;
  /** per output index: first input index and tap count */
  bounds: Int32Array;
  /** outSize * ksize normalised weights */
  kk: Float64Array;
}

function precompute(inSize: number, outSize: number, filter: Filter): Coeffs {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const kk = new Float64Array(outSize * ksize);
  const bounds = new Int32Array(outSize * 2);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter.fn((x + xmin - center + 0.5) * ss);
      kk[xx * ksize + x] = w;
      ww += w;
    }
    if (ww !== 0) for (let x = 0; x < xmax; x++) kk[xx * ksize + x] /= ww;
    bounds[2 * xx] = xmin;
    bounds[2 * xx + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

function fixedPoint(kk: Float64Array): Float64Array {
  // Doubles hold these integer products and sums exactly, so no Int32 emulation is needed.
  return kk.map((v) => (v < 0 ? Math.trunc(-0.5 + v * ONE) : Math.trunc(0.5 + v * ONE)));
}

function clip8(acc: number): number {
  const v = Math.floor(acc / ONE);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * Resizes interleaved HWC uint8 with Pillow's 8-bit arithmetic. Pillow skips a pass whose size
 * is unchanged, and so does this.
 */
export function resampleU8(
  src: Uint8Array,
  width: number,
  height: number,
  channels: number,
  outW: number,
  outH: number,
  kernel: Exclude<Kernel, 'nearest'> = 'lanczos3',
): Uint8Array {
  const filter = FILTERS[kernel];
  let cur = src;
  let curW = width;
  if (outW !== width) {
    const { ksize, bounds, kk: kd } = precompute(width, outW, filter);
    const kk = fixedPoint(kd);
    const out = new Uint8Array(outW * height * channels);
    for (let y = 0; y < height; y++) {
      const row = y * width * channels;
      for (let xx = 0; xx < outW; xx++) {
        const xmin = bounds[2 * xx];
        const xmax = bounds[2 * xx + 1];
        const k = xx * ksize;
        for (let c = 0; c < channels; c++) {
          let ss = HALF;
          for (let x = 0; x < xmax; x++) ss += cur[row + (x + xmin) * channels + c] * kk[k + x];
          out[(y * outW + xx) * channels + c] = clip8(ss);
        }
      }
    }
    cur = out;
    curW = outW;
  }
  if (outH !== height) {
    const { ksize, bounds, kk: kd } = precompute(height, outH, filter);
    const kk = fixedPoint(kd);
    const stride = curW * channels;
    const out = new Uint8Array(curW * outH * channels);
    for (let yy = 0; yy < outH; yy++) {
      const ymin = bounds[2 * yy];
      const ymax = bounds[2 * yy + 1];
      const k = yy * ksize;
      for (let i = 0; i < stride; i++) {
        let ss = HALF;
        for (let y = 0; y < ymax; y++) ss += cur[(y + ymin) * stride + i] * kk[k + y];
        out[yy * stride + i] = clip8(ss);
      }
    }
    cur = out;
  }
  return cur === src ? src.slice() : cur;
}

/** Resizes planar float data (any plane count), as Pillow's mode "F": no rounding, no clipping. */
export function resamplePlanes(
  src: Float32Array,
  width: number,
  height: number,
  planes: number,
  outW: number,
  outH: number,
  kernel: Kernel = 'lanczos3',
): Float32Array {
  if (kernel === 'nearest') return nearestPlanes(src, width, height, planes, outW, outH);
  const filter = FILTERS[kernel];
  let cur = src;
  let curW = width;
  if (outW !== width) {
    const { ksize, bounds, kk } = precompute(width, outW, filter);
    const out = new Float32Array(planes * height * outW);
    for (let r = 0; r < planes * height; r++) {
      const row = r * width;
      for (let xx = 0; xx < outW; xx++) {
        const xmin = bounds[2 * xx];
        const xmax = bounds[2 * xx + 1];
        const k = xx * ksize;
        let ss = 0;
        for (let x = 0; x < xmax; x++) ss += cur[row + x + xmin] * kk[k + x];
        out[r * outW + xx] = ss;
      }
    }
    cur = out;
    curW = outW;
  }
  if (outH !== height) {
    const { ksize, bounds, kk } = precompute(height, outH, filter);
    const out = new Float32Array(planes * outH * curW);
    for (let p = 0; p < planes; p++) {
      const base = p * height * curW;
      for (let yy = 0; yy < outH; yy++) {
        const ymin = bounds[2 * yy];
        const ymax = bounds[2 * yy + 1];
        const k = yy * ksize;
        const o = (p * outH + yy) * curW;
        for (let x = 0; x < curW; x++) {
          let ss = 0;
          for (let y = 0; y < ymax; y++) ss += cur[base + (y + ymin) * curW + x] * kk[k + y];
          out[o + x] = ss;
        }
      }
    }
    cur = out;
  }
  return cur === src ? src.slice() : cur;
}

/** Pillow's NEAREST: the source pixel under each output pixel's centre. */
function nearestPlanes(
  src: Float32Array,
  w: number,
  h: number,
  planes: number,
  W: number,
  H: number,
): Float32Array {
  const xs = Int32Array.from({ length: W }, (_, x) => Math.min(w - 1, Math.floor(((x + 0.5) * w) / W)));
  const out = new Float32Array(planes * W * H);
  for (let p = 0; p < planes; p++) {
    for (let y = 0; y < H; y++) {
      const sy = Math.min(h - 1, Math.floor(((y + 0.5) * h) / H));
      const row = (p * h + sy) * w;
      const o = (p * H + y) * W;
      for (let x = 0; x < W; x++) out[o + x] = src[row + xs[x]];
    }
  }
  return out;
}

/** Resizes a RawImage in float (no clipping: lanczos overshoot is kept for the caller to clamp). */
export function resizeRaw(
  img: RawImage,
  width: number,
  height: number,
  kernel: Kernel = 'lanczos3',
): RawImage {
  assertRaw(img);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`resizeRaw: target must be positive integers, got ${width}x${height}`);
  }
  return { width, height, data: resamplePlanes(img.data, img.width, img.height, 3, width, height, kernel) };
}

/** Python 3's round(): half to even (the reference sizes images with it). */
function pyRound(x: number): number {
  const r = Math.round(x);
  return x - Math.floor(x) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Size with the longest side `size`, as the reference: round(w*s), round(h*s), s = size/max(w,h). */
export function sizeForLongestSide(
  width: number,
  height: number,
  size: number,
): { width: number; height: number } {
  const s = size / Math.max(width, height);
  return { width: Math.max(1, pyRound(width * s)), height: Math.max(1, pyRound(height * s)) };
}

/** Resizes so the longest side is `size` (up or down). */
export function resizeLongestSide(img: RawImage, size: number, kernel: Kernel = 'lanczos3'): RawImage {
  const t = sizeForLongestSide(img.width, img.height, size);
  return t.width === img.width && t.height === img.height ? img : resizeRaw(img, t.width, t.height, kernel);
}
