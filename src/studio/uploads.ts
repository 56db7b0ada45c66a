/**
 * Uploads: images are identified by content (sha256), typed by what sharp finds in the
 * bytes (never by the file name), checked against the byte and pixel limits, and decoded
 * once in full (in sharp's thread pool) so a truncated file is refused at the door. PNGs
 * that ai-art wrote bring back the options that made them.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { readOptionsStamp, writeFileAtomic, type OptionsStamp } from '../images/index.js';
import type { Store } from './store.js';

export interface StudioLimits {
  /** Bytes of one uploaded image. */
  maxUploadBytes: number;
  /** Bytes of one uploaded .pth/.onnx model. */
  maxModelBytes: number;
  /** Pixels (width x height) of one image. */
  maxPixels: number;
  /** Longest side of one image. */
  maxSide: number;
}

export const DEFAULT_LIMITS: StudioLimits = {
  maxUploadBytes: 32 * 1024 * 1024,
  maxModelBytes: 700 * 1024 * 1024,
  maxPixels: 40_000_000,
  maxSide: 8192,
};

/** An error the client caused: becomes a 4xx with this message. */
export class ClientError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export const IMAGE_TYPES: Record<string, string> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif' };

export interface UploadInfo {
  id: string;
  name: string;
  format: string;
  width: number;
  height: number;
  bytes: number;
  /** The options an ai-art PNG carries. */
  stamp: OptionsStamp | null;
}

/** A display name only (files are stored by hash): no folders, no control characters. */
export function displayName(name: string | undefined): string {
  const base = path.basename(String(name ?? '').replace(/\\/g, '/'));
  const clean = base.replace(/[\x00-\x1f\x7f]/g, '').slice(0, 100);
  return clean || 'image';
}

/** Type, size and integrity from the bytes; throws ClientError. */
export async function checkImage(bytes: Buffer, limits: StudioLimits): Promise<{ format: string; width: number; height: number }> {
  if (bytes.length === 0) throw new ClientError(400, 'empty file');
  if (bytes.length > limits.maxUploadBytes) throw new ClientError(413, `image larger than ${limits.maxUploadBytes} bytes`);
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>["metadata"]>>;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw new ClientError(415, 'not an image (PNG, JPEG, WebP or GIF)');
  }
  const format = meta.format ?? '';
  if (!IMAGE_TYPES[format]) throw new ClientError(415, `unsupported image type '${format}' (PNG, JPEG, WebP or GIF)`);
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (width * height > limits.maxPixels) throw new ClientError(413, `image has ${width}x${height} pixels; the limit is ${limits.maxPixels} pixels`);
  if (Math.max(width, height) > limits.maxSide) throw new ClientError(413, `image is ${width}x${height}; the longest side may be ${limits.maxSide} pixels`);
  try {
    await sharp(bytes, { failOn: 'error', limitInputPixels: limits.maxPixels }).resize(8, 8, { fit: 'inside' }).raw().toBuffer();
  } catch (e) {
    throw new ClientError(422, `the image cannot be decoded (${(e as Error).message})`);
  }
  return { format, width, height };
}

export async function saveUpload(store: Store, bytes: Buffer, name: string | undefined, limits: StudioLimits): Promise<UploadInfo> {
  const { format, width, height } = await checkImage(bytes, limits);
  const id = createHash('sha256').update(bytes).digest('hex');
  const info: UploadInfo = { id, name: displayName(name), format, width, height, bytes: bytes.length, stamp: format === 'png' ? readOptionsStamp(bytes) : null };
  const file = store.uploadPath(id);
  if (!fs.existsSync(file)) await writeFileAtomic(file, bytes);
  await writeFileAtomic(`${file}.json`, Buffer.from(JSON.stringify(info)));
  return info;
}

export async function uploadInfo(store: Store, id: string): Promise<UploadInfo | null> {
  if (!store.uploadExists(id)) return null;
  try {
    return JSON.parse(await readFile(`${store.uploadPath(id)}.json`, 'utf8')) as UploadInfo;
  } catch {
    return null;
  }
}
