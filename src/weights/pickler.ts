/**
 * Protocol 2 pickle writer for the values torch.load expects in a checkpoint:
 * the same opcodes torch.save emits, so any PyTorch since 0.4 reads the result.
 */
import { WeightsError } from './errors.js';
import { OrderedDict, PyFloat, PyGlobal, PyTuple, pyTypeName, type PyValue } from './pyobj.js';
import { HostTensor, StorageRef, TensorRef } from './tensor.js';

/** What a tensor becomes in the pickle: its persistent storage id and geometry. */
export interface TensorRecord {
  storagePid: PyValue;
  offset: number;
  shape: readonly number[];
  strides: readonly number[];
}

class ByteSink {
  private chunks: Buffer[] = [];
  private cur = Buffer.alloc(1 << 16);
  private n = 0;
  byte(b: number): void {
    if (this.n === this.cur.length) this.flush();
    this.cur[this.n++] = b;
  }
  raw(b: Uint8Array): void {
    if (b.length > this.cur.length - this.n) {
      this.flush();
      if (b.length > this.cur.length) {
        this.chunks.push(Buffer.from(b));
        return;
      }
    }
    this.cur.set(b, this.n);
    this.n += b.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.raw(b);
  }
  private flush(): void {
    this.chunks.push(Buffer.from(this.cur.subarray(0, this.n)));
    this.n = 0;
  }
  result(): Buffer {
    this.flush();
    return Buffer.concat(this.chunks);
  }
}

export interface PickleWriteOptions {
  /** Called for every tensor; returns how it is stored (the writer assigns storage keys). */
  tensor?: (t: HostTensor | TensorRef) => TensorRecord;
}

const BATCH = 1000;

/** Serialises `value` as a protocol 2 pickle. */
export function pickle(value: PyValue, opts: PickleWriteOptions = {}): Buffer {
  const out = new ByteSink();
  const globals = new Map<string, number>();
  let memoNext = 0;
  const active = new Set<object>();

  const put = (): number => {
    const i = memoNext++;
    if (i < 256) {
      out.byte(0x71);
      out.byte(i);
    } else {
      out.byte(0x72);
      out.u32(i);
    }
    return i;
  };
  const global = (module: string, name: string): void => {
    const key = `${module}\n${name}\n`;
    const m = globals.get(key);
    if (m !== undefined) {
      if (m < 256) {
        out.byte(0x68);
        out.byte(m);
      } else {
        out.byte(0x6a);
        out.u32(m);
      }
      return;
    }
    out.byte(0x63);
    out.raw(Buffer.from(key, 'utf8'));
    globals.set(key, put());
  };
  const int = (v: number | bigint): void => {
    if (typeof v === 'number' && v >= 0 && v < 256) {
      out.byte(0x4b);
      out.byte(v);
    } else if (typeof v === 'number' && v >= 0 && v < 65536) {
      out.byte(0x4d);
      out.byte(v & 0xff);
      out.byte(v >> 8);
    } else if (typeof v === 'number' && v >= -0x80000000 && v <= 0x7fffffff) {
      out.byte(0x4a);
      const b = Buffer.alloc(4);
      b.writeInt32LE(v);
      out.raw(b);
    } else {
      const bytes = longBytes(BigInt(v));
      out.byte(0x8a);
      out.byte(bytes.length);
      out.raw(bytes);
    }
  };
  const float = (v: number): void => {
    out.byte(0x47);
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v);
    out.raw(b);
  };
  const str = (s: string): void => {
    const b = Buffer.from(s, 'utf8');
    out.byte(0x58);
    out.u32(b.length);
    out.raw(b);
  };
  const tuple = (items: readonly PyValue[]): void => {
    if (items.length === 0) {
      out.byte(0x29);
      return;
    }
    if (items.length <= 3) {
      for (const it of items) write(it);
      out.byte(0x84 + items.length);
      return;
    }
    out.byte(0x28);
    for (const it of items) write(it);
    out.byte(0x74);
  };
  const setItems = (entries: [PyValue, PyValue][]): void => {
    for (let i = 0; i < entries.length; i += BATCH) {
      out.byte(0x28);
      for (const [k, v] of entries.slice(i, i + BATCH)) {
        write(k);
        write(v);
      }
      out.byte(0x75);
    }
  };
  const tensor = (t: HostTensor | TensorRef): void => {
    if (!opts.tensor)
      throw new WeightsError('unsupported', 'tensors can only be pickled inside a checkpoint writer');
    const r = opts.tensor(t);
    global('torch._utils', '_rebuild_tensor_v2');
    out.byte(0x28);
    write(r.storagePid);
    out.byte(0x51); // BINPERSID
    int(r.offset);
    tuple(r.shape);
    tuple(r.strides);
    out.byte(0x89); // requires_grad: state_dicts hold detached tensors
    global('collections', 'OrderedDict');
    out.byte(0x29);
    out.byte(0x52); // backward_hooks = OrderedDict()
    out.byte(0x74);
    out.byte(0x52);
    put();
  };

  const write = (v: PyValue): void => {
    if (v === null) out.byte(0x4e);
    else if (v === true) out.byte(0x88);
    else if (v === false) out.byte(0x89);
    else if (typeof v === 'number') {
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) int(v);
      else float(v);
    } else if (typeof v === 'bigint') int(v);
    else if (typeof v === 'string') str(v);
    else if (v instanceof PyFloat) float(v.value);
    else if (v instanceof PyGlobal) global(v.module, v.name);
    else if (v instanceof HostTensor || v instanceof TensorRef) tensor(v);
    else if (v instanceof StorageRef)
      throw new WeightsError('unsupported', 'bare storages cannot be written; write tensors');
    else {
      if (active.has(v)) throw new WeightsError('unsupported', 'cannot write a value that contains itself');
      active.add(v);
      if (v instanceof Uint8Array) {
        // Python 3 bytes at protocol 2, exactly as CPython writes them.
        global('_codecs', 'encode');
        str(Buffer.from(v).toString('latin1'));
        str('latin1');
        out.byte(0x86);
        out.byte(0x52);
      } else if (Array.isArray(v)) {
        out.byte(0x5d);
        put();
        for (let i = 0; i < v.length; i += BATCH) {
          out.byte(0x28);
          for (const it of v.slice(i, i + BATCH)) write(it);
          out.byte(0x65);
        }
      } else if (v instanceof PyTuple) {
        tuple(v.items);
      } else if (v instanceof OrderedDict) {
        global('collections', 'OrderedDict');
        out.byte(0x29);
        out.byte(0x52);
        put();
        setItems([...v.entries()]);
        if (v.attrs.size) {
          out.byte(0x7d);
          setItems([...v.attrs.entries()]);
          out.byte(0x62); // BUILD: restores state_dict._metadata
        }
      } else if (v instanceof Map) {
        out.byte(0x7d);
        put();
        setItems([...v.entries()]);
      } else if (v instanceof Set) {
        global('__builtin__', 'set');
        out.byte(0x5d);
        for (const it of v) {
          write(it);
          out.byte(0x61);
        }
        out.byte(0x85);
        out.byte(0x52);
      } else {
        throw new WeightsError('unsupported', `cannot pickle a ${pyTypeName(v)}`);
      }
      active.delete(v);
    }
  };

  out.byte(0x80);
  out.byte(2);
  write(value);
  out.byte(0x2e);
  return out.result();
}

/** Minimal two's-complement little-endian bytes (pickle's LONG1 payload). */
function longBytes(v: bigint): Buffer {
  if (v === 0n) return Buffer.alloc(0);
  const bytes: number[] = [];
  let x = v;
  for (;;) {
    bytes.push(Number(x & 0xffn));
    x >>= 8n;
    const sign = bytes[bytes.length - 1] & 0x80;
    if ((x === 0n && !sign) || (x === -1n && sign)) break;
  }
  return Buffer.from(bytes);
}
