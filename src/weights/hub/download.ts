/**
 * HTTP(S) download into a `.part` file that survives interruptions: the next
 * attempt asks for the remaining bytes with a Range request (If-Range guarded, so
 * a file that changed on the server restarts from zero) and hashes as it goes.
 * A connection that delivers nothing for `timeoutMs` is abandoned with a clear
 * error rather than hanging.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { HubError } from './errors.js';

export interface DownloadProgress {
  url: string;
  /** Bytes in the .part file so far (including a resumed beginning). */
  received: number;
  /** Size of the whole file, when the server said. */
  total: number | null;
  /** Bytes that were already there from an earlier attempt. */
  resumedFrom: number;
  /** Recent transfer rate. */
  bytesPerSecond: number;
  etaSeconds: number | null;
  done: boolean;
}

export interface DownloadOptions {
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Give up when no byte arrives for this long (connecting included). Default 30 s. */
  timeoutMs?: number;
  maxRedirects?: number;
}

export interface DownloadResult {
  sha256: string;
  size: number;
}

interface PartMeta {
  url: string;
  etag?: string;
  lastModified?: string;
  total?: number;
}

const NETWORK_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNABORTED',
]);

export function metaPath(part: string): string {
  return `${part}.json`;
}

async function readMeta(part: string): Promise<PartMeta | null> {
  try {
    const m = JSON.parse(await readFile(metaPath(part), 'utf8')) as PartMeta;
    return typeof m.url === 'string' ? m : null;
  } catch {
    return null;
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function hashFile(path: string, h: Hash): Promise<void> {
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
}

/** Deletes a .part file and its metadata. */
export async function discardPart(part: string): Promise<void> {
  await rm(part, { force: true });
  await rm(metaPath(part), { force: true });
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

interface Response {
  res: IncomingMessage;
  url: string;
}

function get(
  url: string,
  headers: Record<string, string>,
  opts: DownloadOptions,
  redirects: number,
): Promise<Response> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      reject(new HubError('network', `invalid download URL '${url}'`));
      return;
    }
    const mod = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : null;
    if (!mod) {
      reject(new HubError('network', `unsupported URL scheme in '${url}' (use http or https)`));
      return;
    }
    const req = mod.get(u, { headers, signal: opts.signal }, (res) => {
      // From here the body's own idle timer (in downloadToPart) decides; two timers would race.
      req.setTimeout(0);
      const status = res.statusCode ?? 0;
      const loc = res.headers.location;
      if (status >= 300 && status < 400 && loc) {
        res.resume();
        if (redirects >= (opts.maxRedirects ?? 5)) {
          reject(new HubError('http', `too many redirects fetching ${url}`));
          return;
        }
        get(new URL(loc, u).toString(), headers, opts, redirects + 1).then(resolve, reject);
        return;
      }
      resolve({ res, url });
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy(
        new HubError('timeout', `no response from ${u.host} within ${(timeoutMs / 1000).toFixed(1)} s`),
      );
    });
    req.on('error', (e) => reject(translate(e, url, opts)));
  });
}

function translate(e: unknown, url: string, opts: DownloadOptions): Error {
  if (e instanceof HubError) return e;
  if (opts.signal?.aborted) return new HubError('aborted', `download of ${url} was cancelled`, { cause: e });
  const code = (e as NodeJS.ErrnoException).code;
  if (code && NETWORK_CODES.has(code))
    return new HubError('network', `cannot reach ${hostOf(url)} (${code})`, { cause: e });
  return new HubError('network', `download of ${url} failed: ${(e as Error).message ?? String(e)}`, {
    cause: e,
  });
}

/** Rate over the last few seconds, so the ETA follows the current speed. */
class RateMeter {
  private samples: [number, number][] = [];
  add(t: number, bytes: number): number {
    this.samples.push([t, bytes]);
    while (this.samples.length > 2 && t - this.samples[0][0] > 5000) this.samples.shift();
    const [t0, b0] = this.samples[0];
    return t > t0 ? ((bytes - b0) * 1000) / (t - t0) : 0;
  }
}

/**
 * Downloads `url` into `part`, continuing a previous partial download of the same
 * URL when there is one. Returns the sha256 and size of the complete file.
 */
export async function downloadToPart(
  url: string,
  part: string,
  opts: DownloadOptions = {},
): Promise<DownloadResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  let meta = await readMeta(part);
  let existing = meta && meta.url === url ? await sizeOf(part) : 0;
  if (existing === 0) await discardPart(part);

  const headers: Record<string, string> = { 'user-agent': 'ai-art', 'accept-encoding': 'identity' };
  if (existing > 0) {
    headers.range = `bytes=${existing}-`;
    const validator = meta?.etag ?? meta?.lastModified;
    if (validator) headers['if-range'] = validator;
  }
  let { res } = await get(url, headers, opts, 0);
  let status = res.statusCode ?? 0;

  if (status === 416 && existing > 0) {
    // Nothing left to send: the part may already be complete.
    const m = /\*\/(\d+)/.exec(res.headers['content-range'] ?? '');
    res.resume();
    if (m && Number(m[1]) === existing) {
      const h = createHash('sha256');
      await hashFile(part, h);
      return { sha256: h.digest('hex'), size: existing };
    }
    await discardPart(part);
    existing = 0;
    delete headers.range;
    delete headers['if-range'];
    ({ res } = await get(url, headers, opts, 0));
    status = res.statusCode ?? 0;
  }
  if (status !== 200 && status !== 206) {
    res.resume();
    if (status === 404 || status === 410) await discardPart(part);
    throw new HubError(
      'http',
      `HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''} for ${url}`,
    );
  }

  let append = false;
  let total: number | null = null;
  if (status === 206) {
    const m = /bytes (\d+)-(\d+)\/(\d+|\*)/.exec(res.headers['content-range'] ?? '');
    if (!m || Number(m[1]) !== existing) {
      res.resume();
      await discardPart(part);
      throw new HubError(
        'http',
        `the server answered the resume request for ${url} with a wrong range (${res.headers['content-range'] ?? 'none'}); run the command again to start over`,
      );
    }
    append = true;
    total = m[3] === '*' ? null : Number(m[3]);
  } else {
    existing = 0;
    const len = res.headers['content-length'];
    total = len !== undefined && /^\d+$/.test(len) ? Number(len) : null;
  }

  const etag = res.headers.etag;
  const lastModified = res.headers['last-modified'];
  meta = {
    url,
    ...(etag ? { etag } : {}),
    ...(lastModified ? { lastModified } : {}),
    ...(total !== null ? { total } : {}),
  };
  await writeFile(metaPath(part), JSON.stringify(meta));

  const hash = createHash('sha256');
  if (append) await hashFile(part, hash);
  const fh = await open(part, append ? 'a' : 'w');
  let received = existing;
  const meter = new RateMeter();
  const started = Date.now();
  let lastReport = 0;
  const report = (done: boolean): void => {
    if (!opts.onProgress) return;
    const now = Date.now();
    if (!done && now - lastReport < 100) return;
    lastReport = now;
    const rate = meter.add(now - started, received - existing);
    const eta = total !== null && rate > 0 ? Math.max(0, (total - received) / rate) : null;
    opts.onProgress({
      url,
      received,
      total,
      resumedFrom: existing,
      bytesPerSecond: rate,
      etaSeconds: done ? 0 : eta,
      done,
    });
  };

  let idle: NodeJS.Timeout | undefined;
  let stalled: HubError | undefined;
  const arm = (): void => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      stalled = new HubError(
        'timeout',
        `no data from ${hostOf(url)} for ${(timeoutMs / 1000).toFixed(1)} s after ${received} bytes; the partial download is kept and the next pull resumes it`,
      );
      res.destroy(stalled);
    }, timeoutMs);
  };
  try {
    report(false);
    arm();
    for await (const chunk of res) {
      arm();
      const b = chunk as Buffer;
      let done = 0;
      while (done < b.length) done += (await fh.write(b, done, b.length - done)).bytesWritten;
      hash.update(b);
      received += b.length;
      report(false);
    }
    clearTimeout(idle);
    if (total !== null && received !== total) {
      throw new HubError(
        'interrupted',
        `download of ${url} stopped after ${received} of ${total} bytes; run the same command again to resume`,
      );
    }
    await fh.sync();
  } catch (e) {
    clearTimeout(idle);
    if (stalled) throw stalled;
    if (e instanceof HubError) throw e;
    if (opts.signal?.aborted)
      throw new HubError(
        'aborted',
        `download of ${url} was cancelled after ${received} bytes; the next pull resumes it`,
        { cause: e },
      );
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC')
      throw new HubError('io', `disk full while downloading ${url} (${received} bytes written)`, {
        cause: e,
      });
    throw new HubError(
      'interrupted',
      `download of ${url} was interrupted after ${received}${total !== null ? ` of ${total}` : ''} bytes (${code ?? (e as Error).message}); run the same command again to resume`,
      { cause: e },
    );
  } finally {
    await fh.close();
  }
  report(true);
  return { sha256: hash.digest('hex'), size: received };
}
