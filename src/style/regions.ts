/**
 * Spatial control (Gatys et al. 2017): a colour mask splits the output into regions, each
 * region takes its style from one style image (optionally from a region of it), and the
 * regions are carried to every layer's grid by simple resizing or as eroded "inside" masks.
 */
import type { RawImage } from '../images/index.js';
import { StyleOptionError } from './layers.js';
import { layerSize, layerStride, receptiveHalo } from './tiles.js';

export const MASK_PROPAGATIONS = ['resize', 'inside'] as const;
export type MaskPropagation = (typeof MASK_PROPAGATIONS)[number];

export type Rgb = [number, number, number];

export interface RegionStyle {
  color: Rgb;
  /** 0-based style image. */
  style: number;
}

/** Two mask pixels name the same colour within this distance (per channel, 0..255): JPEG noise. */
const TOLERANCE = 32;

export function hex(c: Rgb): string {
  return `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

function parseHex(s: string): Rgb | null {
  const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(s.trim());
  if (!m) return null;
  const h = m[1].length === 3 ? [...m[1]].map((c) => c + c).join('') : m[1];
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)) as Rgb;
}

/** `#ffffff=1,#000000=2`: N is the 1-based position of a style image on the command line. */
export function parseRegionStyles(spec: string, nStyles: number): RegionStyle[] {
  const out: RegionStyle[] = [];
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [c, n, ...rest] = part.split('=');
    const color = c === undefined ? null : parseHex(c);
    const k = Number(n);
    if (!color || rest.length || !Number.isInteger(k)) throw new StyleOptionError(`--region-styles: '${part}' is not COLOR=N (e.g. #ffffff=1)`, 'regionStyles');
    if (k < 1 || k > nStyles) throw new StyleOptionError(`--region-styles: '${part}' names style image ${k}, but ${nStyles} style image(s) were given`, 'regionStyles');
    if (out.some((r) => near(r.color, color, 0))) throw new StyleOptionError(`--region-styles: ${hex(color)} is listed twice`, 'regionStyles');
    out.push({ color, style: k - 1 });
  }
  if (out.length === 0) throw new StyleOptionError('--region-styles: no COLOR=N given', 'regionStyles');
  return out;
}

function near(a: Rgb, b: Rgb, tol: number): boolean {
  return Math.abs(a[0] - b[0]) <= tol && Math.abs(a[1] - b[1]) <= tol && Math.abs(a[2] - b[2]) <= tol;
}

function pixel(img: RawImage, i: number): Rgb {
  const n = img.width * img.height;
  return [0, 1, 2].map((c) => Math.round(Math.min(1, Math.max(0, img.data[c * n + i])) * 255)) as Rgb;
}

/** Region labels of a content mask: every pixel belongs to exactly one region. */
export interface Regions {
  colors: Rgb[];
  /** 0-based style image of each region. */
  styleOf: number[];
  width: number;
  height: number;
  labels: Int32Array;
}

/**
 * Regions of a content mask. With `assigned`, each pixel takes the listed colour it is within
 * the tolerance of; otherwise the mask's distinct colours in reading order take the style
 * images in order. A colour with no style, or a listed colour absent from the mask, is an error.
 */
export function contentRegions(mask: RawImage, assigned: RegionStyle[] | undefined, nStyles: number): Regions {
  const n = mask.width * mask.height;
  const labels = new Int32Array(n);
  let colors: Rgb[];
  let styleOf: number[];
  if (assigned) {
    colors = assigned.map((a) => a.color);
    styleOf = assigned.map((a) => a.style);
    const unassigned = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const p = pixel(mask, i);
      const r = nearest(colors, p);
      labels[i] = r;
      if (r < 0) unassigned.set(hex(p), (unassigned.get(hex(p)) ?? 0) + 1);
    }
    if (unassigned.size) {
      const list = [...unassigned].slice(0, 5).map(([c, k]) => `${c} (${k} px)`).join(', ');
      throw new StyleOptionError(`--content-mask: colour(s) ${list}${unassigned.size > 5 ? ', ...' : ''} assigned to no style; add them to --region-styles`, 'regionStyles');
    }
  } else {
    colors = [];
    for (let i = 0; i < n; i++) {
      const p = pixel(mask, i);
      let r = colors.findIndex((c) => near(c, p, 0));
      if (r < 0) {
        r = colors.length;
        colors.push(p);
        if (colors.length > nStyles) {
          throw new StyleOptionError(
            `--content-mask has more colours than the ${nStyles} style image(s) (${colors.slice(0, 6).map(hex).join(', ')}${colors.length > 6 ? ', ...' : ''}): ` +
              `colour ${hex(p)} is assigned to no style; use flat colours (PNG) or --region-styles`,
            'contentMask',
          );
        }
      }
      labels[i] = r;
    }
    styleOf = colors.map((_, k) => k);
  }
  const sizes = regionSizes(labels, colors.length);
  const empty = sizes.findIndex((s) => s === 0);
  if (empty >= 0) throw new StyleOptionError(`--region-styles: ${hex(colors[empty])} does not occur in the content mask (an empty region)`, 'regionStyles');
  return { colors, styleOf, width: mask.width, height: mask.height, labels };
}

function nearest(colors: Rgb[], p: Rgb): number {
  let best = -1;
  let bd = Infinity;
  for (const [k, c] of colors.entries()) {
    const d = Math.max(Math.abs(c[0] - p[0]), Math.abs(c[1] - p[1]), Math.abs(c[2] - p[2]));
    if (d <= TOLERANCE && d < bd) {
      bd = d;
      best = k;
    }
  }
  return best;
}

export function regionSizes(labels: Int32Array, count: number): number[] {
  const s = new Array<number>(count).fill(0);
  for (const l of labels) if (l >= 0) s[l]++;
  return s;
}

/**
 * Labels of a style mask in the content's regions (−1: a colour no region uses). Each region
 * drawing from this style image must find its colour here.
 */
export function styleRegions(mask: RawImage, regions: Regions, style: number, what: string): Int32Array {
  const n = mask.width * mask.height;
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = nearest(regions.colors, pixel(mask, i));
  const sizes = regionSizes(labels, regions.colors.length);
  for (const [r, st] of regions.styleOf.entries()) {
    if (st === style && sizes[r] === 0) throw new StyleOptionError(`${what} has no pixels of ${hex(regions.colors[r])}: the region it should draw that style from is empty`, 'styleMasks');
  }
  return labels;
}

/** Nearest-neighbour resize of a label map (labels must not blend). */
export function resizeLabels(labels: Int32Array, w0: number, h0: number, w: number, h: number): Int32Array {
  if (w === w0 && h === h0) return labels;
  const out = new Int32Array(w * h);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(h0 - 1, Math.floor(((y + 0.5) * h0) / h));
    for (let x = 0; x < w; x++) out[y * w + x] = labels[sy * w0 + Math.min(w0 - 1, Math.floor(((x + 0.5) * w0) / w))];
  }
  return out;
}

/**
 * Region `r` of a label map carried to layer `layer`'s grid (layerSize × layerSize of the
 * image): 'resize' averages each position's stride cell (simple resizing, soft at borders);
 * 'inside' keeps (as 1) only positions whose whole receptive field lies in the region, the
 * paper's eroded masks.
 */
export function propagateMask(labels: Int32Array, w: number, h: number, r: number, layer: string, mode: MaskPropagation): Float32Array {
  const s = layerStride(layer);
  const lh = layerSize(layer, h);
  const lw = layerSize(layer, w);
  // Summed-area table of the region's indicator, (h+1) × (w+1).
  const W1 = w + 1;
  const sat = new Float64Array((h + 1) * W1);
  for (let y = 0; y < h; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      row += labels[y * w + x] === r ? 1 : 0;
      sat[(y + 1) * W1 + x + 1] = sat[y * W1 + x + 1] + row;
    }
  }
  const box = (y0: number, x0: number, y1: number, x1: number) => {
    y0 = Math.max(0, y0);
    x0 = Math.max(0, x0);
    y1 = Math.min(h, y1);
    x1 = Math.min(w, x1);
    return { sum: sat[y1 * W1 + x1] - sat[y0 * W1 + x1] - sat[y1 * W1 + x0] + sat[y0 * W1 + x0], area: (y1 - y0) * (x1 - x0) };
  };
  const halo = mode === 'inside' ? receptiveHalo([layer]) : 0;
  const out = new Float32Array(lh * lw);
  for (let y = 0; y < lh; y++) {
    for (let x = 0; x < lw; x++) {
      const b = box(y * s - halo, x * s - halo, y * s + s + halo, x * s + s + halo);
      out[y * lw + x] = mode === 'inside' ? (b.sum === b.area ? 1 : 0) : b.sum / b.area;
    }
  }
  return out;
}

/** nH·nW / Σ mask², the factor that makes a guided Gram of an all-ones mask the plain Gram; 0 for an empty mask. */
export function guidedScale(mask: Float32Array): number {
  let q = 0;
  for (const v of mask) q += v * v;
  return q > 0 ? mask.length / q : 0;
}

/** Channels of a VGG-19 conv/relu layer (64, 128, 256, 512, 512 by block). */
export function layerChannels(layer: string): number {
  const block = Number(/^(?:conv|relu)(\d)_/.exec(layer)?.[1]);
  return [64, 128, 256, 512, 512][block - 1];
}
