/**
 * saveImage / encodeImage. Saving is atomic: bytes go to a hidden temp file in the target folder
 * and are renamed over the target only when complete, so an interrupt or a full disk leaves the
 * previous picture in place rather than half of a new one.
 */
import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { ImageError } from './errors.js';
import { assertRaw, toHWC8, type RawImage } from './raw.js';
import { addPngText } from './pngtext.js';

export type ImageFormat = 'png' | 'jpeg' | 'webp';

export interface EncodeOptions {
  /** JPEG/WebP quality 1..100. Default 92. */
  quality?: number;
  /** WebP only: lossless. */
  lossless?: boolean;
  /** PNG only: tEXt chunks (keyword -> text), e.g. optionsStamp() from pngtext.ts. */
  text?: Record<string, string>;
}

export interface SaveOptions extends EncodeOptions {
  /** Overrides the format the extension implies. */
  format?: ImageFormat;
  /** Create missing parent folders instead of failing. */
  mkdirs?: boolean;
}

const BY_EXT: Record<string, ImageFormat> = {
  '.png': 'png',
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.webp': 'webp',
};

export function formatFromPath(file: string): ImageFormat {
  const f = BY_EXT[path.extname(file).toLowerCase()];
  if (!f) {
    throw new ImageError(
      `cannot save ${file}: unknown extension "${path.extname(file)}" (use .png, .jpg, .jpeg or .webp)`,
      file,
    );
  }
  return f;
}

/** Encodes to PNG/JPEG/WebP; pixels clamped to [0,1] and rounded as (x*255).round(). */
export async function encodeImage(
  img: RawImage,
  format: ImageFormat = 'png',
  opts: EncodeOptions = {},
): Promise<Buffer> {
  assertRaw(img);
  const quality = opts.quality ?? 92;
  const s = sharp(toHWC8(img), { raw: { width: img.width, height: img.height, channels: 3 } });
  switch (format) {
    case 'png': {
      const png = await s.png({ compressionLevel: 6 }).toBuffer();
      return opts.text ? addPngText(png, opts.text) : png;
    }
    case 'jpeg':
      // 4:4:4 keeps the thin coloured strokes style transfer produces from bleeding.
      return s.jpeg({ quality, chromaSubsampling: '4:4:4', mozjpeg: false }).toBuffer();
    case 'webp':
      return s.webp({ quality, lossless: opts.lossless ?? false }).toBuffer();
    default:
      throw new ImageError(`unknown image format "${String(format)}"`);
  }
}

const pending = new Set<string>();
let exitHookInstalled = false;
function trackTemp(tmp: string): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // A CLI that exits on Ctrl-C via process.exit() still removes its half-written temp files.
    process.once('exit', () => {
      for (const f of pending) {
        try {
          unlinkSync(f);
        } catch {
          // already gone
        }
      }
    });
  }
  pending.add(tmp);
}

function describeFsError(e: unknown, dir: string): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'EACCES':
    case 'EPERM':
      return `permission denied writing in ${dir}`;
    case 'EROFS':
      return `${dir} is on a read-only file system`;
    case 'ENOSPC':
      return 'the disk is full';
    case 'EFBIG':
      return 'the file is larger than this process may write (file size limit)';
    case 'EDQUOT':
      return 'the disk quota is exceeded';
    case 'EISDIR':
      return 'a folder with that name exists';
    case 'ENAMETOOLONG':
      return 'the file name is too long';
    default:
      return err.code ? `${err.code}: ${err.message}` : String(e);
  }
}

/** Writes bytes to `file` atomically (temp file in the same folder, fsync, rename). */
export async function writeFileAtomic(
  file: string,
  bytes: Uint8Array,
  opts: { mkdirs?: boolean } = {},
): Promise<void> {
  const target = path.resolve(file);
  const dir = path.dirname(target);
  try {
    const st = await stat(dir);
    if (!st.isDirectory()) throw new ImageError(`cannot save ${file}: ${dir} is not a folder`, file);
  } catch (e) {
    if (e instanceof ImageError) throw e;
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ImageError(`cannot save ${file}: ${describeFsError(e, dir)}`, file, { cause: e });
    }
    if (!opts.mkdirs) {
      throw new ImageError(
        `cannot save ${file}: the folder ${dir} does not exist (create it first, or ask for missing folders to be created)`,
        file,
      );
    }
    try {
      await mkdir(dir, { recursive: true });
    } catch (e2) {
      throw new ImageError(`cannot save ${file}: cannot create ${dir}: ${describeFsError(e2, dir)}`, file, {
        cause: e2,
      });
    }
  }
  const tmp = path.join(
    dir,
    `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  trackTemp(tmp);
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new ImageError(`cannot save ${file}: ${describeFsError(e, dir)}`, file, { cause: e });
  } finally {
    pending.delete(tmp);
  }
}

/** Saves as PNG/JPEG/WebP by extension (or opts.format), atomically. */
export async function saveImage(img: RawImage, file: string, opts: SaveOptions = {}): Promise<void> {
  const format = opts.format ?? formatFromPath(file);
  const bytes = await encodeImage(img, format, opts);
  await writeFileAtomic(file, bytes, opts);
}
