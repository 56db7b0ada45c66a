/**
 * The reference's dataset classes (unaligned, aligned, single): which files make an item and
 * which random numbers it uses. Pixels are handled by item.ts in a decode worker.
 */
import path from 'node:path';
import { stat } from 'node:fs/promises';
import type { Rng } from '../../nn/random.js';
import type { GanBaseOptions } from '../options.js';
import { DataError, describeFolder, makeDataset } from './files.js';
import type { ItemJob, SideJob } from './item.js';
import type { TransformConfig, Uniforms } from './transform.js';

/** --dataset_mode of the official code. */
export const DATASET_MODES = ['unaligned', 'aligned', 'single'] as const;
export type DatasetMode = (typeof DATASET_MODES)[number];

export interface GanDataset {
  readonly mode: DatasetMode;
  /** Items per epoch (the reference's __len__). */
  readonly length: number;
  /** Class name as the reference prints it ("dataset [AlignedDataset] was created"). */
  readonly className: string;
  readonly transform: TransformConfig;
  /** Files by role, sorted (unaligned: A and B folders; aligned/single: A only). */
  readonly A_paths: readonly string[];
  readonly B_paths: readonly string[];
  /** Things worth telling the user about the folder layout; nothing fatal. */
  readonly notes: readonly string[];
  /** The job for item `index`; draws its random numbers from `rng` in a fixed pattern. */
  plan(index: number, rng: Rng, serial: boolean): ItemJob;
}

function uniforms(rng: Rng): Uniforms {
  return [rng.next(), rng.next(), rng.next()];
}

export function transformConfig(
  opt: Pick<GanBaseOptions, 'preprocess' | 'load_size' | 'crop_size' | 'no_flip'>,
): TransformConfig {
  return {
    preprocess: opt.preprocess,
    load_size: opt.load_size,
    crop_size: opt.crop_size,
    no_flip: opt.no_flip,
  };
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

class UnalignedDataset implements GanDataset {
  readonly mode = 'unaligned';
  readonly className = 'UnalignedDataset';
  readonly length: number;
  constructor(
    readonly transform: TransformConfig,
    /** Files of the dataroot's A and B folders (before --direction). */
    private readonly filesA: string[],
    private readonly filesB: string[],
    private readonly btoA: boolean,
    private readonly grayIn: boolean,
    private readonly grayOut: boolean,
    readonly notes: string[],
  ) {
    this.length = Math.max(filesA.length, filesB.length);
  }
  get A_paths(): readonly string[] {
    return this.btoA ? this.filesB : this.filesA;
  }
  get B_paths(): readonly string[] {
    return this.btoA ? this.filesA : this.filesB;
  }
  plan(index: number, rng: Rng, serial: boolean): ItemJob {
    const a = this.filesA[index % this.filesA.length];
    // Random B partners avoid fixed pairs, as the reference.
    const bi = serial ? index % this.filesB.length : rng.int(this.filesB.length);
    const b = this.filesB[bi];
    const ua = uniforms(rng);
    const ub = uniforms(rng);
    // The A folder's picture plays the target role under BtoA.
    const fromA: SideJob = { path: a, gray: this.btoA ? this.grayOut : this.grayIn, u: ua };
    const fromB: SideJob = { path: b, gray: this.btoA ? this.grayIn : this.grayOut, u: ub };
    return this.btoA ? { kind: 'unaligned', A: fromB, B: fromA } : { kind: 'unaligned', A: fromA, B: fromB };
  }
}

class AlignedDataset implements GanDataset {
  readonly mode = 'aligned';
  readonly className = 'AlignedDataset';
  readonly B_paths: readonly string[];
  constructor(
    readonly transform: TransformConfig,
    readonly A_paths: readonly string[],
    private readonly swap: boolean,
    private readonly grayIn: boolean,
    private readonly grayOut: boolean,
    readonly notes: string[],
  ) {
    this.B_paths = A_paths;
  }
  get length(): number {
    return this.A_paths.length;
  }
  plan(index: number, rng: Rng): ItemJob {
    return {
      kind: 'aligned',
      path: this.A_paths[index],
      grayA: this.grayIn,
      grayB: this.grayOut,
      u: uniforms(rng),
      swap: this.swap,
    };
  }
}

class SingleDataset implements GanDataset {
  readonly mode = 'single';
  readonly className = 'SingleDataset';
  readonly B_paths: readonly string[] = [];
  constructor(
    readonly transform: TransformConfig,
    readonly A_paths: readonly string[],
    private readonly gray: boolean,
    readonly notes: string[],
  ) {}
  get length(): number {
    return this.A_paths.length;
  }
  plan(index: number, rng: Rng): ItemJob {
    return { kind: 'single', A: { path: this.A_paths[index], gray: this.gray, u: uniforms(rng) } };
  }
}

type DatasetOptions = Pick<
  GanBaseOptions,
  | 'dataroot'
  | 'phase'
  | 'dataset_mode'
  | 'direction'
  | 'input_nc'
  | 'output_nc'
  | 'max_dataset_size'
  | 'preprocess'
  | 'load_size'
  | 'crop_size'
  | 'no_flip'
>;

/** Builds the dataset --dataset_mode names, checking the folder layout first. */
export async function createDataset(opt: DatasetOptions): Promise<GanDataset> {
  const root = opt.dataroot;
  if (!(await exists(root))) throw new DataError(`--dataroot ${root} does not exist`, root);
  const cfg = transformConfig(opt);
  const btoA = opt.direction === 'BtoA';
  const grayIn = opt.input_nc === 1;
  const grayOut = opt.output_nc === 1;
  const notes: string[] = [];
  const max = opt.max_dataset_size;
  switch (opt.dataset_mode) {
    case 'unaligned': {
      const dirA = path.join(root, `${opt.phase}A`);
      const dirB = path.join(root, `${opt.phase}B`);
      const missing = [];
      if (!(await exists(dirA))) missing.push(`${opt.phase}A/`);
      if (!(await exists(dirB))) missing.push(`${opt.phase}B/`);
      if (missing.length) {
        const aligned = await exists(path.join(root, opt.phase));
        throw new DataError(
          `--dataset_mode unaligned reads ${opt.phase}A/ and ${opt.phase}B/ under --dataroot, but ${root} lacks ${missing.join(' and ')}; ` +
            `${await describeFolder(root)}` +
            (aligned
              ? `. ${opt.phase}/ looks like an aligned (A|B) dataset: use --dataset_mode aligned`
              : ''),
          root,
        );
      }
      // Both folders are listed at once, but a problem is reported for A before B whichever
      // listing fails first, so the message does not depend on timing.
      const [ra, rb] = await Promise.allSettled([
        makeDataset(dirA, max, `domain A (${opt.phase}A)`),
        makeDataset(dirB, max, `domain B (${opt.phase}B)`),
      ]);
      if (ra.status === 'rejected') throw ra.reason;
      if (rb.status === 'rejected') throw rb.reason;
      const [a, b] = [ra.value, rb.value];
      return new UnalignedDataset(cfg, a, b, btoA, grayIn, grayOut, notes);
    }
    case 'aligned': {
      const dir = path.join(root, opt.phase);
      if (!(await exists(dir))) {
        const unaligned =
          (await exists(path.join(root, `${opt.phase}A`))) &&
          (await exists(path.join(root, `${opt.phase}B`)));
        throw new DataError(
          `--dataset_mode aligned reads A|B pairs from ${opt.phase}/ under --dataroot, but ${dir} does not exist; ${await describeFolder(root)}` +
            (unaligned
              ? `. ${opt.phase}A/ and ${opt.phase}B/ look like an unaligned dataset: use --dataset_mode unaligned, or pair them with \`combine\``
              : ''),
          root,
        );
      }
      const files = await makeDataset(dir, max, `aligned pairs (${opt.phase})`);
      return new AlignedDataset(cfg, files, btoA, grayIn, grayOut, notes);
    }
    case 'single': {
      const files = await makeDataset(root, max, 'images');
      const sub = new Set(files.map((f) => path.relative(root, path.dirname(f))).filter((d) => d !== ''));
      if (sub.size > 1) {
        notes.push(
          `--dataroot ${root}: reading pictures from ${sub.size} subfolders (${[...sub].slice(0, 4).join(', ')}${sub.size > 4 ? ', ...' : ''}); pass the one folder you mean, e.g. ${path.join(root, [...sub][0])}`,
        );
      }
      return new SingleDataset(cfg, files, btoA ? grayOut : grayIn, notes);
    }
  }
}
