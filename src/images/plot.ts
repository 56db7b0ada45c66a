/** lossPlot: a line chart of training curves (style-transfer cost per iteration, GAN losses per epoch). */
import sharp from 'sharp';
import { fitText, svgText, textMode, textWidth, type TextMode } from './text.js';
import { PALETTE } from './palette.js';

export { PALETTE };

export interface Series {
  name: string;
  values: number[];
  /** Defaults to 0, 1, 2, ... */
  x?: number[];
}

export interface PlotOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Log-scale y; non-positive values are left out (falls back to linear if none is positive). */
  logY?: boolean;
  width?: number;
  height?: number;
  /** 'auto' uses installed fonts for the PNG when librsvg finds one, else the bitmap font. */
  text?: 'auto' | TextMode;
}


/** "Nice" tick step (1, 2 or 5 times a power of ten) for about `count` ticks over `span`. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10) * p;
}

function linearTicks(
  lo: number,
  hi: number,
  count: number,
): { lo: number; hi: number; ticks: number[]; step: number } {
  const step = niceStep(hi - lo, count);
  const a = Math.floor(lo / step + 1e-9) * step;
  const b = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = a; v <= b + step * 1e-6; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return { lo: a, hi: b, ticks, step };
}

function formatTick(v: number, step: number): string {
  if (v === 0) return '0';
  const av = Math.abs(v);
  if (av >= 1e5 || av < 1e-3) {
    const e = Math.floor(Math.log10(av));
    const m = v / 10 ** e;
    const ms = Number(m.toFixed(2)).toString();
    return `${ms === '1' ? '' : ms === '-1' ? '-' : ms + '×'}1e${e}`.replace(/^×/, '');
  }
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  return v.toFixed(decimals);
}

function formatLogTick(v: number): string {
  const e = Math.round(Math.log10(v));
  if (Math.abs(v - 10 ** e) < 1e-9 * v) return e >= -3 && e <= 4 ? String(10 ** e) : `1e${e}`;
  return formatTick(v, v / 10);
}

interface Point {
  x: number;
  y: number;
}

/** Keeps the first, min, max and last point per pixel column, so long runs stay small and exact-looking. */
function decimate(pts: Point[], columns: number, x0: number, x1: number): Point[] {
  if (pts.length <= columns * 4) return pts;
  const out: Point[] = [];
  const w = (x1 - x0) / columns || 1;
  let i = 0;
  while (i < pts.length) {
    const col = Math.floor((pts[i].x - x0) / w);
    let j = i;
    let lo = i;
    let hi = i;
    while (j < pts.length && Math.floor((pts[j].x - x0) / w) === col) {
      if (pts[j].y < pts[lo].y) lo = j;
      if (pts[j].y > pts[hi].y) hi = j;
      j++;
    }
    for (const k of [...new Set([i, lo, hi, j - 1])].sort((a, b) => a - b)) out.push(pts[k]);
    i = j;
  }
  return out;
}

function f2(v: number): string {
  return Number(v.toFixed(2)).toString();
}

/** The chart as an SVG document (text as <text> unless mode is 'bitmap'). */
export function lossPlotSvg(series: Series[], opts: PlotOptions = {}, mode: TextMode = 'font'): string {
  const W = opts.width ?? 800;
  const H = opts.height ?? 450;
  const fs = Math.max(10, Math.min(14, Math.round(Math.min(W, H) / 34)));
  const titleFs = Math.round(fs * 1.3);

  // Finite points per series, split where values are missing or non-finite.
  let logY = opts.logY ?? false;
  const usable = (v: number): boolean => Number.isFinite(v) && (!logY || v > 0);
  const prepared = (): Point[][][] =>
    series.map((s) => {
      const segs: Point[][] = [];
      let cur: Point[] = [];
      s.values.forEach((v, i) => {
        const x = s.x?.[i] ?? i;
        if (usable(v) && Number.isFinite(x)) cur.push({ x, y: v });
        else if (cur.length) {
          segs.push(cur);
          cur = [];
        }
      });
      if (cur.length) segs.push(cur);
      return segs;
    });
  let segs = prepared();
  if (logY && segs.every((s) => s.length === 0) && series.some((s) => s.values.some(Number.isFinite))) {
    logY = false;
    segs = prepared();
  }
  const all = segs.flat(2);
  const hasData = all.length > 0;
  let xMin = hasData ? Math.min(...all.map((p) => p.x)) : 0;
  let xMax = hasData ? Math.max(...all.map((p) => p.x)) : 1;
  if (xMax === xMin) {
    xMin -= 1;
    xMax += 1;
  }
  const ty = (v: number): number => (logY ? Math.log10(v) : v);
  let yMin = hasData ? Math.min(...all.map((p) => ty(p.y))) : 0;
  let yMax = hasData ? Math.max(...all.map((p) => ty(p.y))) : 1;
  if (yMax - yMin < 1e-12 * Math.max(1, Math.abs(yMax))) {
    const d = logY ? 0.5 : Math.abs(yMax) * 0.1 || 1;
    yMin -= d;
    yMax += d;
  }

  // Y ticks first: their labels decide the left margin.
  let yTicks: number[];
  let yLabels: string[];
  if (logY) {
    let lo = Math.floor(yMin + 1e-9);
    let hi = Math.ceil(yMax - 1e-9);
    if (hi === lo) hi++;
    const decades = hi - lo;
    const stride = Math.ceil(decades / 8);
    lo = Math.floor(lo / stride) * stride;
    hi = Math.ceil(hi / stride) * stride;
    yTicks = [];
    for (let e = lo; e <= hi; e += stride) {
      yTicks.push(10 ** e);
      if (decades <= 2 && e < hi) yTicks.push(2 * 10 ** e, 5 * 10 ** e);
    }
    yTicks.sort((a, b) => a - b);
    yMin = lo;
    yMax = hi;
    yLabels = yTicks.map(formatLogTick);
  } else {
    const t = linearTicks(yMin, yMax, Math.max(3, Math.round(H / 80)));
    yMin = t.lo;
    yMax = t.hi;
    yTicks = t.ticks;
    yLabels = yTicks.map((v) => formatTick(v, t.step));
  }
  const xt = linearTicks(xMin, xMax, Math.max(3, Math.round(W / 110)));
  const xInt = all.every((p) => Number.isInteger(p.x));
  const xStep = xInt ? Math.max(1, xt.step) : xt.step;
  const xTicks = xInt && xt.step < 1 ? xt.ticks.filter(Number.isInteger) : xt.ticks;
  if (xInt && xt.step >= 1) {
    xMin = Math.min(xMin, xt.lo);
    xMax = Math.max(xMax, xt.hi);
  } else {
    xMin = xt.lo;
    xMax = xt.hi;
  }

  const yLabelW = Math.max(...yLabels.map((s) => textWidth(s, fs, mode)));
  const left = Math.round(yLabelW + fs * 1.2 + (opts.yLabel ? fs * 1.8 : 0));
  const right = Math.round(fs * 1.8);
  const top = Math.round(opts.title ? titleFs * 2.4 : fs * 1.5);
  const bottom = Math.round(fs * 2.6 + (opts.xLabel ? fs * 1.6 : 0));
  const pw = Math.max(10, W - left - right);
  const ph = Math.max(10, H - top - bottom);
  const px = (x: number): number => left + ((x - xMin) / (xMax - xMin)) * pw;
  const py = (y: number): number => top + ph - ((ty(y) - yMin) / (yMax - yMin)) * ph;

  const out: string[] = [];
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="#fbfbfd"/>`);
  // grid + ticks
  const axisColor = '#444';
  yTicks.forEach((v, i) => {
    const y = f2(py(v));
    const major = !logY || Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9;
    out.push(
      `<line x1="${left}" x2="${left + pw}" y1="${y}" y2="${y}" stroke="${major ? '#e2e2e8' : '#efeff3'}" stroke-width="1"/>`,
    );
    out.push(`<line x1="${left - 5}" x2="${left}" y1="${y}" y2="${y}" stroke="${axisColor}"/>`);
    out.push(
      svgText(left - 8, Number(y) + fs * 0.35, yLabels[i], { size: fs, anchor: 'end', color: '#333' }, mode),
    );
  });
  for (const v of xTicks) {
    const x = f2(px(v));
    out.push(`<line x1="${x}" x2="${x}" y1="${top}" y2="${top + ph}" stroke="#e2e2e8" stroke-width="1"/>`);
    out.push(`<line x1="${x}" x2="${x}" y1="${top + ph}" y2="${top + ph + 5}" stroke="${axisColor}"/>`);
    out.push(
      svgText(
        Number(x),
        top + ph + fs * 1.6,
        formatTick(v, xStep),
        { size: fs, anchor: 'middle', color: '#333' },
        mode,
      ),
    );
  }
  out.push(
    `<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="${axisColor}" stroke-width="1"/>`,
  );

  // lines
  out.push(
    `<defs><clipPath id="plot"><rect x="${left}" y="${top}" width="${pw}" height="${ph}"/></clipPath></defs>`,
  );
  out.push(
    `<g clip-path="url(#plot)" fill="none" stroke-width="2" stroke-linejoin="round" stroke-linecap="round">`,
  );
  segs.forEach((ss, si) => {
    const color = PALETTE[si % PALETTE.length];
    const count = ss.reduce((a, s) => a + s.length, 0);
    for (const seg of ss) {
      const pts = decimate(seg, pw, xMin, xMax);
      if (pts.length === 1 || count <= 40) {
        for (const p of pts)
          out.push(`<circle cx="${f2(px(p.x))}" cy="${f2(py(p.y))}" r="2.5" fill="${color}" stroke="none"/>`);
      }
      if (pts.length > 1) {
        const d = pts.map((p, i) => `${i ? 'L' : 'M'}${f2(px(p.x))} ${f2(py(p.y))}`).join('');
        out.push(`<path d="${d}" stroke="${color}"/>`);
      }
    }
  });
  out.push('</g>');
  if (!hasData)
    out.push(
      svgText(
        left + pw / 2,
        top + ph / 2,
        'no data',
        { size: fs * 1.2, anchor: 'middle', color: '#999' },
        mode,
      ),
    );

  // labels
  if (opts.title)
    out.push(
      svgText(
        W / 2,
        Math.round(titleFs * 1.55),
        fitText(opts.title, titleFs, W - 20, mode),
        { size: titleFs, anchor: 'middle', weight: 'bold', color: '#222' },
        mode,
      ),
    );
  if (opts.xLabel)
    out.push(
      svgText(
        left + pw / 2,
        H - Math.round(fs * 0.8),
        opts.xLabel,
        { size: fs, anchor: 'middle', color: '#333' },
        mode,
      ),
    );
  if (opts.yLabel) {
    const x = Math.round(fs * 1.3);
    const y = top + ph / 2;
    out.push(svgText(x, y, opts.yLabel, { size: fs, anchor: 'middle', color: '#333', rotate: -90 }, mode));
  }

  // legend, top right inside the plot
  const named = series
    .map((s, i) => ({ name: s.name, color: PALETTE[i % PALETTE.length] }))
    .filter((s) => s.name);
  if (named.length > 0) {
    const rowH = Math.round(fs * 1.5);
    const maxName = Math.min(pw * 0.45, Math.max(...named.map((s) => textWidth(s.name, fs, mode))));
    const lw = Math.round(maxName + fs * 3.6);
    const lh = named.length * rowH + Math.round(fs * 0.6);
    const lx = left + pw - lw - 8;
    const ly = top + 8;
    out.push(
      `<rect x="${lx}" y="${ly}" width="${lw}" height="${lh}" rx="4" fill="#ffffff" fill-opacity="0.88" stroke="#d5d5dd"/>`,
    );
    named.forEach((s, i) => {
      const cy = ly + Math.round(fs * 0.3) + rowH * i + rowH / 2;
      out.push(
        `<line x1="${lx + 8}" x2="${lx + 8 + fs * 1.6}" y1="${cy}" y2="${cy}" stroke="${s.color}" stroke-width="2.5" stroke-linecap="round"/>`,
      );
      out.push(
        svgText(
          lx + 14 + fs * 1.6,
          cy + fs * 0.35,
          fitText(s.name, fs, maxName, mode),
          { size: fs, color: '#222' },
          mode,
        ),
      );
    });
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${out.join('')}</svg>\n`;
}

/** The chart as SVG (for browsers, always real text) and PNG (rendered here by librsvg). */
export async function lossPlot(
  series: Series[],
  opts: PlotOptions = {},
): Promise<{ svg: string; png: Buffer }> {
  const svg = lossPlotSvg(series, opts, 'font');
  const mode: TextMode = !opts.text || opts.text === 'auto' ? await textMode() : opts.text;
  const forPng = mode === 'font' ? svg : lossPlotSvg(series, opts, mode);
  const png = await sharp(Buffer.from(forPng)).flatten({ background: '#ffffff' }).png().toBuffer();
  return { svg, png };
}
