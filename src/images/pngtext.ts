/**
 * PNG text chunks (tEXt): how ai-art stamps the options that made a picture into the PNG
 * itself, so the studio (or any PNG reader: exiftool, PIL's Image.text) can restore them.
 * Written here rather than through sharp because sharp only writes EXIF and XMP, not
 * arbitrary tEXt keywords. The chunk goes right after IHDR, so readers that stop at the
 * first IDAT still see it.
 */
import { crc32 } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The keyword ai-art's options go under; the value is JSON (see optionsStamp). */
export const AI_ART_KEY = 'ai-art';

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && Buffer.from(bytes.subarray(0, 8)).equals(SIGNATURE);
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * tEXt is Latin-1 only; values are made pure ASCII (non-ASCII as \uXXXX, which JSON reads
 * back as the same string) so nothing is lost whatever a reader assumes.
 */
function asciiSafe(s: string): string {
  return s.replace(/[^\x20-\x7e\n]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Inserts tEXt chunks (keyword -> text) after IHDR, replacing existing ones with the same keywords. */
export function addPngText(png: Uint8Array, entries: Record<string, string>): Buffer {
  const buf = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (!isPng(buf)) throw new Error('addPngText: not a PNG');
  const keys = new Set(Object.keys(entries));
  for (const k of keys) {
    if (!/^[\x20-\x7e]{1,79}$/.test(k) || k.startsWith(' ') || k.endsWith(' ')) throw new Error(`addPngText: invalid keyword '${k}'`);
  }
  const parts: Buffer[] = [SIGNATURE];
  let off = 8;
  while (off + 12 <= buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const end = off + 12 + len;
    if (end > buf.length) throw new Error('addPngText: truncated PNG');
    const data = buf.subarray(off + 8, off + 8 + len);
    const drop = type === 'tEXt' && keys.has(data.toString('latin1', 0, Math.max(0, data.indexOf(0))));
    if (!drop) parts.push(buf.subarray(off, end));
    if (type === 'IHDR') {
      for (const [k, v] of Object.entries(entries)) parts.push(chunk('tEXt', Buffer.from(`${k}\0${asciiSafe(v)}`, 'latin1')));
    }
    off = end;
    if (type === 'IEND') break;
  }
  return Buffer.concat(parts);
}

/** All tEXt chunks of a PNG (keyword -> text); {} for anything that is not a PNG. Never throws. */
export function readPngText(png: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const buf = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (!isPng(buf)) return out;
  let off = 8;
  while (off + 12 <= buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    if (off + 12 + len > buf.length) break;
    if (type === 'tEXt') {
      const data = buf.subarray(off + 8, off + 8 + len);
      const z = data.indexOf(0);
      if (z > 0) out[data.toString('latin1', 0, z)] = data.toString('latin1', z + 1);
    }
    // Text after the image data is legal too, so the scan goes on past IDAT.
    if (type === 'IEND') break;
    off += 12 + len;
  }
  return out;
}

/** What ai-art records about a picture: the command, its options and the inputs' names. */
export interface OptionsStamp {
  /** Format version of this record. */
  v: 1;
  command: string;
  options: Record<string, unknown>;
  inputs?: Record<string, string | string[]>;
}

export function optionsStamp(command: string, options: object, inputs?: OptionsStamp['inputs']): Record<string, string> {
  const clean: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (v !== undefined) clean[k] = v;
  const stamp: OptionsStamp = { v: 1, command, options: clean, ...(inputs ? { inputs } : {}) };
  return { [AI_ART_KEY]: JSON.stringify(stamp), Software: 'ai-art' };
}

/** The stamp in a PNG, or null when there is none (or it is not ai-art's). */
export function readOptionsStamp(png: Uint8Array): OptionsStamp | null {
  const t = readPngText(png)[AI_ART_KEY];
  if (!t) return null;
  try {
    const s = JSON.parse(t) as Partial<OptionsStamp>;
    if (s.v !== 1 || typeof s.command !== 'string' || typeof s.options !== 'object' || s.options === null) return null;
    return s as OptionsStamp;
  } catch {
    return null;
  }
}
