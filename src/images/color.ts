/**
 * Colour helpers for style transfer's `--original-colors` and colour-preserving variants
 * (Gatys et al. 2016, "Preserving Color in Neural Artistic Style Transfer").
 */
import { assertRaw, type RawImage } from './raw.js';
import { resizeRaw } from './resample.js';

const LUMA = [0.299, 0.587, 0.114] as const;

/** Rec. 601 luma, the Y of both YIQ and YCbCr. */
export function luminance(img: RawImage): Float32Array {
  const n = img.width * img.height;
  const d = img.data;
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = LUMA[0] * d[i] + LUMA[1] * d[n + i] + LUMA[2] * d[2 * n + i];
  return y;
}

const YIQ = [
  [0.299, 0.587, 0.114],
  [0.595716, -0.274453, -0.321263],
  [0.211456, -0.522591, 0.311135],
];

function invert3(m: number[][]): number[][] {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}
const YIQ_INV = invert3(YIQ);

function applyPlanar(img: RawImage, m: number[][]): RawImage {
  const n = img.width * img.height;
  const d = img.data;
  const out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    const r = d[i];
    const g = d[n + i];
    const b = d[2 * n + i];
    for (let c = 0; c < 3; c++) out[c * n + i] = m[c][0] * r + m[c][1] * g + m[c][2] * b;
  }
  return { width: img.width, height: img.height, data: out };
}

/** RGB planes to Y, I, Q planes (NTSC), and back. */
export function rgbToYiq(img: RawImage): RawImage {
  return applyPlanar(img, YIQ);
}

export function yiqToRgb(img: RawImage): RawImage {
  return applyPlanar(img, YIQ_INV);
}

function sameSize(img: RawImage, like: RawImage): RawImage {
  return img.width === like.width && img.height === like.height
    ? img
    : resizeRaw(img, like.width, like.height);
}

/**
 * The stylised picture's luma with the content's chroma (resized to the stylised size if needed),
 * clamped to [0,1]. YIQ and YCbCr give the same answer: both chroma pairs span {R-Y, B-Y}, so
 * swapping Y amounts to adding the luma difference to every channel.
 */
export function originalColors(stylised: RawImage, content: RawImage): RawImage {
  assertRaw(stylised, 'stylised');
  assertRaw(content, 'content');
  const c = sameSize(content, stylised);
  const ys = luminance(stylised);
  const yc = luminance(c);
  const n = ys.length;
  const out = new Float32Array(3 * n);
  for (let ch = 0; ch < 3; ch++) {
    for (let i = 0; i < n; i++) {
      const v = c.data[ch * n + i] + ys[i] - yc[i];
      out[ch * n + i] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }
  return { width: stylised.width, height: stylised.height, data: out };
}

function meanStd(x: Float32Array): { mean: number; std: number } {
  let s = 0;
  for (const v of x) s += v;
  const mean = s / x.length;
  let q = 0;
  for (const v of x) q += (v - mean) ** 2;
  return { mean, std: Math.sqrt(q / x.length) };
}

/**
 * Gatys' luminance-only transfer: shifts and scales the style's luma to the content's mean and
 * spread (chroma untouched), so a colourful style does not bring its brightness along.
 */
export function matchLuminance(style: RawImage, content: RawImage): RawImage {
  const ls = luminance(style);
  const a = meanStd(ls);
  const b = meanStd(luminance(content));
  const k = a.std > 1e-8 ? b.std / a.std : 1;
  const n = ls.length;
  const out = new Float32Array(3 * n);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < n; i++) {
      const target = (ls[i] - a.mean) * k + b.mean;
      const v = style.data[c * n + i] + target - ls[i];
      out[c * n + i] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }
  return { width: style.width, height: style.height, data: out };
}

const BINS = 1024;

/**
 * Per-channel histogram matching: `source` remapped so each channel's distribution follows
 * `reference`'s (quantile mapping through a 1024-bin CDF; linear time apart from one sort).
 */
export function matchHistogram(source: RawImage, reference: RawImage): RawImage {
  assertRaw(source, 'source');
  assertRaw(reference, 'reference');
  const n = source.width * source.height;
  const m = reference.width * reference.height;
  const out = new Float32Array(3 * n);
  const hist = new Float64Array(BINS);
  const cdf = new Float64Array(BINS);
  for (let c = 0; c < 3; c++) {
    const ref = reference.data.slice(c * m, (c + 1) * m).sort();
    const src = source.data.subarray(c * n, (c + 1) * n);
    hist.fill(0);
    const bin = (v: number): number => Math.min(BINS - 1, Math.max(0, Math.floor(v * BINS)));
    for (const v of src) hist[bin(v)]++;
    let below = 0;
    for (let b = 0; b < BINS; b++) {
      cdf[b] = (below + hist[b] / 2) / n;
      below += hist[b];
    }
    for (let i = 0; i < n; i++) {
      const pos = cdf[bin(src[i])] * (m - 1);
      const lo = Math.floor(pos);
      const hi = Math.min(m - 1, lo + 1);
      out[c * n + i] = ref[lo] + (ref[hi] - ref[lo]) * (pos - lo);
    }
  }
  return { width: source.width, height: source.height, data: out };
}

/** Mean (3) and covariance (3×3, row-major) of an image's RGB values. */
export function colorStats(img: RawImage): { mean: Float64Array; cov: Float64Array } {
  const n = img.width * img.height;
  const mean = new Float64Array(3);
  for (let c = 0; c < 3; c++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += img.data[c * n + i];
    mean[c] = s / n;
  }
  const cov = new Float64Array(9);
  for (let a = 0; a < 3; a++) {
    for (let b = a; b < 3; b++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += (img.data[a * n + i] - mean[a]) * (img.data[b * n + i] - mean[b]);
      cov[a * 3 + b] = cov[b * 3 + a] = s / n;
    }
  }
  return { mean, cov };
}

/** Lower Cholesky factor of a 3×3 SPD matrix; `eps` on the diagonal keeps flat images invertible. */
function cholesky3(m: Float64Array, eps: number): Float64Array {
  const L = new Float64Array(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j <= i; j++) {
      let s = m[i * 3 + j] + (i === j ? eps : 0);
      for (let k = 0; k < j; k++) s -= L[i * 3 + k] * L[j * 3 + k];
      L[i * 3 + j] = i === j ? Math.sqrt(Math.max(s, eps)) : s / L[j * 3 + j];
    }
  }
  return L;
}

/** Inverse of a lower-triangular 3×3 matrix. */
function invLower3(L: Float64Array): Float64Array {
  const I = new Float64Array(9);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < 3; i++) {
      let s = i === c ? 1 : 0;
      for (let k = 0; k < i; k++) s -= L[i * 3 + k] * I[k * 3 + c];
      I[i * 3 + c] = s / L[i * 3 + i];
    }
  }
  return I;
}

/**
 * Gatys et al. 2017's colour histogram matching: the linear map x' = A (x − μ_S) + μ_C with
 * A = L_C L_S⁻¹ (Cholesky factors of the covariances, Σ = L Lᵀ), so `source` takes the mean and
 * covariance of `reference`'s RGB values; clamped to [0,1]. Returns the map too (for reports).
 */
export function matchColorStats(source: RawImage, reference: RawImage): RawImage {
  assertRaw(source, 'source');
  assertRaw(reference, 'reference');
  const s = colorStats(source);
  const r = colorStats(reference);
  const eps = 1e-5;
  const Lr = cholesky3(r.cov, eps);
  const LsInv = invLower3(cholesky3(s.cov, eps));
  const A = new Float64Array(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) A[i * 3 + j] += Lr[i * 3 + k] * LsInv[k * 3 + j];
  const n = source.width * source.height;
  const out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    const d0 = source.data[i] - s.mean[0];
    const d1 = source.data[n + i] - s.mean[1];
    const d2 = source.data[2 * n + i] - s.mean[2];
    for (let c = 0; c < 3; c++) {
      const v = A[c * 3] * d0 + A[c * 3 + 1] * d1 + A[c * 3 + 2] * d2 + r.mean[c];
      out[c * n + i] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }
  return { width: source.width, height: source.height, data: out };
}
