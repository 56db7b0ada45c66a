/** contactSheet: labelled thumbnails on a grid, for comparing results at a glance. */
import sharp, { type OverlayOptions, type Sharp } from 'sharp';
import { loadImage } from './load.js';
import { assertRaw, toHWC8, toRaw, type RawImage } from './raw.js';
import { resizeRaw, sizeForLongestSide } from './resample.js';
import { fitText, svgText, textMode, type TextMode } from './text.js';

export interface SheetItem {
  image: RawImage | string | Buffer;
  label?: string;
}

export interface SheetOptions {
  /** Default: all in one row up to 5 items, else a near-square grid. */
  columns?: number;
  /** Longest side of each thumbnail box in pixels. Default 256. */
  cellSize?: number;
  title?: string;
  /** Space around and between cells. Default cellSize/16, at least 8. */
  gap?: number;
  background?: string;
  /** Label font size in px. Default scales with cellSize. */
  labelSize?: number;
  /** 'auto' uses installed fonts when librsvg finds one, else the built-in bitmap font. */
  text?: 'auto' | TextMode;
}

/**
 * Thumbnail within a cell: Pillow-lanczos down; whole-number nearest up (small GAN outputs stay
 * crisp pixels rather than blur).
 */
function thumbnail(img: RawImage, cell: number): RawImage {
  const longest = Math.max(img.width, img.height);
  if (longest > cell) {
    const t = sizeForLongestSide(img.width, img.height, cell);
    const r = resizeRaw(img, t.width, t.height, 'lanczos3');
    return { ...r, data: r.data.map((v) => Math.min(1, Math.max(0, v))) };
  }
  const k = Math.floor(cell / longest);
  return k >= 2 ? resizeRaw(img, img.width * k, img.height * k, 'nearest') : img;
}

async function sheetPipeline(items: SheetItem[], opts: SheetOptions): Promise<Sharp> {
  if (items.length === 0) throw new RangeError('contactSheet: no items');
  const cell = opts.cellSize ?? 256;
  const n = items.length;
  const cols = Math.max(1, Math.min(n, opts.columns ?? (n <= 5 ? n : Math.ceil(Math.sqrt(n)))));
  const rows = Math.ceil(n / cols);
  const gap = opts.gap ?? Math.max(8, Math.round(cell / 16));
  const labelSize = opts.labelSize ?? Math.max(11, Math.min(18, Math.round(cell / 16)));
  const titleSize = Math.round(labelSize * 1.45);
  const mode: TextMode = !opts.text || opts.text === 'auto' ? await textMode() : opts.text;
  const hasLabels = items.some((it) => it.label);
  const labelH = hasLabels ? Math.round(labelSize * 1.9) : 0;
  const titleH = opts.title ? Math.round(titleSize * 2.1) : 0;

  const thumbs = await Promise.all(
    items.map(async (it, i) => {
      const src = it.image;
      let img: RawImage;
      if (typeof src === 'string' || Buffer.isBuffer(src)) {
        img = await loadImage(src, { maxSide: cell, name: typeof src === 'string' ? src : `item ${i}` });
      } else {
        assertRaw(src, `item ${i}`);
        img = src;
      }
      return thumbnail(img, cell);
    }),
  );
  const rowH = Array.from({ length: rows }, (_, r) =>
    Math.max(...thumbs.slice(r * cols, (r + 1) * cols).map((t) => t.height)),
  );
  const width = cols * cell + (cols + 1) * gap;
  const height = titleH + rowH.reduce((a, b) => a + b, 0) + rows * labelH + (rows + 1) * gap;

  const layers: OverlayOptions[] = [];
  const svg: string[] = [];
  if (opts.title) {
    const t = fitText(opts.title, titleSize, width - 2 * gap, mode);
    svg.push(
      svgText(
        width / 2,
        gap + Math.round(titleSize * 1.2),
        t,
        { size: titleSize, anchor: 'middle', weight: 'bold', color: '#222' },
        mode,
      ),
    );
  }
  let y = titleH + gap;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      if (i >= n) break;
      const t = thumbs[i];
      const x0 = gap + c * (cell + gap);
      const left = x0 + Math.floor((cell - t.width) / 2);
      const top = y + (rowH[r] - t.height);
      layers.push({ input: toHWC8(t), raw: { width: t.width, height: t.height, channels: 3 }, left, top });
      svg.push(
        `<rect x="${left - 0.5}" y="${top - 0.5}" width="${t.width + 1}" height="${t.height + 1}" fill="none" stroke="#c8c8c8"/>`,
      );
      const label = items[i].label;
      if (label) {
        const s = fitText(label, labelSize, cell, mode);
        svg.push(
          svgText(
            x0 + cell / 2,
            y + rowH[r] + Math.round(labelSize * 1.35),
            s,
            { size: labelSize, anchor: 'middle', color: '#333' },
            mode,
          ),
        );
      }
    }
    y += rowH[r] + labelH + gap;
  }
  const overlay = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${svg.join('')}</svg>`;
  layers.push({ input: Buffer.from(overlay), left: 0, top: 0 });
  return sharp({
    create: { width, height, channels: 3, background: opts.background ?? '#ffffff' },
  }).composite(layers);
}

/** A contact sheet as a RawImage. */
export async function contactSheet(items: SheetItem[], opts: SheetOptions = {}): Promise<RawImage> {
  const { data, info } = await (
    await sheetPipeline(items, opts)
  )
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return toRaw(data, info.width, info.height, 3);
}

/** A contact sheet as PNG bytes. */
export async function contactSheetPng(items: SheetItem[], opts: SheetOptions = {}): Promise<Buffer> {
  // Two steps: sharp applies composite last, so flattening in the same chain would be skipped.
  const png = await (await sheetPipeline(items, opts)).png().toBuffer();
  return sharp(png).removeAlpha().png().toBuffer();
}
