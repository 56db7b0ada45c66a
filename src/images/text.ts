/**
 * Text for pictures rendered through sharp's SVG (librsvg + fontconfig). Whether any font exists
 * is probed once by rendering a test string; without one, text is drawn with the 5x7 bitmap font
 * as SVG rectangles, so labels stay readable on a bare server.
 */
import sharp from 'sharp';
import { ADVANCE, GLYPH_H, glyphRows } from './font5x7.js';

export const FONT_FAMILY = "'DejaVu Sans', 'Liberation Sans', Arial, Helvetica, sans-serif";

export type TextMode = 'font' | 'bitmap';

export function escapeXml(s: string): string {
  return s.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );
}

let probe: Promise<boolean> | undefined;

/** True when librsvg can draw text with some installed font. Cached; AI_ART_FONTS=none forces false. */
export function fontsAvailable(): Promise<boolean> {
  if (process.env.AI_ART_FONTS === 'none') return Promise.resolve(false);
  probe ??= (async () => {
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="32"><rect width="64" height="32" fill="#fff"/>` +
      `<text x="4" y="24" font-family="${FONT_FAMILY}" font-size="22" fill="#000">Hg</text></svg>`;
    try {
      const { channels } = await sharp(Buffer.from(svg)).stats();
      return channels[0].min < 128;
    } catch {
      return false;
    }
  })();
  return probe;
}

export async function textMode(): Promise<TextMode> {
  return (await fontsAvailable()) ? 'font' : 'bitmap';
}

export interface TextStyle {
  size: number;
  color?: string;
  anchor?: 'start' | 'middle' | 'end';
  weight?: 'normal' | 'bold';
  /** rotation in degrees around (x, y), e.g. -90 for a y-axis label */
  rotate?: number;
}

/** Rough width of a string in a proportional sans font at `size`; for layout and truncation. */
export function textWidth(s: string, size: number, mode: TextMode): number {
  if (mode === 'bitmap') return [...s].length * ADVANCE * bitmapScale(size);
  let w = 0;
  for (const ch of s)
    w += /[il.,:;'|!]/.test(ch) ? 0.3 : /[mwMW@%]/.test(ch) ? 0.85 : /[A-Z0-9]/.test(ch) ? 0.66 : 0.56;
  return w * size;
}

/** Cuts `s` with an ellipsis to fit `maxWidth`. */
export function fitText(s: string, size: number, maxWidth: number, mode: TextMode): string {
  if (textWidth(s, size, mode) <= maxWidth) return s;
  const chars = [...s];
  while (chars.length > 1 && textWidth(chars.join('') + '…', size, mode) > maxWidth) chars.pop();
  return chars.join('') + '…';
}

function bitmapScale(size: number): number {
  return Math.max(1, Math.round(size / 9));
}

function bitmapText(x: number, y: number, s: string, st: TextStyle): string {
  const k = bitmapScale(st.size);
  const width = [...s].length * ADVANCE * k - k;
  const x0 = st.anchor === 'middle' ? x - width / 2 : st.anchor === 'end' ? x - width : x;
  // y is the baseline, as for <text>: glyphs sit on it.
  const y0 = y - GLYPH_H * k;
  let d = '';
  [...s].forEach((ch, i) => {
    const rows = glyphRows(ch);
    rows.forEach((row, r) => {
      let c = 0;
      while (c < row.length) {
        if (!row[c]) {
          c++;
          continue;
        }
        let e = c;
        while (e < row.length && row[e]) e++;
        d += `M${x0 + (i * ADVANCE + c) * k} ${y0 + r * k}h${(e - c) * k}v${k}h${-(e - c) * k}z`;
        c = e;
      }
    });
  });
  const t = st.rotate ? ` transform="rotate(${st.rotate} ${x} ${y})"` : '';
  const extra = st.weight === 'bold' ? ` stroke="${st.color ?? '#000'}" stroke-width="${k * 0.3}"` : '';
  return `<path d="${d}" fill="${st.color ?? '#000'}"${extra}${t}/>`;
}

/** An SVG fragment drawing `s` with its baseline at y. */
export function svgText(x: number, y: number, s: string, st: TextStyle, mode: TextMode): string {
  if (s === '') return '';
  if (mode === 'bitmap') return bitmapText(x, y, s, st);
  const attrs = [
    `x="${x}"`,
    `y="${y}"`,
    `font-family="${FONT_FAMILY}"`,
    `font-size="${st.size}"`,
    `fill="${st.color ?? '#000'}"`,
    st.anchor && st.anchor !== 'start' ? `text-anchor="${st.anchor}"` : '',
    st.weight === 'bold' ? 'font-weight="bold"' : '',
    st.rotate ? `transform="rotate(${st.rotate} ${x} ${y})"` : '',
  ].filter(Boolean);
  return `<text ${attrs.join(' ')}>${escapeXml(s)}</text>`;
}
