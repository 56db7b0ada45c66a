/**
 * A small pool of worker threads that decode and augment dataset items, so the training loop's
 * thread only assembles batches. With 0 threads items are processed inline (still async: sharp
 * decodes on libuv's pool), as the reference's --num_threads 0 loads in the main process.
 */
import { Worker } from 'node:worker_threads';
import { threadId as mainThreadId } from 'node:worker_threads';
import { ItemError, processItem, type ItemJob, type ItemResult } from './item.js';
import type { TransformConfig } from './transform.js';
import { DataError } from './files.js';

export type ItemOutcome =
  | { ok: true; result: ItemResult; threadId: number }
  | { ok: false; file: string; message: string; threadId: number; internal?: boolean };

interface Pending {
  resolve: (o: ItemOutcome) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: number;
}

/** Jobs in flight per worker: two lets a worker transform one item while sharp decodes the next. */
const PER_WORKER = 2;

// Under tsx the sources are .ts files; built, they are .js next to this module.
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(FROM_SOURCE ? './worker.ts' : './worker.js', import.meta.url);

/**
 * Loader hooks registered by `--import tsx` do not reach worker threads on Node 20, so a worker
 * started from the TypeScript sources registers tsx itself before importing its entry.
 */
function startWorker(): Worker {
  if (!FROM_SOURCE) return new Worker(WORKER_URL);
  let tsx: string;
  try {
    tsx = import.meta.resolve('tsx/esm/api');
  } catch {
    return new Worker(WORKER_URL);
  }
  const boot =
    'const { workerData } = require("node:worker_threads");\n' +
    'import(workerData.tsx).then((api) => { api.register(); return import(workerData.entry); });\n';
  return new Worker(boot, { eval: true, workerData: { tsx, entry: WORKER_URL.href } });
}

export class DecodePool {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly queue: { id: number; job: ItemJob; cfg: TransformConfig }[] = [];
  private nextId = 0;
  private failure: Error | null = null;
  private closed = false;

  constructor(readonly threads: number) {
    if (!Number.isInteger(threads) || threads < 0)
      throw new RangeError(`DecodePool: threads must be a non-negative integer, got ${threads}`);
  }

  private spawn(): void {
    while (this.slots.length < this.threads) {
      const worker = startWorker();
      const slot: Slot = { worker, busy: 0 };
      worker.on('message', (msg: ItemOutcome & { id: number }) => this.onMessage(slot, msg));
      worker.on('error', (e) => this.fail(new DataError(`a decode worker failed: ${e.message}`)));
      worker.on('exit', (code) => {
        if (!this.closed) this.fail(new DataError(`a decode worker exited unexpectedly (code ${code})`));
      });
      worker.unref();
      this.slots.push(slot);
    }
  }

  private onMessage(slot: Slot, msg: ItemOutcome & { id: number }): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    slot.busy--;
    if (slot.busy === 0) slot.worker.unref();
    const { id: _id, ...outcome } = msg;
    p.resolve(outcome as ItemOutcome);
    this.pump();
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private pump(): void {
    while (this.queue.length) {
      let best: Slot | undefined;
      for (const s of this.slots) if (s.busy < PER_WORKER && (!best || s.busy < best.busy)) best = s;
      if (!best) return;
      const req = this.queue.shift() as { id: number; job: ItemJob; cfg: TransformConfig };
      // A worker with work keeps the process alive; an idle one must not.
      if (best.busy === 0) best.worker.ref();
      best.busy++;
      best.worker.postMessage(req);
    }
  }

  /** Loads and transforms one item; an unreadable file resolves with ok: false (never rejects for it). */
  run(job: ItemJob, cfg: TransformConfig): Promise<ItemOutcome> {
    if (this.closed) return Promise.reject(new DataError('the decode pool is closed'));
    if (this.failure) return Promise.reject(this.failure);
    if (this.threads === 0) {
      return processItem(job, cfg).then(
        (result): ItemOutcome => ({ ok: true, result, threadId: mainThreadId }),
        (e: unknown): ItemOutcome => {
          if (e instanceof ItemError)
            return { ok: false, file: e.file, message: e.message, threadId: mainThreadId };
          throw e;
        },
      );
    }
    this.spawn();
    const id = this.nextId++;
    return new Promise<ItemOutcome>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.queue.push({ id, job, cfg });
      this.pump();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    for (const p of this.pending.values()) p.reject(new DataError('the decode pool was closed'));
    this.pending.clear();
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }
}
