/**
 * Checkpoints in the reference's layout: [checkpoints_dir]/[name]/[label]_net_[net].pth, one
 * plain state_dict per network (latest_net_G_A.pth, 5_net_D_B.pth, latest_net_G.pth), so
 * PyTorch and the reference's test.py load them as they are. Next to them, [label]_state.pth
 * holds what an exact resume needs and the reference never saved: Adam moments and step counts,
 * scheduler state, random-generator states, image-pool contents, data position, counters.
 *
 * Saving is all-or-nothing as far as a file system allows: every file is first written
 * completely under a hidden staging name (itself atomically, via writePth), and only when all are
 * on disk are they renamed into place, the state file last. A full disk or a crash while writing
 * leaves the previous checkpoint untouched. The state file records a digest of each network's
 * tensors, so a crash in the instant between renames is detected on resume instead of silently
 * mixing two checkpoints.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Module, StateDict, TensorValue } from '../nn/module.js';
import type { Adam } from '../optim/adam.js';
import {
  HostTensor,
  readModuleStateDict,
  readPickleObject,
  writePth,
  type PyValue,
  type Writable,
} from '../weights/index.js';
import type { LoaderState } from './data/loader.js';
import type { PoolState, PoolTensor } from './pool.js';
import type { SchedulerState } from './schedule.js';

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

export interface AdamSnapshot {
  step: number;
  m: Float32Array;
  v: Float32Array;
}

/** A JSON-like value with float32 arrays allowed (for `extra`). */
export type StateValue =
  null | boolean | number | string | Float32Array | StateValue[] | { [k: string]: StateValue };

export interface TrainerState {
  /** The epoch in progress (or just finished), numbered as the reference does (from epoch_count). */
  epoch: number;
  /** Images seen within that epoch. */
  epoch_iter: number;
  total_iters: number;
  /** Adam state per optimizer ('G', 'D', or per network: the trainer's choice of names). */
  optimizers: Record<string, AdamSnapshot>;
  schedulers: Record<string, SchedulerState>;
  /** Random-generator states (Rng.getState()) by stream: 'dropout', 'init', ... */
  rngs: Record<string, number[]>;
  pools: Record<string, PoolState>;
  data?: LoaderState;
  /** Anything else the trainer wants back. */
  extra?: Record<string, StateValue>;
}

export const STATE_FORMAT = 'ai-art/gan-trainer-state';
export const STATE_VERSION = 1;

export function netFileName(label: string | number, net: string): string {
  return `${label}_net_${net}.pth`;
}

export function stateFileName(label: string | number): string {
  return `${label}_state.pth`;
}

export function adamSnapshot(adam: Adam): AdamSnapshot {
  return { step: adam.step, m: adam.m.slice(), v: adam.v.slice() };
}

export function restoreAdam(adam: Adam, s: AdamSnapshot, name = 'optimizer'): void {
  if (s.m.length !== adam.m.length || s.v.length !== adam.v.length) {
    throw new CheckpointError(
      `saved ${name} state has ${s.m.length} moments, the network has ${adam.m.length} parameters: the architecture differs`,
    );
  }
  adam.m.set(s.m);
  adam.v.set(s.v);
  adam.step = s.step;
}

/** Digest of a state_dict's keys, shapes and bytes (key order does not matter). */
export function digestStateDict(sd: ReadonlyMap<string, TensorValue>): string {
  const h = createHash('sha256');
  for (const k of [...sd.keys()].sort()) {
    const t = sd.get(k) as TensorValue;
    h.update(`${k}\0${t.shape.join(',')}\0${t.data instanceof Float32Array ? 'f32' : 'i64'}\0`);
    h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return h.digest('hex');
}

// ---------------------------------------------------------------------------------------------
// state <-> pickle values

function isPoolTensor(v: unknown): v is PoolTensor {
  return (
    typeof v === 'object' &&
    v !== null &&
    (v as PoolTensor).data instanceof Float32Array &&
    Array.isArray((v as PoolTensor).shape)
  );
}

function encode(v: unknown, where: string): PyValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
  if (v instanceof Float32Array) return new HostTensor('float32', [v.length], v);
  if (isPoolTensor(v)) return new HostTensor('float32', v.shape, v.data);
  if (Array.isArray(v)) return v.map((x, i) => encode(x, `${where}[${i}]`));
  if (typeof v === 'object') {
    const m = new Map<string, PyValue>();
    for (const [k, x] of Object.entries(v as Record<string, unknown>))
      if (x !== undefined) m.set(k, encode(x, `${where}.${k}`));
    return m;
  }
  throw new CheckpointError(`cannot save ${where}: ${typeof v} values are not supported`);
}

type Decoded =
  | null
  | boolean
  | number
  | string
  | { shape: number[]; data: Float32Array }
  | Decoded[]
  | { [k: string]: Decoded };

function decode(v: PyValue, where: string): Decoded {
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof HostTensor) {
    if (!(v.data instanceof Float32Array))
      throw new CheckpointError(`${where}: expected a float32 tensor, found ${v.dtype}`);
    return { shape: [...v.shape], data: v.data };
  }
  if (Array.isArray(v)) return v.map((x, i) => decode(x, `${where}[${i}]`));
  if (v instanceof Map) {
    const o: { [k: string]: Decoded } = {};
    for (const [k, x] of v) o[String(k)] = decode(x, `${where}.${String(k)}`);
    return o;
  }
  throw new CheckpointError(`${where}: unexpected value in the trainer state file`);
}

function obj(v: Decoded | undefined, where: string): { [k: string]: Decoded } {
  if (
    typeof v !== 'object' ||
    v === null ||
    Array.isArray(v) ||
    ('data' in v && (v as { data: unknown }).data instanceof Float32Array)
  ) {
    throw new CheckpointError(`trainer state: ${where} is missing or malformed`);
  }
  return v as { [k: string]: Decoded };
}
function numOf(v: Decoded | undefined, where: string): number {
  if (typeof v !== 'number') throw new CheckpointError(`trainer state: ${where} should be a number`);
  return v;
}
function numsOf(v: Decoded | undefined, where: string): number[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number'))
    throw new CheckpointError(`trainer state: ${where} should be a list of numbers`);
  return v as number[];
}
function tensorOf(v: Decoded | undefined, where: string): { shape: number[]; data: Float32Array } {
  if (
    typeof v !== 'object' ||
    v === null ||
    !('data' in v) ||
    !((v as { data: unknown }).data instanceof Float32Array)
  ) {
    throw new CheckpointError(`trainer state: ${where} should be a tensor`);
  }
  return v as { shape: number[]; data: Float32Array };
}

/** Decoded tensors back to Float32Array where `extra` held them. */
function toStateValue(v: Decoded): StateValue {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(toStateValue);
  if ('data' in v && (v as { data: unknown }).data instanceof Float32Array)
    return (v as { data: Float32Array }).data;
  const o: { [k: string]: StateValue } = {};
  for (const [k, x] of Object.entries(v as { [k: string]: Decoded })) o[k] = toStateValue(x);
  return o;
}

function decodeState(
  root: PyValue,
  file: string,
): { state: TrainerState; nets: Record<string, { file: string; sha256: string }> } {
  const d = obj(decode(root, 'state'), 'the file');
  if (d.format !== STATE_FORMAT) throw new CheckpointError(`${file} is not an ai-art trainer state file`);
  if (d.version !== STATE_VERSION)
    throw new CheckpointError(
      `${file} has trainer-state version ${String(d.version)}; this ai-art reads version ${STATE_VERSION}`,
    );
  const optimizers: Record<string, AdamSnapshot> = {};
  for (const [k, v] of Object.entries(obj(d.optimizers, 'optimizers'))) {
    const o = obj(v, `optimizers.${k}`);
    optimizers[k] = {
      step: numOf(o.step, `optimizers.${k}.step`),
      m: tensorOf(o.m, `optimizers.${k}.m`).data,
      v: tensorOf(o.v, `optimizers.${k}.v`).data,
    };
  }
  const schedulers: Record<string, SchedulerState> = {};
  for (const [k, v] of Object.entries(obj(d.schedulers, 'schedulers'))) {
    const o = obj(v, `schedulers.${k}`);
    const n = (f: string): number => numOf(o[f], `schedulers.${k}.${f}`);
    schedulers[k] = {
      policy: String(o.policy) as SchedulerState['policy'],
      base_lr: n('base_lr'),
      lr: n('lr'),
      last_epoch: n('last_epoch'),
      step_count: n('step_count'),
      best: n('best'),
      num_bad_epochs: n('num_bad_epochs'),
      cooldown_counter: n('cooldown_counter'),
    };
  }
  const rngs: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(obj(d.rngs, 'rngs'))) rngs[k] = numsOf(v, `rngs.${k}`);
  const pools: Record<string, PoolState> = {};
  for (const [k, v] of Object.entries(obj(d.pools, 'pools'))) {
    const o = obj(v, `pools.${k}`);
    const images = o.images;
    if (!Array.isArray(images))
      throw new CheckpointError(`trainer state: pools.${k}.images should be a list`);
    pools[k] = {
      pool_size: numOf(o.pool_size, `pools.${k}.pool_size`),
      images: images.map((t, i) => tensorOf(t, `pools.${k}.images[${i}]`)),
      rng: numsOf(o.rng, `pools.${k}.rng`),
    };
  }
  let data: LoaderState | undefined;
  if (d.data !== undefined && d.data !== null) {
    const o = obj(d.data, 'data');
    data = {
      rng: numsOf(o.rng, 'data.rng'),
      cursor: numOf(o.cursor, 'data.cursor'),
      epochs: numOf(o.epochs, 'data.epochs'),
      length: numOf(o.length, 'data.length'),
    };
  }
  const nets: Record<string, { file: string; sha256: string }> = {};
  for (const [k, v] of Object.entries(obj(d.nets, 'nets'))) {
    const o = obj(v, `nets.${k}`);
    nets[k] = { file: String(o.file), sha256: String(o.sha256) };
  }
  const state: TrainerState = {
    epoch: numOf(d.epoch, 'epoch'),
    epoch_iter: numOf(d.epoch_iter, 'epoch_iter'),
    total_iters: numOf(d.total_iters, 'total_iters'),
    optimizers,
    schedulers,
    rngs,
    pools,
    data,
  };
  if (d.extra !== undefined && d.extra !== null)
    state.extra = toStateValue(obj(d.extra, 'extra')) as Record<string, StateValue>;
  return { state, nets };
}

// ---------------------------------------------------------------------------------------------

export type PthWriter = (file: string, obj: Writable) => Promise<void>;

export interface SaveOptions {
  /** The .pth writer (tests inject one that fails part-way, as a full disk would). */
  write?: PthWriter;
}

export interface SavedCheckpoint {
  files: string[];
  digests: Record<string, string>;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Saves every network as [label]_net_[name].pth and, when given, the trainer state as
 * [label]_state.pth, all or nothing (see the module comment). `dir` is the experiment folder
 * ([checkpoints_dir]/[name]); it is created if missing.
 */
export async function saveCheckpoint(
  dir: string,
  label: string | number,
  nets: Record<string, Module>,
  state?: TrainerState,
  opts: SaveOptions = {},
): Promise<SavedCheckpoint> {
  const write = opts.write ?? ((file: string, o: Writable) => writePth(file, o));
  const staged: [string, string][] = [];
  const digests: Record<string, string> = {};
  try {
    await mkdir(dir, { recursive: true });
    for (const [name, net] of Object.entries(nets)) {
      const final = path.join(dir, netFileName(label, name));
      const staging = path.join(dir, `.${netFileName(label, name)}.staging`);
      const sd: StateDict = net.stateDict();
      staged.push([staging, final]);
      await write(staging, sd);
      digests[name] = digestStateDict(sd);
    }
    if (state) {
      const final = path.join(dir, stateFileName(label));
      const staging = path.join(dir, `.${stateFileName(label)}.staging`);
      const nets_: Record<string, { file: string; sha256: string }> = {};
      for (const name of Object.keys(nets))
        nets_[name] = { file: netFileName(label, name), sha256: digests[name] };
      const root = encode(
        { format: STATE_FORMAT, version: STATE_VERSION, label: String(label), ...state, nets: nets_ },
        'state',
      );
      staged.push([staging, final]);
      await write(staging, root);
    }
    for (const [s, f] of staged) await rename(s, f);
  } catch (e) {
    await Promise.all(staged.map(([s]) => unlink(s).catch(() => undefined)));
    const why = e instanceof Error ? e.message : String(e);
    throw new CheckpointError(
      `could not save checkpoint '${label}' in ${dir}: ${why}; the previous '${label}' checkpoint, if any, is unchanged`,
      { cause: e },
    );
  }
  // A state file from an earlier save would describe other weights.
  if (!state) await unlink(path.join(dir, stateFileName(label))).catch(() => undefined);
  return { files: staged.map(([, f]) => f), digests };
}

export interface CheckpointInfo {
  label: string;
  nets: string[];
  hasState: boolean;
}

/** The checkpoints in an experiment folder, by label ('latest', '5', 'iter_5000', ...). */
export async function listCheckpoints(dir: string): Promise<CheckpointInfo[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const by = new Map<string, CheckpointInfo>();
  const get = (label: string): CheckpointInfo => {
    let c = by.get(label);
    if (!c) by.set(label, (c = { label, nets: [], hasState: false }));
    return c;
  };
  for (const n of names) {
    let m = /^(.+?)_net_(.+)\.pth$/.exec(n);
    if (m) get(m[1]).nets.push(m[2]);
    else if ((m = /^(.+)_state\.pth$/.exec(n))) get(m[1]).hasState = true;
  }
  const rank = (l: string): number =>
    l === 'latest' ? -1 : /^\d+$/.test(l) ? Number(l) : Number.MAX_SAFE_INTEGER;
  return [...by.values()].sort((a, b) => rank(a.label) - rank(b.label) || a.label.localeCompare(b.label));
}

async function missingMessage(dir: string, file: string, net: string): Promise<string> {
  const have = (await listCheckpoints(dir)).filter((c) => c.nets.includes(net)).map((c) => c.label);
  if (!(await exists(dir)))
    return `${path.join(dir, file)} not found: there is no folder ${dir} (check --checkpoints_dir and --name)`;
  return (
    `${path.join(dir, file)} not found` +
    (have.length
      ? `; checkpoints with net_${net}: ${have.join(', ')} (choose one with --epoch)`
      : `; ${dir} holds no net_${net} checkpoint`)
  );
}

/** InstanceNorm keys PyTorch before 0.4 saved and the reference's loader drops. */
const LEGACY_NORM_KEY = /\.(running_mean|running_var|num_batches_tracked)$/;

export interface LoadOptions {
  /** Told about anything adjusted while loading (legacy keys dropped). */
  notice?: (msg: string) => void;
  /** Added to architecture-mismatch errors, e.g. "the options say --netG resnet_9blocks --ngf 64". */
  hint?: string;
}

/**
 * Loads [label]_net_[name].pth into each network. Returns the digests of what was read (for
 * checking against a trainer state). Errors name the file and, for a wrong architecture, the keys.
 */
export async function loadNetworks(
  dir: string,
  label: string | number,
  nets: Record<string, Module>,
  opts: LoadOptions = {},
): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  for (const [name, net] of Object.entries(nets)) {
    const file = path.join(dir, netFileName(label, name));
    if (!(await exists(file)))
      throw new CheckpointError(await missingMessage(dir, netFileName(label, name), name));
    let sd: Map<string, TensorValue>;
    try {
      sd = await readModuleStateDict(file);
    } catch (e) {
      throw new CheckpointError(`cannot load ${file}: ${(e as Error).message}`, { cause: e });
    }
    digests[name] = digestStateDict(sd);
    const own = new Set([...net.namedTensors()].map(([k]) => k));
    const dropped = [...sd.keys()].filter((k) => !own.has(k) && LEGACY_NORM_KEY.test(k));
    for (const k of dropped) sd.delete(k);
    if (dropped.length)
      opts.notice?.(
        `${file}: ignored ${dropped.length} normalization statistics this network does not keep (a checkpoint from PyTorch before 0.4)`,
      );
    try {
      net.loadStateDict(sd);
    } catch (e) {
      throw new CheckpointError(
        `${file} does not fit network ${name}: ${(e as Error).message}\n` +
          `Was it trained with other architecture options (--netG, --ngf, --ndf, --netD, --n_layers_D, --norm, --input_nc, --output_nc)?${opts.hint ? ` ${opts.hint}` : ''}`,
        { cause: e },
      );
    }
  }
  return digests;
}

/** Reads [label]_state.pth. */
export async function loadTrainerState(
  dir: string,
  label: string | number,
): Promise<{ state: TrainerState; digests: Record<string, string> }> {
  const file = path.join(dir, stateFileName(label));
  if (!(await exists(file))) {
    const have = (await listCheckpoints(dir)).filter((c) => c.hasState).map((c) => c.label);
    throw new CheckpointError(
      `${file} not found: checkpoint '${label}' has no trainer state for an exact resume` +
        (have.length ? ` (checkpoints with one: ${have.join(', ')})` : ''),
    );
  }
  let root: PyValue;
  try {
    root = await readPickleObject(file);
  } catch (e) {
    throw new CheckpointError(`cannot load ${file}: ${(e as Error).message}`, { cause: e });
  }
  const { state, nets } = decodeState(root, file);
  const digests: Record<string, string> = {};
  for (const [k, v] of Object.entries(nets)) digests[k] = v.sha256;
  return { state, digests };
}

/**
 * Loads the networks and, with `state: true`, the trainer state, checking that both come from
 * the same save.
 */
export async function loadCheckpoint(
  dir: string,
  label: string | number,
  nets: Record<string, Module>,
  opts: LoadOptions & { state?: boolean } = {},
): Promise<{ state?: TrainerState }> {
  const loaded = await loadNetworks(dir, label, nets, opts);
  if (!opts.state) return {};
  const { state, digests } = await loadTrainerState(dir, label);
  for (const [name, d] of Object.entries(loaded)) {
    if (digests[name] === undefined)
      throw new CheckpointError(
        `${path.join(dir, stateFileName(label))} has no record of network ${name}; it belongs to another model`,
      );
    if (digests[name] !== d) {
      throw new CheckpointError(
        `${path.join(dir, netFileName(label, name))} is not the one ${stateFileName(label)} was saved with (the save was interrupted ` +
          'between files); resume from another checkpoint with --epoch, or start the schedule afresh',
      );
    }
  }
  return { state };
}
