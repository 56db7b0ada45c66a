/**
 * Writes checkpoints torch.load reads: the zip format by default (what torch.save
 * writes since 1.6), the legacy format on request. The file appears only when
 * complete: bytes go to a temporary file in the same directory, which is synced
 * and renamed over the target, so a crash or a full disk leaves the previous
 * checkpoint as it was.
 */
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { WeightsError } from './errors.js';
import { bytesOf, dtypeOfArray, DTYPES, type DType, type TensorArray } from './dtype.js';
import { OrderedDict, PyGlobal, PyTuple, type PyKey, type PyValue } from './pyobj.js';
import { pickle, type TensorRecord } from './pickler.js';
import { HostTensor, TensorRef, contiguousStrides } from './tensor.js';
import { LEGACY_MAGIC, LEGACY_PROTOCOL_VERSION } from './reader.js';
import { ZipWriter, type ByteWriter } from './zip.js';

/** A tensor as modules hold it: the dtype follows from the array unless given. */
export interface TensorLike {
  shape: readonly number[];
  data: TensorArray;
  dtype?: DType;
}

export type Writable = PyValue | ReadonlyMap<string, TensorLike | HostTensor>;

export interface WritePthOptions {
  /** 'zip' (default) or 'legacy' (readable by PyTorch before 1.6). */
  format?: 'zip' | 'legacy';
  /** Top-level folder inside the zip; torch accepts any name. */
  prefix?: string;
}

function isTensorLike(v: unknown): v is TensorLike {
  if (typeof v !== 'object' || v === null || v instanceof Map || Array.isArray(v)) return false;
  const o = v as { shape?: unknown; data?: unknown };
  return Array.isArray(o.shape) && ArrayBuffer.isView(o.data) && !(o.data instanceof DataView);
}

/** Turns module-style tensors into HostTensors; a top-level map of tensors becomes the OrderedDict torch writes. */
function normalize(v: unknown, top: boolean, active = new Set<object>()): PyValue {
  if (v instanceof HostTensor) return v;
  if (v instanceof TensorRef)
    throw new WeightsError('unsupported', 'read tensors (PthReader.read) before writing them');
  if (isTensorLike(v)) return new HostTensor(v.dtype ?? dtypeOfArray(v.data), v.shape, v.data);
  if (v instanceof Map || Array.isArray(v) || v instanceof PyTuple) {
    if (active.has(v)) throw new WeightsError('unsupported', 'cannot write a value that contains itself');
    active.add(v);
    try {
      if (Array.isArray(v)) return v.map((x) => normalize(x, false, active));
      if (v instanceof PyTuple) return new PyTuple(v.items.map((x) => normalize(x, false, active)));
      const isStateDict =
        top &&
        !(v instanceof OrderedDict) &&
        [...v].every(([k, x]) => typeof k === 'string' && (x instanceof HostTensor || isTensorLike(x)));
      const out = v instanceof OrderedDict || isStateDict ? new OrderedDict() : new Map<PyKey, PyValue>();
      if (v instanceof OrderedDict && out instanceof OrderedDict)
        for (const [k, x] of v.attrs) out.attrs.set(k, normalize(x, false, active));
      for (const [k, x] of v as Map<PyKey, unknown>) out.set(k, normalize(x, false, active));
      return out;
    } finally {
      active.delete(v);
    }
  }
  return v as PyValue;
}

interface Planned {
  key: string;
  tensor: HostTensor;
}

/** Assigns one storage per distinct tensor, in first-use order, and pickles the object. */
function plan(value: PyValue, legacy: boolean): { pkl: Buffer; storages: Planned[] } {
  const keys = new Map<HostTensor, string>();
  const storages: Planned[] = [];
  const pkl = pickle(value, {
    tensor: (t): TensorRecord => {
      if (!(t instanceof HostTensor))
        throw new WeightsError('unsupported', 'read tensors before writing them');
      let key = keys.get(t);
      if (key === undefined) {
        key = String(storages.length);
        keys.set(t, key);
        storages.push({ key, tensor: t });
      }
      const info = DTYPES[t.dtype];
      const items: PyValue[] = ['storage', new PyGlobal('torch', info.storage), key, 'cpu', t.data.length];
      if (legacy) items.push(null);
      return {
        storagePid: new PyTuple(items),
        offset: 0,
        shape: t.shape,
        strides: contiguousStrides(t.shape),
      };
    },
  });
  return { pkl, storages };
}

/** Buffers small writes into large ones (ENOSPC surfaces on the write that hits it). */
class FileSink implements ByteWriter {
  private buf = Buffer.allocUnsafe(1 << 20);
  private n = 0;
  constructor(private readonly fh: import('node:fs/promises').FileHandle) {}
  async write(chunk: Uint8Array): Promise<void> {
    if (chunk.byteLength >= this.buf.length) {
      await this.flush();
      await this.writeAll(chunk);
      return;
    }
    if (this.n + chunk.byteLength > this.buf.length) await this.flush();
    this.buf.set(chunk, this.n);
    this.n += chunk.byteLength;
  }
  async flush(): Promise<void> {
    if (this.n) await this.writeAll(this.buf.subarray(0, this.n));
    this.n = 0;
  }
  private async writeAll(b: Uint8Array): Promise<void> {
    let done = 0;
    while (done < b.byteLength) {
      const { bytesWritten } = await this.fh.write(b, done, b.byteLength - done);
      done += bytesWritten;
    }
  }
}

/**
 * Runs `fill` against a temporary file next to `path`, then syncs and renames it
 * into place. On any failure the temporary file is removed and `path` is untouched.
 */
export async function writeFileAtomic(path: string, fill: (out: ByteWriter) => Promise<void>): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fh: import('node:fs/promises').FileHandle | undefined;
  try {
    fh = await open(tmp, 'wx', 0o644);
    const sink = new FileSink(fh);
    await fill(sink);
    await sink.flush();
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, path);
  } catch (e) {
    await fh?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    if (e instanceof WeightsError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    const hint = code === 'ENOSPC' ? ' (disk full)' : '';
    throw new WeightsError(
      'io',
      `could not write ${path}: ${code}${hint}; any previous file there is unchanged`,
      { cause: e },
    );
  }
  await syncDir(dir);
}

/** Makes the rename itself durable; some platforms cannot open directories, which is harmless. */
async function syncDir(dir: string): Promise<void> {
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    /* best effort */
  }
}

/**
 * Writes a checkpoint. `obj` is usually a state_dict (a Map of key → tensor), but
 * any nesting of dicts, lists, tuples, numbers, strings and tensors is accepted
 * (optimizer state, epoch counters...).
 */
export async function writePth(path: string, obj: Writable, opts: WritePthOptions = {}): Promise<void> {
  const value = normalize(obj, true);
  const legacy = opts.format === 'legacy';
  const { pkl, storages } = plan(value, legacy);
  await writeFileAtomic(path, async (out) => {
    if (legacy) {
      await out.write(pickle(LEGACY_MAGIC));
      await out.write(pickle(LEGACY_PROTOCOL_VERSION));
      const sizes = new Map<PyKey, PyValue>([
        ['short', 2],
        ['int', 4],
        ['long', 4],
      ]);
      await out.write(
        pickle(
          new Map<PyKey, PyValue>([
            ['protocol_version', LEGACY_PROTOCOL_VERSION],
            ['little_endian', true],
            ['type_sizes', sizes],
          ]),
        ),
      );
      await out.write(pkl);
      await out.write(pickle(storages.map((s) => s.key)));
      const n = Buffer.alloc(8);
      for (const s of storages) {
        n.writeBigInt64LE(BigInt(s.tensor.data.length));
        await out.write(n);
        await out.write(bytesOf(s.tensor.data));
      }
      return;
    }
    const prefix = (opts.prefix ?? 'archive').replace(/\/+$/, '');
    if (!/^[A-Za-z0-9_.-]+$/.test(prefix))
      throw new WeightsError('unsupported', `invalid archive prefix '${prefix}'`);
    const zip = new ZipWriter(out);
    await zip.add(`${prefix}/data.pkl`, [pkl]);
    await zip.add(`${prefix}/byteorder`, [Buffer.from('little')]);
    for (const s of storages) await zip.add(`${prefix}/data/${s.key}`, [bytesOf(s.tensor.data)]);
    await zip.add(`${prefix}/version`, [Buffer.from('3\n')]);
    await zip.finish();
  });
}
