/**
 * Exact tiling of VGG-19 costs for outputs too large for one pass (2048 px needs >21 GB).
 *
 * Every cost is a sum over activation positions (a Gram matrix is Σ a aᵀ over positions), so
 * the image is cut into windows that overlap by a halo at least as wide as the deepest layer's
 * receptive field. Each window then computes its *interior* positions exactly as the whole
 * image would, and the interiors partition every layer's grid; window starts are multiples of
 * the deepest layer's stride so pooling lines up. All windows have one shape, so one compiled
 * program serves them all; which positions are interior is a per-layer 0/1 mask fed at run time.
 */
import { cropRaw } from '../images/raw.js';
import { VGG19_LAYERS, layerIndex } from '../models/vgg19.js';

export interface Span {
  /** Window start along the axis (input pixels); the length is the plan's th or tw. */
  start: number;
  /** Interior [from, to): the positions this window owns. */
  from: number;
  to: number;
}

export interface TilePlan {
  height: number;
  width: number;
  /** Window shape shared by all tiles. */
  th: number;
  tw: number;
  rows: Span[];
  cols: Span[];
  halo: number;
}

/** Stride (input pixels per position) of a VGG-19 layer. */
export function layerStride(name: string): number {
  const i = layerIndex(name);
  return 2 ** VGG19_LAYERS.slice(0, i + 1).filter((n) => n.startsWith('pool')).length;
}

/** Size of a layer's grid for an input of n pixels: each pool floors, and ⌊⌊n/2⌋/2⌋ = ⌊n/4⌋. */
export function layerSize(name: string, n: number): number {
  return Math.floor(n / layerStride(name));
}

/**
 * How far (input pixels) outside a position's own stride cell its value reaches, for the
 * deepest of `layers`: the interval a single position depends on, mapped back layer by layer.
 */
export function receptiveHalo(layers: readonly string[]): number {
  const deepest = Math.max(...layers.map(layerIndex));
  let lo = 0;
  let hi = 0;
  for (let i = deepest; i >= 0; i--) {
    const l = VGG19_LAYERS[i];
    if (l.startsWith('conv')) {
      lo -= 1;
      hi += 1;
    } else if (l.startsWith('pool')) {
      lo = 2 * lo;
      hi = 2 * hi + 1;
    }
  }
  const s = layerStride(VGG19_LAYERS[deepest]);
  return Math.max(-lo, hi - (s - 1));
}

const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;

/**
 * `count` windows along one axis of n pixels, all of the smallest length t that lets them
 * cover it, with t ≡ n (mod stride) so the last window ends exactly at the image edge, where
 * the whole image's pooling floors. Interiors are handed out greedily from the top.
 */
export function planAxis(n: number, count: number, stride: number, halo: number): { t: number; spans: Span[] } {
  if (count <= 1) return { t: n, spans: [{ start: 0, from: 0, to: n }] };
  // Covering n takes count·t − 2(count−1)·halo ≥ n, and a middle window must own a stride cell.
  let t = Math.max(Math.ceil((n + 2 * (count - 1) * halo) / count), 2 * halo + stride);
  t += (((n - t) % stride) + stride) % stride;
  for (; t < n; t += stride) {
    const spans = greedy(n, t, stride, halo);
    if (spans.length <= count) return { t, spans };
  }
  return { t: n, spans: [{ start: 0, from: 0, to: n }] };
}

function greedy(n: number, t: number, stride: number, halo: number): Span[] {
  const step = Math.floor((t - 2 * halo) / stride) * stride;
  const lastFrom = n - t + halo; // the last window [n − t, n) owns [lastFrom, n)
  let to = Math.min(Math.floor((t - halo) / stride) * stride, lastFrom);
  const spans: Span[] = [{ start: 0, from: 0, to }];
  while (to < lastFrom) {
    const from = to;
    to = Math.min(from + step, lastFrom);
    spans.push({ start: from - halo, from, to });
  }
  spans.push({ start: n - t, from: to, to: n });
  return spans;
}

/**
 * Tiles for an h × w image and the layers used, or null when it fits in one window of
 * `maxPixels` (memory grows with window area) or uses no layer (only J_tv, no network). Among
 * the grids whose windows fit, the one with the least total window area (the least recomputed
 * halo) wins.
 */
export function planTiles(h: number, w: number, layers: readonly string[], maxPixels: number): TilePlan | null {
  if (h * w <= maxPixels || layers.length === 0) return null;
  const deepest = VGG19_LAYERS[Math.max(...layers.map(layerIndex))];
  const stride = layerStride(deepest);
  const halo = roundUp(receptiveHalo(layers), stride);
  let best: TilePlan | null = null;
  let bestArea = Infinity;
  for (let nr = 1; nr <= 32; nr++) {
    const r = planAxis(h, nr, stride, halo);
    if (r.spans.length < nr) continue;
    for (let nc = 1; nc <= 32; nc++) {
      const c = planAxis(w, nc, stride, halo);
      if (c.spans.length < nc || r.t * c.t > maxPixels) continue;
      const area = nr * nc * r.t * c.t;
      if (area < bestArea) {
        bestArea = area;
        best = { height: h, width: w, th: r.t, tw: c.t, rows: r.spans, cols: c.spans, halo };
      }
      break; // more columns only add area
    }
  }
  if (!best) throw new Error(`no tiling of ${w}x${h} fits windows of ${maxPixels} pixels with a ${halo} px halo`);
  return best;
}

/** The interior of a window along one axis in a layer's grid, relative to the window. */
function layerSpan(name: string, span: Span, t: number, n: number): { from: number; to: number; size: number } {
  const s = layerStride(name);
  const size = layerSize(name, t);
  const from = (span.from - span.start) / s;
  const to = span.to === n ? size : (span.to - span.start) / s;
  return { from, to, size };
}

/** The 0/1 mask [lh × lw] of a window's interior in a layer's grid. */
export function interiorMask(name: string, plan: TilePlan, row: Span, col: Span): Float32Array {
  const r = layerSpan(name, row, plan.th, plan.height);
  const c = layerSpan(name, col, plan.tw, plan.width);
  const m = new Float32Array(r.size * c.size);
  for (let y = r.from; y < r.to; y++) m.fill(1, y * c.size + c.from, y * c.size + c.to);
  return m;
}

/** Copies the window (row, col) of a [3, h, w] image into a [3, th, tw] buffer. */
export function cropWindow(src: Float32Array, plan: TilePlan, row: Span, col: Span, out?: Float32Array): Float32Array {
  return cropRaw({ width: plan.width, height: plan.height, data: src }, col.start, row.start, plan.tw, plan.th, out).data;
}

/** Adds a [3, th, tw] window's values into a [3, h, w] image (halos overlap, so they add). */
export function addWindow(dst: Float32Array, plan: TilePlan, row: Span, col: Span, src: Float32Array): void {
  const { th, tw, width: w, height: h } = plan;
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < th; y++) {
      const d = (c * h + row.start + y) * w + col.start;
      const s = (c * th + y) * tw;
      for (let x = 0; x < tw; x++) dst[d + x] += src[s + x];
    }
  }
}

/** Where a window's grid of one layer sits in the whole image's grid of that layer. */
function layerGeometry(name: string, plan: TilePlan, row: Span, col: Span) {
  const s = layerStride(name);
  return {
    r: layerSpan(name, row, plan.th, plan.height),
    c: layerSpan(name, col, plan.tw, plan.width),
    H: layerSize(name, plan.height),
    W: layerSize(name, plan.width),
    oy: row.start / s,
    ox: col.start / s,
  };
}

/**
 * Copies a window's interior of a layer's activations [C, lh, lw] (window grid) into the
 * whole image's [C, H, W] grid of that layer.
 */
export function placeInterior(name: string, plan: TilePlan, row: Span, col: Span, channels: number, src: Float32Array, dst: Float32Array): void {
  const { r, c, H, W, oy, ox } = layerGeometry(name, plan, row, col);
  for (let ch = 0; ch < channels; ch++) {
    for (let y = r.from; y < r.to; y++) {
      const a = (ch * r.size + y) * c.size;
      dst.set(src.subarray(a + c.from, a + c.to), (ch * H + oy + y) * W + ox + c.from);
    }
  }
}

/** The inverse: a layer's whole-image activations cut to one window's grid (interior filled, rest 0). */
export function windowOfLayer(name: string, plan: TilePlan, row: Span, col: Span, channels: number, src: Float32Array, out?: Float32Array): Float32Array {
  const { r, c, H, W, oy, ox } = layerGeometry(name, plan, row, col);
  const dst = out ?? new Float32Array(channels * r.size * c.size);
  dst.fill(0);
  for (let ch = 0; ch < channels; ch++) {
    for (let y = r.from; y < r.to; y++) {
      const a = (ch * H + oy + y) * W + ox;
      dst.set(src.subarray(a + c.from, a + c.to), (ch * r.size + y) * c.size + c.from);
    }
  }
  return dst;
}
