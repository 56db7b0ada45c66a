/**
 * A lock file shared by processes on one machine (O_EXCL create). The holder
 * refreshes its mtime while working; a lock whose process is gone, or which has
 * not been refreshed for `staleMs`, is taken over, so a killed download never
 * blocks the next one for long.
 */
import { open, readFile, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { HubError } from './errors.js';

export interface LockOptions {
  signal?: AbortSignal;
  staleMs?: number;
  pollMs?: number;
  /** Called once when the lock is busy and we start waiting. */
  onWait?: (holder: LockInfo | null) => void;
}

export interface LockInfo {
  pid: number;
  host: string;
  since: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(path: string): Promise<LockInfo | null> {
  try {
    const j = JSON.parse(await readFile(path, 'utf8')) as Partial<LockInfo>;
    if (typeof j.pid === 'number' && typeof j.host === 'string' && typeof j.since === 'number')
      return j as LockInfo;
  } catch {
    /* being written right now, or damaged: judged by age below */
  }
  return null;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export async function withFileLock<T>(
  path: string,
  fn: () => Promise<T>,
  opts: LockOptions = {},
): Promise<T> {
  const staleMs = opts.staleMs ?? 30_000;
  const pollMs = opts.pollMs ?? 100;
  let waited = false;
  for (;;) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    try {
      const fh = await open(path, 'wx');
      try {
        await fh.writeFile(JSON.stringify({ pid: process.pid, host: hostname(), since: Date.now() }));
      } finally {
        await fh.close();
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new HubError(
          'io',
          `cannot create lock ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
          { cause: e },
        );
      }
    }
    const holder = await readHolder(path);
    let mtime: number;
    try {
      mtime = (await stat(path)).mtimeMs;
    } catch {
      continue; // released between our attempts
    }
    const dead = holder !== null && holder.host === hostname() && !alive(holder.pid);
    if (dead || Date.now() - mtime > staleMs) {
      await unlink(path).catch(() => undefined);
      continue;
    }
    if (!waited) {
      waited = true;
      opts.onWait?.(holder);
    }
    await sleep(pollMs, opts.signal);
  }
  const beat = setInterval(
    () => {
      const now = new Date();
      utimes(path, now, now).catch(() => undefined);
    },
    Math.max(50, staleMs / 3),
  );
  beat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(beat);
    await unlink(path).catch(() => undefined);
  }
}
