/** Finding a dataset's pictures (data/image_folder.py's make_dataset), with errors that say what to do. */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export class DataError extends Error {
  override name = 'DataError';
  constructor(
    message: string,
    /** The file or folder the error is about. */
    readonly file?: string,
  ) {
    super(message);
  }
}

/** The reference's IMG_EXTENSIONS (case as listed there), plus WebP. */
export const IMG_EXTENSIONS = [
  '.jpg',
  '.JPG',
  '.jpeg',
  '.JPEG',
  '.png',
  '.PNG',
  '.ppm',
  '.PPM',
  '.bmp',
  '.BMP',
  '.tif',
  '.TIF',
  '.tiff',
  '.TIFF',
  '.webp',
  '.WEBP',
];

export function isImageFile(name: string): boolean {
  return IMG_EXTENSIONS.some((e) => name.endsWith(e)) && !name.startsWith('.');
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if ((e.isFile() || e.isSymbolicLink()) && isImageFile(e.name)) out.push(p);
  }
}

/** What a folder holds, for messages ("it has: train, val"). */
export async function describeFolder(dir: string): Promise<string> {
  try {
    const names = (await readdir(dir, { withFileTypes: true }))
      .map((e) => (e.isDirectory() ? `${e.name}/` : e.name))
      .sort();
    if (names.length === 0) return 'it is empty';
    return `it has: ${names.slice(0, 12).join(', ')}${names.length > 12 ? `, ... (${names.length} entries)` : ''}`;
  } catch {
    return 'it cannot be listed';
  }
}

/**
 * Every picture under `dir` (subfolders too), sorted by path, at most `max`. The reference
 * truncates in directory order and sorts afterwards, which picks an arbitrary subset; sorting
 * first makes --max_dataset_size pick the same files everywhere.
 */
export async function makeDataset(dir: string, max = Infinity, what = 'images'): Promise<string[]> {
  if (!(await isDir(dir))) {
    const parent = path.dirname(dir);
    const hint = (await isDir(parent)) ? ` (${parent}: ${await describeFolder(parent)})` : '';
    throw new DataError(`${what}: ${dir} is not a folder${hint}`, dir);
  }
  const files: string[] = [];
  await walk(dir, files);
  files.sort();
  if (files.length === 0) {
    throw new DataError(
      `${what}: no pictures in ${dir} (looked for ${[...new Set(IMG_EXTENSIONS.map((e) => e.toLowerCase()))].join(' ')}); ${await describeFolder(dir)}`,
      dir,
    );
  }
  return files.slice(0, Math.min(max, files.length));
}
