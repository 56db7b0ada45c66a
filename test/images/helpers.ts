/** Shared bits for the images tests: a temp folder per test file and tiny PNG writers. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { after } from 'node:test';
import type { RawImage } from '../../src/images/index.js';

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `ai-art-${prefix}-`));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/**
 * A PNG whose header declares width x height (1-bit grey) with `rows` real rows of zeros: a
 * decompression-bomb shape that costs nothing to write.
 */
export function declaredPng(width: number, height: number, rows = 1): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // grey
  const raw = Buffer.alloc(rows * (1 + Math.ceil(width / 8)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A deterministic image with gradients and detail in every channel. */
export function patternRaw(width: number, height: number, seed = 1): RawImage {
  const n = width * height;
  const data = new Float32Array(3 * n);
  let s = seed;
  const rnd = (): number => (s = (s * 16807) % 2147483647) / 2147483647;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      data[i] = x / Math.max(1, width - 1);
      data[n + i] = ((x >> 2) + (y >> 2)) % 2 ? 0.85 : 0.15;
      data[2 * n + i] = rnd();
    }
  }
  return { width, height, data };
}

export function pixel(img: RawImage, x: number, y: number): [number, number, number] {
  const n = img.width * img.height;
  const i = y * img.width + x;
  return [img.data[i], img.data[n + i], img.data[2 * n + i]];
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
