/** Shared pieces of the studio tests: a studio on a random loopback port, test pictures, SSE. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { createStudio, type Studio, type StudioOptions } from '../../src/studio/server.js';
import { defineG } from '../../src/models/define.js';
import { Rng } from '../../src/nn/index.js';
import { writePth } from '../../src/weights/index.js';

export function tempHome(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `ai-art-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function startStudio(home: string, opts: StudioOptions = {}): Promise<Studio> {
  return createStudio({ home, port: 0, host: '127.0.0.1', abortGraceMs: 20000, ...opts });
}

/** A w x h picture with a diagonal gradient and a square, as PNG (or another format). */
export async function picture(w: number, h: number, seed = 0, format: 'png' | 'jpeg' | 'webp' = 'png'): Promise<Buffer> {
  const px = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = 3 * (y * w + x);
      const inSq = x > w / 4 && x < (3 * w) / 4 && y > h / 4 && y < (3 * h) / 4;
      px[i] = (x * 255) / w;
      px[i + 1] = inSq ? 220 : (y * 255) / h;
      px[i + 2] = (seed * 70 + x + y) % 256;
    }
  return sharp(px, { raw: { width: w, height: h, channels: 3 } }).toFormat(format).toBuffer();
}

export async function upload(url: string, bytes: Buffer, name = 'x.png', route = '/api/uploads'): Promise<Response> {
  const fd = new FormData();
  fd.append('file', new Blob([new Uint8Array(bytes)]), name);
  return fetch(`${url}${route}`, { method: 'POST', body: fd });
}

export async function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

export interface SseEvent {
  event: string;
  data: unknown;
}

/** Reads an SSE stream until `until` says stop (or the timeout); returns every event seen. */
export async function watch(url: string, until: (e: SseEvent, all: SseEvent[]) => boolean, timeoutMs = 120000): Promise<SseEvent[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const events: SseEvent[] = [];
  try {
    const res = await fetch(url, { signal: ac.signal });
    if (!res.body) throw new Error('no body');
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let k;
      while ((k = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, k);
        buf = buf.slice(k + 2);
        const ev = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (!ev || data === undefined) continue;
        const e = { event: ev, data: JSON.parse(data) as unknown };
        events.push(e);
        if (until(e, events)) {
          ac.abort();
          return events;
        }
      }
    }
  } catch (e) {
    if (!ac.signal.aborted) throw e;
  } finally {
    clearTimeout(timer);
  }
  return events;
}

/** A tiny pix2pix generator (unet_32, ngf 4, batch norm) with random weights, as a .pth. */
export async function tinyPix2pix(file: string, seed = 1): Promise<void> {
  // A large init gain: with the default 0.02 a random U-Net in eval mode gives flat grey whatever it is shown.
  const net = defineG({ netG: 'unet_32', ngf: 4, norm: 'batch', init_gain: 1 }, { rng: new Rng(seed) });
  await writePth(file, net.stateDict());
}

export function isFinished(status: unknown): boolean {
  return ['done', 'stopped', 'failed', 'cancelled'].includes(String(status));
}

/** A tiny fast-style TransformerNet (width 4) with random weights, as a .pth. */
export async function tinyFastStyle(file: string, seed = 1): Promise<void> {
  const { TransformerNet } = await import('../../src/models/transformer_net.js');
  const net = new TransformerNet({ width: 4, seed });
  const sd = net.stateDict();
  // Freshly initialised, the last layer gives values near 0 on a 0..255 scale (a black
  // picture); a larger last layer centred on mid-grey gives one that shows its input.
  const w = sd.get('deconv3.conv2d.weight')!;
  const b = sd.get('deconv3.conv2d.bias')!;
  sd.set('deconv3.conv2d.weight', { shape: w.shape, data: Float32Array.from(w.data as Float32Array, (v: number) => v * 400) });
  sd.set('deconv3.conv2d.bias', { shape: b.shape, data: new Float32Array(b.data.length).fill(128) });
  await writePth(file, sd);
}
