/**
 * Reads PyTorch .pth files without PyTorch: the zip format (torch >= 1.6) and the
 * legacy sequential format before it. Opening parses only the pickled metadata
 * and locates every storage's bytes; tensor data is read on demand, one byte range
 * per tensor, so loading part of a large checkpoint costs only that part.
 */
import { crc32 } from 'node:zlib';
import { endianness } from 'node:os';
import { WeightsError } from './errors.js';
import { RandomAccessFile } from './file.js';
import {
  allocArray,
  bytesOf,
  elementSize,
  isFloating,
  toFloat32,
  type DType,
  type TensorArray,
} from './dtype.js';
import { OrderedDict, PyTuple, pyTypeName, type PyKey, type PyValue } from './pyobj.js';
import { HostTensor, StorageRef, TensorRef, fmtShape } from './tensor.js';
import { PickleNeedsMoreData, storageDType, unpickle } from './unpickler.js';
import { ZipDirectory, isZipMagic, type ZipEntry } from './zip.js';

export type PthFormat = 'zip' | 'legacy';

/** torch.serialization.MAGIC_NUMBER, the first pickle of a legacy file. */
export const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
export const LEGACY_PROTOCOL_VERSION = 1001;

/** Metadata pickles are small; a larger one is not a checkpoint we should hold in memory. */
const MAX_PICKLE_BYTES = 256 << 20;

interface Located {
  offset: number;
  nbytes: number;
  entry?: ZipEntry;
}

export interface ReadTensorOptions {
  /** Convert floating tensors (float16, bfloat16, float64) to float32. */
  float32?: boolean;
}

export interface TensorInfo {
  key: string;
  dtype: DType;
  shape: readonly number[];
  nbytes: number;
}

if (endianness() !== 'LE') {
  // Typed arrays use host byte order; every .pth in practice is little-endian.
  throw new WeightsError('unsupported', 'reading .pth files needs a little-endian machine');
}

export class PthReader {
  private readonly verified = new Set<string>();

  private constructor(
    private readonly file: RandomAccessFile,
    readonly format: PthFormat,
    /** The unpickled object, with TensorRef leaves standing for unread tensors. */
    readonly root: PyValue,
    private readonly locations: ReadonlyMap<string, Located>,
  ) {}

  get path(): string {
    return this.file.path;
  }

  get fileSize(): number {
    return this.file.size;
  }

  static async open(path: string): Promise<PthReader> {
    const file = await RandomAccessFile.open(path);
    try {
      const head = await file.read(0, Math.min(file.size, 512), 'header');
      if (isZipMagic(head)) return await openZip(file);
      if (head.length >= 2 && head[0] === 0x80) return await openLegacy(file);
      if (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar') {
        throw new WeightsError(
          'unsupported',
          `${path}: a tar-format checkpoint (PyTorch before 0.1.10); load and re-save it with a newer PyTorch`,
        );
      }
      if (file.size === 0) throw new WeightsError('truncated', `${path}: empty file`);
      throw new WeightsError(
        'not-a-checkpoint',
        `${path}: not a PyTorch checkpoint (neither the zip nor the legacy .pth format)`,
      );
    } catch (e) {
      await file.close();
      throw e;
    }
  }

  /** The state_dict in this file: the root mapping, or root['state_dict'] / root['model'] when the root wraps it. */
  stateDict(): Map<string, TensorRef> {
    return findStateDict(this.root, this.path);
  }

  /** Keys, dtypes and shapes of the state_dict, reading no tensor data. */
  list(): TensorInfo[] {
    return [...this.stateDict()].map(([key, t]) => ({
      key,
      dtype: t.dtype,
      shape: t.shape,
      nbytes: t.nbytes,
    }));
  }

  /** Reads one tensor's elements, materialised contiguous. */
  async read(t: TensorRef, opts: ReadTensorOptions = {}): Promise<HostTensor> {
    const es = elementSize(t.dtype);
    const loc = this.locate(t.storage);
    const numel = t.numel;
    // Stride-0 (broadcast) tensors may be far larger than their bytes in the file; a
    // hostile file could declare terabytes that way, so large expansions are refused.
    if (t.nbytes > Math.max(4 * loc.nbytes, 256 << 20)) {
      throw new WeightsError(
        'unsupported',
        `${this.path}: tensor ${fmtShape(t.shape)} (${t.nbytes} bytes) expands a storage of ${loc.nbytes} bytes; refusing to materialise it`,
      );
    }
    let data: TensorArray;
    if (numel === 0) data = allocArray(t.dtype, 0);
    else {
      const [first, last] = t.span;
      const span = last - first + 1;
      const pos = loc.offset + first * es;
      const what = `storage '${t.storage.key}'`;
      if (t.isContiguous) {
        data = allocArray(t.dtype, numel);
        await this.file.readInto(bytesOf(data), pos, what);
      } else {
        const src = allocArray(t.dtype, span);
        await this.file.readInto(bytesOf(src), pos, what);
        data = gather(src, t.dtype, t.shape, t.strides);
      }
      if (loc.entry && first === 0 && span * es === loc.nbytes && loc.entry.size === loc.nbytes)
        this.checkCrc(loc.entry, bytesOf(data), t.isContiguous);
    }
    if (opts.float32 && isFloating(t.dtype) && t.dtype !== 'float32')
      return new HostTensor('float32', t.shape, toFloat32(t.dtype, data));
    return new HostTensor(t.dtype, t.shape, data);
  }

  /** The whole object with every tensor read (each TensorRef becomes a HostTensor). */
  async materialize(opts: ReadTensorOptions = {}): Promise<PyValue> {
    const done = new Map<object, PyValue>();
    const walk = async (v: PyValue, depth: number): Promise<PyValue> => {
      if (depth > 1000)
        throw new WeightsError('unsupported', `${this.path}: object nesting deeper than 1000 levels`);
      if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return v;
      const seen = done.get(v);
      if (seen !== undefined) return seen;
      if (v instanceof TensorRef) {
        const h = await this.read(v, opts);
        done.set(v, h);
        return h;
      }
      if (Array.isArray(v)) {
        const out: PyValue[] = [];
        done.set(v, out);
        for (const x of v) out.push(await walk(x, depth + 1));
        return out;
      }
      if (v instanceof PyTuple) {
        const items: PyValue[] = [];
        for (const x of v.items) items.push(await walk(x, depth + 1));
        const t = new PyTuple(items);
        done.set(v, t);
        return t;
      }
      if (v instanceof Map) {
        const out = v instanceof OrderedDict ? new OrderedDict() : new Map<PyKey, PyValue>();
        done.set(v, out);
        if (v instanceof OrderedDict && out instanceof OrderedDict)
          for (const [k, x] of v.attrs) out.attrs.set(k, await walk(x, depth + 1));
        for (const [k, x] of v) out.set(k, await walk(x, depth + 1));
        return out;
      }
      return v;
    };
    return walk(this.root, 0);
  }

  async close(): Promise<void> {
    await this.file.close();
  }

  private locate(s: StorageRef): Located {
    if (s.view) {
      const base = this.locate(s.view.base);
      const es = elementSize(s.view.base.dtype);
      return { offset: base.offset + s.view.offset * es, nbytes: s.nbytes };
    }
    const loc = this.locations.get(s.key);
    if (!loc) throw new WeightsError('corrupt', `${this.path}: storage '${s.key}' has no data in the file`);
    return loc;
  }

  private checkCrc(entry: ZipEntry, bytes: Uint8Array, exact: boolean): void {
    if (!exact || this.verified.has(entry.name)) return;
    if (crc32(bytes) !== entry.crc32)
      throw new WeightsError(
        'corrupt',
        `${this.path}: record '${entry.name}' fails its CRC check; the file is corrupt`,
      );
    this.verified.add(entry.name);
  }

  /** @internal for openZip/openLegacy */
  static create(
    file: RandomAccessFile,
    format: PthFormat,
    root: PyValue,
    locations: Map<string, Located>,
  ): PthReader {
    return new PthReader(file, format, root, locations);
  }
}

function gather(
  src: TensorArray,
  dtype: DType,
  shape: readonly number[],
  strides: readonly number[],
): TensorArray {
  let n = 1;
  for (const d of shape) n *= d;
  const out = allocArray(dtype, n);
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  let off = 0;
  // Same element type on both sides, so a plain index copy works for every dtype (bigint included).
  const o = out as unknown as { [i: number]: number | bigint };
  const s = src as unknown as { [i: number]: number | bigint };
  for (let i = 0; i < n; i++) {
    o[i] = s[off];
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      off += strides[d];
      if (idx[d] < shape[d]) break;
      off -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

function findStateDict(root: PyValue, path: string): Map<string, TensorRef> {
  const asTensors = (v: PyValue): Map<string, TensorRef> | undefined => {
    if (!(v instanceof Map) || v.size === 0) return undefined;
    for (const [k, x] of v) if (typeof k !== 'string' || !(x instanceof TensorRef)) return undefined;
    return v as Map<string, TensorRef>;
  };
  const direct = asTensors(root);
  if (direct) return direct;
  if (root instanceof Map) {
    for (const k of ['state_dict', 'model_state_dict', 'model']) {
      const inner = asTensors(root.get(k) ?? null);
      if (inner) return inner;
    }
    const bad = [...root].find(([k, x]) => typeof k !== 'string' || !(x instanceof TensorRef));
    const keys = [...root.keys()]
      .slice(0, 8)
      .map((k) => JSON.stringify(k))
      .join(', ');
    const why = bad
      ? `entry ${JSON.stringify(String(bad[0]))} is a ${pyTypeName(bad[1])}, not a tensor`
      : 'it is empty';
    throw new WeightsError(
      'unsupported',
      `${path}: not a state_dict (${why}; top-level keys: ${keys || 'none'}); read it with readPickleObject`,
    );
  }
  throw new WeightsError(
    'unsupported',
    `${path}: holds a ${pyTypeName(root)}, not a state_dict; read it with readPickleObject`,
  );
}

function storagePid(
  pid: PyValue,
  legacy: boolean,
  path: string,
): { dtype: DType; key: string; location: string; numel: number; view: PyValue } {
  const items = pid instanceof PyTuple ? pid.items : undefined;
  const bad = (): never => {
    throw new WeightsError('corrupt', `${path}: unexpected persistent id ${describe(pid)}`);
  };
  if (!items || items[0] !== 'storage') {
    if (items && items[0] === 'module')
      throw new WeightsError(
        'unsupported',
        `${path}: a pickled nn.Module (whole model); save its state_dict() instead`,
      );
    return bad();
  }
  if (items.length !== (legacy ? 6 : 5)) return bad();
  const dtype = storageDType(items[1]);
  if (!dtype)
    throw new WeightsError('unsupported', `${path}: storage type ${pyTypeName(items[1])} is not supported`);
  const [key, location, numel] = [items[2], items[3], items[4]];
  if (
    typeof key !== 'string' ||
    typeof location !== 'string' ||
    typeof numel !== 'number' ||
    !Number.isSafeInteger(numel) ||
    numel < 0
  ) {
    if (typeof numel === 'bigint')
      throw new WeightsError('corrupt', `${path}: storage size ${numel} overflows`);
    return bad();
  }
  if (!Number.isSafeInteger(numel * elementSize(dtype)))
    throw new WeightsError('corrupt', `${path}: storage size ${numel} overflows`);
  return { dtype, key, location, numel, view: legacy ? items[5] : null };
}

function describe(v: PyValue): string {
  if (v instanceof PyTuple)
    return `(${v.items.map((x) => (typeof x === 'string' ? JSON.stringify(x) : pyTypeName(x))).join(', ')})`;
  return pyTypeName(v);
}

async function openZip(file: RandomAccessFile): Promise<PthReader> {
  const zip = await ZipDirectory.read(file);
  const pkls = [...zip.entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n) || n === 'data.pkl');
  if (pkls.length === 0) {
    const names = [...zip.entries.keys()];
    if (names.some((n) => /(^|\/)constants\.pkl$/.test(n) || /(^|\/)code\//.test(n))) {
      throw new WeightsError(
        'unsupported',
        `${file.path}: a TorchScript archive (torch.jit.save), not a torch.save checkpoint`,
      );
    }
    throw new WeightsError(
      'not-a-checkpoint',
      `${file.path}: a zip file without data.pkl, not a PyTorch checkpoint`,
    );
  }
  if (pkls.length > 1)
    throw new WeightsError('corrupt', `${file.path}: several data.pkl records (${pkls.join(', ')})`);
  const prefix = pkls[0].slice(0, -'data.pkl'.length);
  const order = zip.entries.get(`${prefix}byteorder`);
  if (order) {
    const text = (await zip.readAll(order)).toString('latin1').trim();
    if (text !== 'little')
      throw new WeightsError(
        'unsupported',
        `${file.path}: tensors stored ${text}-endian; re-save the checkpoint on a little-endian machine`,
      );
  }
  const pkl = zip.entries.get(pkls[0])!;
  if (pkl.size > MAX_PICKLE_BYTES)
    throw new WeightsError(
      'unsupported',
      `${file.path}: data.pkl of ${pkl.size} bytes is too large to be a checkpoint's metadata`,
    );
  const bytes = await zip.readAll(pkl);
  const storages = new Map<string, StorageRef>();
  let root: PyValue;
  try {
    root = unpickle(bytes, {
      source: file.path,
      persistentLoad: (pid) => {
        const p = storagePid(pid, false, file.path);
        const have = storages.get(p.key);
        if (have) {
          if (have.dtype !== p.dtype || have.numel !== p.numel)
            throw new WeightsError(
              'corrupt',
              `${file.path}: storage '${p.key}' is declared twice with different types`,
            );
          return have;
        }
        const s = new StorageRef(p.key, p.dtype, p.numel, p.location);
        storages.set(p.key, s);
        return s;
      },
    }).value;
  } catch (e) {
    if (e instanceof PickleNeedsMoreData)
      throw new WeightsError(
        'truncated',
        `${file.path}: data.pkl ends before its STOP opcode; the file is corrupt`,
      );
    throw e;
  }
  const locations = new Map<string, Located>();
  for (const s of storages.values()) {
    const name = `${prefix}data/${s.key}`;
    const e = zip.entries.get(name);
    if (!e) throw new WeightsError('corrupt', `${file.path}: storage record '${name}' is missing`);
    if (e.size < s.nbytes) {
      throw new WeightsError(
        'corrupt',
        `${file.path}: storage record '${name}' holds ${e.size} bytes but the pickle declares ${s.nbytes} (${s.numel} × ${s.dtype})`,
      );
    }
    const { offset } = await zip.locate(e);
    locations.set(s.key, { offset, nbytes: s.nbytes, entry: e });
  }
  return PthReader.create(file, 'zip', root, locations);
}

async function openLegacy(file: RandomAccessFile): Promise<PthReader> {
  const path = file.path;
  let window = Math.min(file.size, 1 << 20);
  for (;;) {
    const buf = await file.read(0, window, 'pickled metadata');
    try {
      return await parseLegacy(file, buf);
    } catch (e) {
      if (!(e instanceof PickleNeedsMoreData)) throw e;
      if (window >= file.size)
        throw new WeightsError(
          'truncated',
          `${path}: the file ends inside its pickled metadata; it is truncated`,
        );
      if (window >= MAX_PICKLE_BYTES)
        throw new WeightsError(
          'unsupported',
          `${path}: pickled metadata larger than ${MAX_PICKLE_BYTES >> 20} MiB`,
        );
      window = Math.min(file.size, window * 4, MAX_PICKLE_BYTES);
    }
  }
}

async function parseLegacy(file: RandomAccessFile, buf: Buffer): Promise<PthReader> {
  const path = file.path;
  const magic = unpickle(buf, { source: path });
  if (magic.value !== LEGACY_MAGIC) {
    throw new WeightsError(
      'not-a-checkpoint',
      `${path}: a pickle file without PyTorch's magic number, not a checkpoint saved by torch.save`,
    );
  }
  const proto = unpickle(buf, { source: path }, magic.end);
  if (proto.value !== LEGACY_PROTOCOL_VERSION)
    throw new WeightsError(
      'unsupported',
      `${path}: legacy serialization protocol ${String(proto.value)} (expected ${LEGACY_PROTOCOL_VERSION})`,
    );
  const info = unpickle(buf, { source: path }, proto.end);
  if (info.value instanceof Map && info.value.get('little_endian') === false) {
    throw new WeightsError(
      'unsupported',
      `${path}: saved on a big-endian machine; re-save it on a little-endian one`,
    );
  }
  const roots = new Map<string, StorageRef>();
  const views = new Map<string, StorageRef>();
  const obj = unpickle(
    buf,
    {
      source: path,
      persistentLoad: (pid) => {
        const p = storagePid(pid, true, path);
        let root = roots.get(p.key);
        if (!root) {
          root = new StorageRef(p.key, p.dtype, p.numel, p.location);
          roots.set(p.key, root);
        } else if (root.dtype !== p.dtype)
          throw new WeightsError('corrupt', `${path}: storage '${p.key}' is used with two dtypes`);
        if (p.view === null) return root;
        const v = p.view instanceof PyTuple ? p.view.items : [];
        const [vkey, voff, vsize] = v;
        if (
          v.length !== 3 ||
          typeof vkey !== 'string' ||
          typeof voff !== 'number' ||
          typeof vsize !== 'number' ||
          voff < 0 ||
          vsize < 0 ||
          voff + vsize > root.numel
        ) {
          throw new WeightsError(
            'corrupt',
            `${path}: bad storage view ${describe(p.view)} of storage '${p.key}'`,
          );
        }
        let view = views.get(vkey);
        if (!view) {
          view = new StorageRef(vkey, p.dtype, vsize, p.location, { base: root, offset: voff });
          views.set(vkey, view);
        }
        return view;
      },
    },
    info.end,
  );
  const keys = unpickle(buf, { source: path }, obj.end);
  const keyList = Array.isArray(keys.value) ? keys.value : null;
  if (!keyList || keyList.some((k) => typeof k !== 'string'))
    throw new WeightsError('corrupt', `${path}: the storage key list is damaged`);
  // Raw storages follow in key order, each as an int64 element count and the bytes.
  const locations = new Map<string, Located>();
  let pos = keys.end;
  const header = Buffer.alloc(8);
  for (const k of keyList as string[]) {
    const s = roots.get(k);
    if (!s) throw new WeightsError('corrupt', `${path}: storage '${k}' is listed but no tensor uses it`);
    await file.readInto(header, pos, `the size of storage '${k}'`);
    const n = header.readBigInt64LE(0);
    if (n !== BigInt(s.numel))
      throw new WeightsError(
        'corrupt',
        `${path}: storage '${k}' holds ${n} elements but the pickle declares ${s.numel}`,
      );
    const offset = pos + 8;
    pos = offset + s.nbytes;
    if (pos > file.size) {
      throw new WeightsError(
        'truncated',
        `${path}: storage '${k}' needs bytes up to ${pos} but the file has ${file.size}; the file is truncated`,
      );
    }
    locations.set(k, { offset, nbytes: s.nbytes });
  }
  for (const k of roots.keys())
    if (!locations.has(k))
      throw new WeightsError('corrupt', `${path}: storage '${k}' has no data in the file`);
  return PthReader.create(file, 'legacy', obj.value, locations);
}

export interface ReadPthOptions extends ReadTensorOptions {
  /** Only keys for which this returns true are read (the rest cost nothing). */
  filter?: (key: string) => boolean;
}

/** A state_dict in memory: key → dense tensor, in file order; `attrs` may carry `_metadata`. */
export type StateDict = OrderedDict<string, HostTensor>;

/** Reads a state_dict (or the state_dict inside a checkpoint dict), only the tensors `filter` accepts. */
export async function readPth(path: string, opts: ReadPthOptions = {}): Promise<StateDict> {
  const r = await PthReader.open(path);
  try {
    const sd = r.stateDict();
    const out: StateDict = new OrderedDict();
    if (sd instanceof OrderedDict) for (const [k, v] of sd.attrs) out.attrs.set(k, v);
    for (const [k, t] of sd) if (!opts.filter || opts.filter(k)) out.set(k, await r.read(t, opts));
    return out;
  } finally {
    await r.close();
  }
}

/** Reads any checkpoint object (nested dicts, optimizer state, lists...) with its tensors in memory. */
export async function readPickleObject(path: string, opts: ReadTensorOptions = {}): Promise<PyValue> {
  const r = await PthReader.open(path);
  try {
    return await r.materialize(opts);
  } finally {
    await r.close();
  }
}

/** Keys, dtypes and shapes of a checkpoint's state_dict, without reading tensor data. */
export async function inspectPth(
  path: string,
): Promise<{ format: PthFormat; fileSize: number; tensors: TensorInfo[] }> {
  const r = await PthReader.open(path);
  try {
    return { format: r.format, fileSize: r.fileSize, tensors: r.list() };
  } finally {
    await r.close();
  }
}

export interface ModuleTensor {
  shape: number[];
  data: Float32Array | BigInt64Array;
}

/**
 * A state_dict shaped for nn.Module.loadStateDict: floating tensors as Float32Array,
 * int64 (BatchNorm's num_batches_tracked) as BigInt64Array.
 */
export async function readModuleStateDict(
  path: string,
  opts: { filter?: (key: string) => boolean } = {},
): Promise<Map<string, ModuleTensor>> {
  const sd = await readPth(path, { ...opts, float32: true });
  const out = new Map<string, ModuleTensor>();
  for (const [k, t] of sd) {
    if (t.data instanceof Float32Array || t.data instanceof BigInt64Array)
      out.set(k, { shape: [...t.shape], data: t.data });
    else out.set(k, { shape: [...t.shape], data: toFloat32(t.dtype, t.data) });
  }
  return out;
}
