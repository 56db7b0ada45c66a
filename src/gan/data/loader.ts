/**
 * Batches for the training loop, prepared ahead by the decode workers. An epoch's order and
 * every item's random crop/flip/partner come from one seeded Rng when the epoch starts, so the
 * data a run sees depends only on --seed, and the loader's state (that Rng at the epoch's start
 * and how many batches were consumed) resumes a killed run at exactly the next batch.
 */
import { Rng } from '../../nn/random.js';
import type { GanBaseOptions } from '../options.js';
import { createDataset, type GanDataset } from './dataset.js';
import { DataError } from './files.js';
import type { ItemJob, ItemResult } from './item.js';
import { deriveSeed } from './rng.js';
import { DecodePool, type ItemOutcome } from './workers.js';

export type NCHW = [number, number, number, number];

export interface BatchTensor {
  data: Float32Array;
  shape: NCHW;
}

/**
 * One batch. A is the network's input domain and B its target: --direction is already applied
 * (the reference swaps in the model's set_input; do not swap again). B is absent for
 * --dataset_mode single.
 */
export interface Batch {
  A: BatchTensor;
  B?: BatchTensor;
  A_paths: string[];
  B_paths: string[];
  /** Batch number within the epoch, from 0. */
  index: number;
  /** Items in this batch (the last batch of an epoch may be short; skipped files shrink it). */
  size: number;
}

export interface LoaderState {
  /** The data Rng's state when the current epoch began. */
  rng: number[];
  /** Batches of the current epoch already handed out. */
  cursor: number;
  /** Epochs completed by this loader (for sanity checks on resume). */
  epochs: number;
  /** Items per epoch when saved; a different dataset cannot resume this order. */
  length: number;
}

export interface LoaderOptions {
  batch_size: number;
  serial_batches: boolean;
  num_threads: number;
  seed: number;
  strict: boolean;
  max_dataset_size: number;
  /** Batches prepared ahead of the one being used. Default: enough to keep every worker busy. */
  prefetch?: number;
  /** Where warnings go (skipped files, odd sizes). Default: stderr. */
  warn?: (msg: string) => void;
  /** Decode workers to use instead of starting num_threads new ones (the loader then leaves them open). */
  pool?: DecodePool;
}

/** Notices of one kind shown before the rest are only counted. */
const NOTICE_CAP = 5;

export class GanDataLoader {
  private readonly pool: DecodePool;
  private readonly ownPool: boolean;
  private rngState: number[];
  private cursor = 0;
  private epochs = 0;
  private readonly warn: (msg: string) => void;
  private readonly noticeCounts = new Map<string, number>();
  private readonly seen = new Set<string>();
  private readonly badFiles = new Set<string>();
  private active = false;

  constructor(
    readonly dataset: GanDataset,
    private readonly opts: LoaderOptions,
  ) {
    if (!(opts.batch_size >= 1))
      throw new RangeError(`batch_size must be at least 1, got ${opts.batch_size}`);
    this.ownPool = !opts.pool;
    this.pool = opts.pool ?? new DecodePool(opts.num_threads);
    this.rngState = new Rng(deriveSeed(opts.seed, 'data')).getState();
    this.warn = opts.warn ?? ((m) => process.stderr.write(`warning: ${m}\n`));
    for (const n of dataset.notes) this.warn(n);
  }

  /** Dataset and loader from the options, as the reference's create_dataset(opt). */
  static async create(
    opt: GanBaseOptions,
    o: Pick<LoaderOptions, 'warn' | 'prefetch' | 'pool'> = {},
  ): Promise<GanDataLoader> {
    const ds = await createDataset(opt);
    return new GanDataLoader(ds, { ...opt, ...o });
  }

  /** Items per epoch: min(len(dataset), max_dataset_size). */
  get length(): number {
    return Math.min(this.dataset.length, this.opts.max_dataset_size);
  }

  get batchesPerEpoch(): number {
    return Math.ceil(this.length / this.opts.batch_size);
  }

  get threads(): number {
    return this.pool.threads;
  }

  /** Files skipped so far because they could not be read. */
  get skipped(): readonly string[] {
    return [...this.badFiles];
  }

  state(): LoaderState {
    return { rng: [...this.rngState], cursor: this.cursor, epochs: this.epochs, length: this.length };
  }

  setState(s: LoaderState): void {
    if (this.active) throw new DataError('cannot restore the data loader state in the middle of an epoch');
    if (s.length !== this.length) {
      throw new DataError(
        `the saved data order is for ${s.length} images per epoch, but the dataset now has ${this.length}; the run cannot resume exactly (start the epoch afresh instead)`,
      );
    }
    if (s.rng.length !== 5 || !(s.cursor >= 0))
      throw new DataError('the saved data loader state is malformed');
    this.rngState = [...s.rng];
    this.cursor = s.cursor;
    this.epochs = s.epochs;
  }

  /** The epoch's jobs, batched. Consumes the Rng exactly as every other run with this seed does. */
  private planEpoch(rng: Rng): ItemJob[][] {
    const n = this.length;
    const order = Array.from({ length: n }, (_, i) => i);
    if (!this.opts.serial_batches) rng.shuffle(order);
    const jobs = order.map((i) => this.dataset.plan(i, rng, this.opts.serial_batches));
    const batches: ItemJob[][] = [];
    for (let i = 0; i < n; i += this.opts.batch_size) batches.push(jobs.slice(i, i + this.opts.batch_size));
    return batches;
  }

  private notice(kind: string, message: string): void {
    if (this.seen.has(message)) return;
    this.seen.add(message);
    const c = (this.noticeCounts.get(kind) ?? 0) + 1;
    this.noticeCounts.set(kind, c);
    // The reference prints its multiple-of-4 warning once; other kinds name a few files.
    const cap = kind === 'resize' ? 1 : NOTICE_CAP;
    if (c <= cap) this.warn(message);
    else if (c === cap + 1 && kind !== 'resize') this.warn(`(further ${kind} notices are not shown)`);
  }

  private assemble(index: number, jobs: ItemJob[], outcomes: ItemOutcome[]): Batch | null {
    const items: ItemResult[] = [];
    const aPaths: string[] = [];
    const bPaths: string[] = [];
    for (let i = 0; i < outcomes.length; i++) {
      const o = outcomes[i];
      if (!o.ok) {
        if (o.internal) throw new Error(`decoding failed unexpectedly: ${o.message}`);
        if (this.opts.strict)
          throw new DataError(`${o.message} (--strict stops at unreadable images)`, o.file);
        if (!this.badFiles.has(o.file)) {
          this.badFiles.add(o.file);
          this.warn(`skipping ${o.file}: ${o.message}`);
        }
        continue;
      }
      for (const n of o.result.notices) this.notice(n.kind, n.message);
      items.push(o.result);
      const job = jobs[i];
      if (job.kind === 'aligned') {
        aPaths.push(job.path);
        bPaths.push(job.path);
      } else if (job.kind === 'resize_crop_255') {
        aPaths.push(job.path);
      } else {
        aPaths.push(job.A.path);
        if (job.kind === 'unaligned') bPaths.push(job.B.path);
      }
    }
    if (items.length === 0) return null;
    const stack = (side: 'A' | 'B'): BatchTensor => {
      const first = items[0][side];
      if (!first) throw new Error(`no ${side} tensors`);
      const [c, h, w] = first.shape;
      const per = c * h * w;
      const data = new Float32Array(items.length * per);
      items.forEach((it, k) => {
        const t = it[side];
        if (!t || t.shape[0] !== c || t.shape[1] !== h || t.shape[2] !== w) {
          throw new DataError(
            `batch ${index}: ${side === 'A' ? aPaths[k] : bPaths[k]} is ${t?.shape[2]}x${t?.shape[1]} after preprocessing but ${side === 'A' ? aPaths[0] : bPaths[0]} is ${w}x${h}; ` +
              'pictures in one batch must end the same size: use --batch_size 1 or a --preprocess that crops',
          );
        }
        data.set(t.data, k * per);
      });
      return { data, shape: [items.length, c, h, w] };
    };
    return {
      A: stack('A'),
      B: items[0].B ? stack('B') : undefined,
      A_paths: aPaths,
      B_paths: bPaths,
      index,
      size: items.length,
    };
  }

  /**
   * The rest of the current epoch's batches (all of them unless resuming mid-epoch). Breaking
   * out early leaves the position where it is; the next call continues the same epoch.
   */
  async *epoch(): AsyncGenerator<Batch, void, undefined> {
    if (this.active) throw new DataError('an epoch is already being iterated');
    this.active = true;
    const rng = new Rng();
    rng.setState(this.rngState);
    const batches = this.planEpoch(rng);
    const afterPlan = rng.getState();
    const cfg = this.dataset.transform;
    const ahead = Math.max(
      1,
      this.opts.prefetch ??
        Math.max(2, Math.ceil((2 * Math.max(1, this.pool.threads)) / this.opts.batch_size)),
    );
    const inflight = new Map<number, Promise<ItemOutcome[]>>();
    const start = (b: number): void => {
      if (b < batches.length && !inflight.has(b)) {
        const p = Promise.all(batches[b].map((j) => this.pool.run(j, cfg)));
        // Rejections surface when the batch is awaited; this only stops an "unhandled" report meanwhile.
        p.catch(() => undefined);
        inflight.set(b, p);
      }
    };
    try {
      for (let b = this.cursor; b < batches.length; b++) {
        for (let k = b; k <= b + ahead; k++) start(k);
        const outcomes = await (inflight.get(b) as Promise<ItemOutcome[]>);
        inflight.delete(b);
        const batch = this.assemble(b, batches[b], outcomes);
        this.cursor = b + 1;
        if (batch) yield batch;
      }
      this.rngState = afterPlan;
      this.cursor = 0;
      this.epochs++;
    } finally {
      this.active = false;
    }
  }

  /** Stops the decode workers (unless they were handed in). */
  async close(): Promise<void> {
    if (this.ownPool) await this.pool.close();
  }
}
