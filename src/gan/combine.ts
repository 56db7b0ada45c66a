/**
 * The reference's datasets/combine_A_and_B.py: for each split folder (train, val, test) under
 * fold_A, every picture that has a namesake in fold_B/[split] becomes one side-by-side A|B
 * picture in fold_AB/[split], the layout aligned datasets (pix2pix) read. The reference
 * concatenates whatever it finds; here pairs of different sizes are skipped and reported, as are
 * names found on one side only, so a dataset with holes is visible before training on it.
 */
import { availableParallelism } from 'node:os';
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { loadImage } from '../images/load.js';
import type { RawImage } from '../images/raw.js';
import { optionsStamp } from '../images/pngtext.js';
import { saveImage } from '../images/save.js';
import { isImageFile } from './data/files.js';

export class CombineError extends Error {
  override name = 'CombineError';
}

export interface CombineOptions {
  foldA: string;
  foldB: string;
  /** The reference's fold_AB. */
  out: string;
  /** At most this many pictures per split (the reference's --num_imgs). */
  numImgs?: number;
  /** Pair name_A.ext with name_B.ext and write name.ext (the reference's --use_AB). */
  useAB?: boolean;
  /** One picture at a time instead of several in parallel. */
  noMultiprocessing?: boolean;
  /** Progress and notes. */
  notice?: (msg: string) => void;
}

export interface SizeMismatch {
  name: string;
  a: [number, number];
  b: [number, number];
}

export interface SplitReport {
  split: string;
  /** Output files written. */
  written: string[];
  /** Names in fold_A/[split] with no partner in fold_B/[split]. */
  onlyInA: string[];
  /** Names in fold_B/[split] with no partner in fold_A/[split]. */
  onlyInB: string[];
  sizeMismatch: SizeMismatch[];
  unreadable: { name: string; error: string }[];
  /** Output names changed because the format cannot be written (.bmp, .tif, .ppm become .png). */
  renamed: { from: string; to: string }[];
}

export interface CombineReport {
  splits: SplitReport[];
  written: number;
  /** Pictures left out for any reason. */
  skipped: number;
}

const WRITABLE = new Set(['.png', '.jpg', '.jpeg', '.webp']);

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function imagesIn(dir: string): Promise<string[]> {
  if (!(await isDir(dir))) return [];
  return (await readdir(dir, { withFileTypes: true }))
    .filter((e) => !e.isDirectory() && isImageFile(e.name))
    .map((e) => e.name)
    .sort();
}

function sideBySide(a: RawImage, b: RawImage): RawImage {
  const w = a.width + b.width;
  const h = a.height;
  const out = new Float32Array(3 * w * h);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < h; y++) {
      const o = c * w * h + y * w;
      out.set(a.data.subarray(c * a.width * h + y * a.width, c * a.width * h + (y + 1) * a.width), o);
      out.set(
        b.data.subarray(c * b.width * h + y * b.width, c * b.width * h + (y + 1) * b.width),
        o + a.width,
      );
    }
  }
  return { width: w, height: h, data: out };
}

async function mapLimit<T>(items: readonly T[], limit: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  const run = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, run));
}

export async function combineAB(opts: CombineOptions): Promise<CombineReport> {
  const { foldA, foldB, out } = opts;
  const notice = opts.notice ?? (() => undefined);
  if (!(await isDir(foldA))) throw new CombineError(`fold_A ${foldA} is not a folder`);
  if (!(await isDir(foldB))) throw new CombineError(`fold_B ${foldB} is not a folder`);
  const splits = (await readdir(foldA, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  if (splits.length === 0) {
    const loose = (await imagesIn(foldA)).length;
    throw new CombineError(
      `fold_A ${foldA} has no split folders: it should hold train/, val/, test/ (any names), each with pictures, and fold_B the same` +
        (loose
          ? ` (it holds ${loose} pictures directly; move them into e.g. ${path.join(foldA, 'train')})`
          : ''),
    );
  }
  const limit = opts.noMultiprocessing ? 1 : Math.max(1, Math.min(8, availableParallelism()));
  const report: CombineReport = { splits: [], written: 0, skipped: 0 };
  for (const split of splits) {
    const dirA = path.join(foldA, split);
    const dirB = path.join(foldB, split);
    const r: SplitReport = {
      split,
      written: [],
      onlyInA: [],
      onlyInB: [],
      sizeMismatch: [],
      unreadable: [],
      renamed: [],
    };
    report.splits.push(r);
    let namesA = await imagesIn(dirA);
    const namesB = await imagesIn(dirB);
    if (opts.useAB) namesA = namesA.filter((n) => n.includes('_A.'));
    const total = namesA.length;
    namesA = namesA.slice(0, Math.min(opts.numImgs ?? Infinity, namesA.length));
    notice(`split = ${split}, use ${namesA.length}/${total} images`);
    const partner = (a: string): string => (opts.useAB ? a.replace('_A.', '_B.') : a);
    const setB = new Set(namesB);
    const pairs = namesA.filter((a) => {
      if (setB.has(partner(a))) return true;
      r.onlyInA.push(a);
      return false;
    });
    const usedB = new Set(namesA.map(partner));
    r.onlyInB = namesB.filter((b) => !usedB.has(b) && (!opts.useAB || b.includes('_B.')));
    if (pairs.length === 0) continue;
    const outDir = path.join(out, split);
    await mkdir(outDir, { recursive: true });
    await mapLimit(pairs, limit, async (nameA) => {
      const nameB = partner(nameA);
      let a: RawImage;
      let b: RawImage;
      try {
        a = await loadImage(path.join(dirA, nameA), { maxSide: Infinity });
      } catch (e) {
        r.unreadable.push({ name: path.join(split, nameA), error: (e as Error).message });
        return;
      }
      try {
        b = await loadImage(path.join(dirB, nameB), { maxSide: Infinity });
      } catch (e) {
        r.unreadable.push({ name: path.join(split, nameB), error: (e as Error).message });
        return;
      }
      if (a.width !== b.width || a.height !== b.height) {
        r.sizeMismatch.push({ name: nameA, a: [a.width, a.height], b: [b.width, b.height] });
        return;
      }
      let nameAB = opts.useAB ? nameA.replace('_A.', '.') : nameA;
      const ext = path.extname(nameAB).toLowerCase();
      if (!WRITABLE.has(ext)) {
        const to = `${nameAB.slice(0, nameAB.length - ext.length)}.png`;
        r.renamed.push({ from: nameAB, to });
        nameAB = to;
      }
      const file = path.join(outDir, nameAB);
      // cv2.imwrite's JPEG quality.
      const stamp = optionsStamp('combine', { num_imgs: opts.numImgs, use_AB: opts.useAB ?? false }, { A: nameA, B: partner(nameA) });
      await saveImage(sideBySide(a, b), file, { quality: 95, text: stamp });
      r.written.push(file);
    });
    r.written.sort();
    r.sizeMismatch.sort((x, y) => (x.name < y.name ? -1 : 1));
    r.unreadable.sort((x, y) => (x.name < y.name ? -1 : 1));
    report.written += r.written.length;
  }
  for (const r of report.splits)
    report.skipped += r.onlyInA.length + r.sizeMismatch.length + r.unreadable.length;
  return report;
}

/** A readable account of what combineAB did and what it left out. */
export function formatCombineReport(report: CombineReport, maxNames = 10): string {
  const lines: string[] = [];
  const list = (names: string[]): string =>
    names.slice(0, maxNames).join(', ') + (names.length > maxNames ? `, ... (${names.length} in all)` : '');
  for (const r of report.splits) {
    lines.push(`${r.split}: ${r.written.length} pairs written`);
    if (r.onlyInA.length) lines.push(`  ${r.onlyInA.length} in A without a partner in B: ${list(r.onlyInA)}`);
    if (r.onlyInB.length) lines.push(`  ${r.onlyInB.length} in B without a partner in A: ${list(r.onlyInB)}`);
    if (r.sizeMismatch.length) {
      lines.push(`  ${r.sizeMismatch.length} pairs skipped because A and B differ in size:`);
      for (const m of r.sizeMismatch.slice(0, maxNames))
        lines.push(`    ${m.name}: A ${m.a[0]}x${m.a[1]}, B ${m.b[0]}x${m.b[1]}`);
      if (r.sizeMismatch.length > maxNames) lines.push(`    ... (${r.sizeMismatch.length} in all)`);
    }
    for (const u of r.unreadable.slice(0, maxNames)) lines.push(`  unreadable: ${u.error}`);
    if (r.renamed.length)
      lines.push(
        `  ${r.renamed.length} written as PNG (format not writable): ${list(r.renamed.map((x) => `${x.from} -> ${x.to}`))}`,
      );
  }
  lines.push(`total: ${report.written} written, ${report.skipped} skipped`);
  return lines.join('\n');
}
