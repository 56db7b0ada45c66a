/**
 * A pickle interpreter that builds values and never runs anything from the file.
 *
 * Python's unpickler resolves any `module.name` the file mentions and calls it,
 * which is how a .pth file can run `os.system`. Here GLOBAL and STACK_GLOBAL only
 * accept the names in ALLOWED, and REDUCE/NEWOBJ/BUILD only apply the handful of
 * pure constructors a state_dict or optimizer state needs, implemented in JS.
 * Every other opcode that could run code (INST, OBJ, EXT*, out-of-band buffers)
 * is refused. Protocols 0-5 are read; torch.save writes protocol 2.
 */
import { WeightsError } from './errors.js';
import { dtypeOfStorage, dtypeOfTorchName } from './dtype.js';
import { OrderedDict, PyFloat, PyGlobal, PyTuple, pyTypeName, type PyKey, type PyValue } from './pyobj.js';
import { StorageRef, TensorRef } from './tensor.js';

/** Thrown when the input ends before STOP; a reader holding only a prefix of the file may retry with more. */
export class PickleNeedsMoreData extends Error {
  constructor() {
    super('pickle ended before its STOP opcode');
  }
}

export interface UnpickleOptions {
  /** Resolves BINPERSID/PERSID ids (torch: storages). Without it a persistent id is an error. */
  persistentLoad?: (pid: PyValue) => PyValue;
  /** Named in error messages. */
  source?: string;
}

export interface UnpickleResult {
  value: PyValue;
  /** Offset just past STOP, where a following pickle starts. */
  end: number;
}

type Reducer = (args: readonly PyValue[], g: PyGlobal) => PyValue;

const rebuildV2: Reducer = (a, g) => {
  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  if (a.length < 4) throw corrupt(`${g.qualname} expects at least 4 arguments, got ${a.length}`);
  return makeTensor(a[0], a[1], a[2], a[3], a[4] === true, g);
};

const REDUCERS: ReadonlyMap<string, Reducer> = new Map<string, Reducer>([
  [
    'collections.OrderedDict',
    (a) => {
      const d = new OrderedDict();
      if (a.length > 0 && a[0] !== null) for (const [k, v] of pairsOf(a[0], 'OrderedDict')) d.set(k, v);
      return d;
    },
  ],
  [
    'torch._utils._rebuild_tensor',
    (a, g) => {
      if (a.length !== 4) throw corrupt(`${g.qualname} expects 4 arguments, got ${a.length}`);
      return makeTensor(a[0], a[1], a[2], a[3], false, g);
    },
  ],
  ['torch._utils._rebuild_tensor_v2', rebuildV2],
  [
    'torch._utils._rebuild_tensor_v3',
    (a, g) => {
      // (storage, offset, size, stride, requires_grad, backward_hooks, dtype[, metadata]): the storage is untyped.
      if (a.length < 7) throw corrupt(`${g.qualname} expects at least 7 arguments, got ${a.length}`);
      const dt = a[6];
      const dtype = dt instanceof PyGlobal && dt.module === 'torch' ? dtypeOfTorchName(dt.name) : undefined;
      if (!dtype) throw unsupported(`${g.qualname} with dtype ${pyTypeName(dt)}`);
      const s = a[0];
      if (!(s instanceof StorageRef)) throw corrupt(`${g.qualname} expects a storage, got ${pyTypeName(s)}`);
      const retyped = retype(s, dtype);
      return makeTensor(retyped, a[1], a[2], a[3], a[4] === true, g);
    },
  ],
  ['torch._utils._rebuild_parameter', (a, g) => parameter(a, g)],
  ['torch._utils._rebuild_parameter_with_state', (a, g) => parameter(a, g)],
  ['torch.nn.parameter.Parameter', (a, g) => parameter(a, g)],
  ['torch.Size', (a) => new PyTuple(a.length ? seqOf(a[0], 'torch.Size') : [])],
  ['builtins.set', (a) => new Set(a.length ? seqOf(a[0], 'set').map(asKey) : [])],
  ['builtins.frozenset', (a) => new Set(a.length ? seqOf(a[0], 'frozenset').map(asKey) : [])],
  ['builtins.list', (a) => (a.length ? [...seqOf(a[0], 'list')] : [])],
  ['builtins.tuple', (a) => new PyTuple(a.length ? seqOf(a[0], 'tuple') : [])],
  [
    'builtins.dict',
    (a) => {
      const d = new Map<PyKey, PyValue>();
      if (a.length) for (const [k, v] of pairsOf(a[0], 'dict')) d.set(k, v);
      return d;
    },
  ],
  ['builtins.bytearray', (a) => (a.length ? bytesArg(a[0]) : new Uint8Array(0))],
  // Protocol 2 pickles Python 3 bytes as _codecs.encode(text, 'latin1').
  [
    '_codecs.encode',
    (a, g) => {
      if (a.length !== 2 || typeof a[0] !== 'string' || (a[1] !== 'latin1' && a[1] !== 'latin-1')) {
        throw refused(`${g.qualname} is only allowed as _codecs.encode(str, 'latin1')`);
      }
      return Uint8Array.from(a[0], (c) => c.charCodeAt(0) & 0xff);
    },
  ],
]);

const STORAGE_CLASSES = [
  'FloatStorage',
  'DoubleStorage',
  'HalfStorage',
  'BFloat16Storage',
  'LongStorage',
  'IntStorage',
  'ShortStorage',
  'CharStorage',
  'ByteStorage',
  'BoolStorage',
];
const DTYPE_NAMES = [
  'float32',
  'float',
  'float64',
  'double',
  'float16',
  'half',
  'bfloat16',
  'int64',
  'long',
  'int32',
  'int',
  'int16',
  'short',
  'int8',
  'uint8',
  'bool',
];

/** Globals that may appear as plain values (storage classes in persistent ids, dtypes for _rebuild_tensor_v3). */
const VALUE_GLOBALS: ReadonlySet<string> = new Set([
  ...STORAGE_CLASSES.map((s) => `torch.${s}`),
  ...STORAGE_CLASSES.map((s) => `torch.cuda.${s}`),
  'torch.UntypedStorage',
  'torch.storage.UntypedStorage',
  ...DTYPE_NAMES.map((d) => `torch.${d}`),
]);

/** Python 2 module names that mean the Python 3 ones (pickle's fix_imports). */
const MODULE_ALIASES: ReadonlyMap<string, string> = new Map([
  ['__builtin__', 'builtins'],
  ['copy_reg', 'copyreg'],
]);

export const ALLOWED_GLOBALS: readonly string[] = [...REDUCERS.keys(), ...VALUE_GLOBALS].sort();

function corrupt(msg: string): WeightsError {
  return new WeightsError('corrupt', msg);
}
function refused(msg: string): WeightsError {
  return new WeightsError('refused', msg);
}
function unsupported(msg: string): WeightsError {
  return new WeightsError('unsupported', msg);
}

function seqOf(v: PyValue, what: string): readonly PyValue[] {
  if (Array.isArray(v)) return v;
  if (v instanceof PyTuple) return v.items;
  throw corrupt(`${what} expects a list or tuple, got ${pyTypeName(v)}`);
}

function pairsOf(v: PyValue, what: string): [PyKey, PyValue][] {
  if (v instanceof Map) return [...v.entries()];
  return seqOf(v, what).map((p) => {
    const kv = seqOf(p, what);
    if (kv.length !== 2) throw corrupt(`${what} expects key/value pairs`);
    return [asKey(kv[0]), kv[1]];
  });
}

function bytesArg(v: PyValue): Uint8Array {
  if (v instanceof Uint8Array) return Uint8Array.from(v);
  throw corrupt(`bytearray expects bytes, got ${pyTypeName(v)}`);
}

function asKey(v: PyValue): PyKey {
  if (
    v === null ||
    typeof v === 'string' ||
    typeof v === 'number' ||
    typeof v === 'bigint' ||
    typeof v === 'boolean' ||
    v instanceof PyTuple
  )
    return v;
  if (v instanceof PyFloat) return v.value;
  throw corrupt(`unhashable ${pyTypeName(v)} used as a dict key or set member`);
}

function intArg(v: PyValue, what: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'bigint') throw corrupt(`${what} ${v} overflows`);
  throw corrupt(`${what} must be an int, got ${pyTypeName(v)}`);
}

function intsArg(v: PyValue, what: string): number[] {
  return seqOf(v, what).map((x) => intArg(x, what));
}

function makeTensor(
  storage: PyValue,
  offset: PyValue,
  size: PyValue,
  stride: PyValue,
  requiresGrad: boolean,
  g: PyGlobal,
): TensorRef {
  if (!(storage instanceof StorageRef))
    throw corrupt(`${g.qualname} expects a storage, got ${pyTypeName(storage)}`);
  return new TensorRef(
    storage,
    intArg(offset, 'storage offset'),
    intsArg(size, 'tensor size'),
    intsArg(stride, 'tensor stride'),
    requiresGrad,
  );
}

function parameter(a: readonly PyValue[], g: PyGlobal): PyValue {
  const t = a[0];
  if (!(t instanceof TensorRef))
    throw corrupt(`${g.qualname} expects a tensor, got ${pyTypeName(t ?? null)}`);
  return new TensorRef(t.storage, t.offset, t.shape, t.strides, a[1] === true);
}

function retype(s: StorageRef, dtype: StorageRef['dtype']): StorageRef {
  if (s.dtype === dtype) return s;
  if (s.dtype !== 'uint8')
    throw corrupt(`storage '${s.key}' is ${s.dtype} but a tensor reads it as ${dtype}`);
  const size = {
    float32: 4,
    float64: 8,
    float16: 2,
    bfloat16: 2,
    int64: 8,
    int32: 4,
    int16: 2,
    int8: 1,
    uint8: 1,
    bool: 1,
  }[dtype];
  if (s.numel % size !== 0)
    throw corrupt(`storage '${s.key}' of ${s.numel} bytes is not a whole number of ${dtype} elements`);
  return new StorageRef(s.key, dtype, s.numel / size, s.location, s.view);
}

function resolveGlobal(module: string, name: string, source: string): PyGlobal {
  const mod = MODULE_ALIASES.get(module) ?? module;
  const q = `${mod}.${name}`;
  if (!REDUCERS.has(q) && !VALUE_GLOBALS.has(q)) {
    throw refused(
      `${source}: refusing pickle global '${module}.${name}': a weights file needs only ` +
        `collections.OrderedDict, torch._utils._rebuild_tensor_v2, _rebuild_parameter, torch.*Storage and a few ` +
        `builtins; nothing from the file was executed`,
    );
  }
  return new PyGlobal(mod, name);
}

/** The storage dtype a persistent id names (torch.FloatStorage ...). */
export function storageDType(v: PyValue): StorageRef['dtype'] | undefined {
  if (!(v instanceof PyGlobal)) return undefined;
  if (v.module !== 'torch' && v.module !== 'torch.cuda' && v.module !== 'torch.storage') return undefined;
  return dtypeOfStorage(v.name);
}

const MARK = Symbol('mark');
type Slot = PyValue | typeof MARK;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Interprets one pickle starting at `start`. Pure: the same bytes give the same value,
 * so a caller that ran out of input can retry with more.
 */
export function unpickle(buf: Uint8Array, opts: UnpickleOptions = {}, start = 0): UnpickleResult {
  const source = opts.source ?? 'pickle';
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = start;
  let stack: Slot[] = [];
  const metastack: Slot[][] = [];
  const memo = new Map<number, PyValue>();

  const need = (n: number): void => {
    if (n < 0 || pos + n > buf.length) throw new PickleNeedsMoreData();
  };
  const u8 = (): number => {
    need(1);
    return buf[pos++];
  };
  const u16 = (): number => {
    need(2);
    const v = dv.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = dv.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8);
    const v = dv.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(buf.length)) throw new PickleNeedsMoreData();
    return Number(v);
  };
  const bytes = (n: number): Uint8Array => {
    need(n);
    const b = buf.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const line = (): string => {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) throw new PickleNeedsMoreData();
    const s = Buffer.from(buf.buffer, buf.byteOffset + pos, nl - pos).toString('latin1');
    pos = nl + 1;
    return s;
  };
  const text = (b: Uint8Array): string => {
    try {
      return utf8.decode(b);
    } catch {
      throw corrupt(`${source}: a string is not valid UTF-8`);
    }
  };
  const pop = (): PyValue => {
    const v = stack.pop();
    if (v === undefined) throw corrupt(`${source}: pickle stack underflow at byte ${pos - 1}`);
    if (v === MARK) throw corrupt(`${source}: unexpected MARK at byte ${pos - 1}`);
    return v;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) throw corrupt(`${source}: pickle stack empty at byte ${pos - 1}`);
    return v;
  };
  const popMark = (): PyValue[] => {
    const items = stack as PyValue[];
    const prev = metastack.pop();
    if (!prev) throw corrupt(`${source}: pickle MARK missing at byte ${pos - 1}`);
    stack = prev;
    return items;
  };
  const push = (v: PyValue): void => {
    stack.push(v);
  };
  const memoGet = (i: number): PyValue => {
    const v = memo.get(i);
    if (v === undefined) throw corrupt(`${source}: pickle memo entry ${i} missing`);
    return v;
  };
  const intFromLE = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const intFromText = (s: string): number | bigint => {
    const t = s.endsWith('L') ? s.slice(0, -1) : s;
    if (!/^[-+]?\d+$/.test(t)) throw corrupt(`${source}: bad integer literal '${s}'`);
    const v = BigInt(t);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const setItems = (d: PyValue, items: PyValue[]): void => {
    if (!(d instanceof Map)) throw refused(`${source}: SETITEM on ${pyTypeName(d)} is not allowed`);
    if (items.length % 2) throw corrupt(`${source}: odd number of items for a dict`);
    for (let i = 0; i < items.length; i += 2) d.set(asKey(items[i]), items[i + 1]);
  };
  const appendItems = (l: PyValue, items: PyValue[]): void => {
    if (!Array.isArray(l)) throw refused(`${source}: APPEND on ${pyTypeName(l)} is not allowed`);
    for (const it of items) l.push(it);
  };
  const call = (fn: PyValue, args: PyValue, op: string): PyValue => {
    if (!(fn instanceof PyGlobal)) throw refused(`${source}: ${op} on ${pyTypeName(fn)} is not allowed`);
    const r = REDUCERS.get(fn.qualname);
    if (!r)
      throw refused(`${source}: calling '${fn.qualname}' is not allowed (it may only appear as a value)`);
    if (!(args instanceof PyTuple))
      throw corrupt(`${source}: ${op} arguments must be a tuple, got ${pyTypeName(args)}`);
    return r(args.items, fn);
  };
  const persistent = (pid: PyValue): PyValue => {
    if (!opts.persistentLoad)
      throw unsupported(
        `${source}: the pickle refers to external data (persistent id) that this reader cannot resolve`,
      );
    return opts.persistentLoad(pid);
  };

  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) throw unsupported(`${source}: pickle protocol ${buf[pos - 1]} is newer than 5`);
        break;
      case 0x95: // FRAME: framing is only a hint for buffered readers
        u64();
        break;
      case 0x2e: // STOP
        return { value: pop(), end: pos };
      case 0x28: // MARK
        metastack.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        if (stack.length === 0) popMark();
        else stack.pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        push(top());
        break;
      case 0x4e: // NONE
        push(null);
        break;
      case 0x88: // NEWTRUE
        push(true);
        break;
      case 0x89: // NEWFALSE
        push(false);
        break;
      case 0x4a: {
        // BININT
        need(4);
        push(dv.getInt32(pos, true));
        pos += 4;
        break;
      }
      case 0x4b: // BININT1
        push(u8());
        break;
      case 0x4d: // BININT2
        push(u16());
        break;
      case 0x8a: // LONG1
        push(intFromLE(bytes(u8())));
        break;
      case 0x8b: {
        // LONG4
        need(4);
        const n = dv.getInt32(pos, true);
        pos += 4;
        if (n < 0) throw corrupt(`${source}: negative LONG4 length`);
        push(intFromLE(bytes(n)));
        break;
      }
      case 0x49: {
        // INT (text): I01/I00 are protocol 0's True/False
        const s = line();
        push(s === '01' ? true : s === '00' ? false : intFromText(s));
        break;
      }
      case 0x4c: // LONG (text)
        push(intFromText(line()));
        break;
      case 0x46: {
        // FLOAT (text)
        const s = line().trim();
        const v = Number(s);
        if (s === '' || (Number.isNaN(v) && !/^[-+]?nan$/i.test(s)))
          throw corrupt(`${source}: bad float literal '${s}'`);
        push(v);
        break;
      }
      case 0x47: {
        // BINFLOAT: big-endian double
        need(8);
        const v = dv.getFloat64(pos, false);
        pos += 8;
        push(v);
        break;
      }
      case 0x58: // BINUNICODE
        push(text(bytes(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        push(text(bytes(u8())));
        break;
      case 0x8d: // BINUNICODE8
        push(text(bytes(u64())));
        break;
      case 0x55: // SHORT_BINSTRING (Python 2 str): decoded like torch.load's default encoding
        push(text(bytes(u8())));
        break;
      case 0x54: {
        // BINSTRING
        need(4);
        const n = dv.getInt32(pos, true);
        pos += 4;
        if (n < 0) throw corrupt(`${source}: negative BINSTRING length`);
        push(text(bytes(n)));
        break;
      }
      case 0x53: // STRING (text, quoted repr)
        push(pyStringLiteral(line(), source));
        break;
      case 0x56: // UNICODE (raw-unicode-escape)
        push(rawUnicodeEscape(line()));
        break;
      case 0x42: // BINBYTES
        push(Uint8Array.from(bytes(u32())));
        break;
      case 0x43: // SHORT_BINBYTES
        push(Uint8Array.from(bytes(u8())));
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        push(Uint8Array.from(bytes(u64())));
        break;
      case 0x5d: // EMPTY_LIST
        push([]);
        break;
      case 0x6c: // LIST
        push(popMark());
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x29: // EMPTY_TUPLE
        push(new PyTuple([]));
        break;
      case 0x74: // TUPLE
        push(new PyTuple(popMark()));
        break;
      case 0x85: // TUPLE1
        push(new PyTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        const a = pop();
        push(new PyTuple([a, b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        push(new PyTuple([a, b, c]));
        break;
      }
      case 0x7d: // EMPTY_DICT
        push(new Map<PyKey, PyValue>());
        break;
      case 0x64: {
        // DICT
        const items = popMark();
        const d = new Map<PyKey, PyValue>();
        setItems(d, items);
        push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x8f: // EMPTY_SET
        push(new Set<PyKey>());
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) throw refused(`${source}: ADDITEMS on ${pyTypeName(s)} is not allowed`);
        for (const it of items) s.add(asKey(it));
        break;
      }
      case 0x91: // FROZENSET
        push(new Set(popMark().map(asKey)));
        break;
      case 0x70: // PUT
        memo.set(Number(intFromText(line())), top());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x67: // GET
        push(memoGet(Number(intFromText(line()))));
        break;
      case 0x68: // BINGET
        push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        push(memoGet(u32()));
        break;
      case 0x63: {
        // GLOBAL
        const module = line();
        const name = line();
        push(resolveGlobal(module, name, source));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          throw corrupt(`${source}: STACK_GLOBAL needs two strings`);
        push(resolveGlobal(module, name, source));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        push(call(fn, args, 'REDUCE'));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args); allowed only for the same pure constructors
        const args = pop();
        const cls = pop();
        push(call(cls, args, 'NEWOBJ'));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        if (kwargs instanceof Map && kwargs.size > 0)
          throw refused(`${source}: NEWOBJ_EX with keyword arguments is not allowed`);
        push(call(cls, args, 'NEWOBJ_EX'));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const obj = top();
        build(obj, state, source);
        break;
      }
      case 0x51: // BINPERSID
        push(persistent(pop()));
        break;
      case 0x50: // PERSID (text id)
        push(persistent(line()));
        break;
      case 0x69: // INST
      case 0x6f: // OBJ
        throw refused(
          `${source}: pickle opcode ${op === 0x69 ? 'INST' : 'OBJ'} (instantiating arbitrary classes) at byte ${at} is not allowed`,
        );
      case 0x82:
      case 0x83:
      case 0x84:
        throw refused(`${source}: pickle extension registry opcodes (EXT*) at byte ${at} are not allowed`);
      case 0x97:
      case 0x98:
        throw unsupported(`${source}: out-of-band pickle buffers at byte ${at} are not supported`);
      default:
        throw corrupt(`${source}: invalid pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at}`);
    }
  }
}

/** BUILD is how pickle restores instance state; only OrderedDict attributes (state_dict._metadata) are accepted. */
function build(obj: PyValue, state: PyValue, source: string): void {
  if (state === null) return;
  if (obj instanceof OrderedDict) {
    let attrs: PyValue = state;
    // (dict_state, slot_state) form
    if (attrs instanceof PyTuple && attrs.items.length === 2) attrs = attrs.items[0];
    if (attrs === null) return;
    if (!(attrs instanceof Map))
      throw corrupt(`${source}: OrderedDict state must be a dict, got ${pyTypeName(attrs)}`);
    for (const [k, v] of attrs) {
      if (typeof k !== 'string') throw corrupt(`${source}: attribute names must be strings`);
      obj.attrs.set(k, v);
    }
    return;
  }
  if (obj instanceof TensorRef) return; // _rebuild_parameter_with_state already captured what matters
  throw refused(`${source}: restoring the state of a ${pyTypeName(obj)} (BUILD) is not allowed`);
}

function pyStringLiteral(s: string, source: string): string {
  const q = s[0];
  if ((q !== "'" && q !== '"') || s[s.length - 1] !== q || s.length < 2)
    throw corrupt(`${source}: bad STRING literal`);
  const body = s.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = body[++i];
    const simple: Record<string, string> = {
      n: '\n',
      t: '\t',
      r: '\r',
      '\\': '\\',
      "'": "'",
      '"': '"',
      a: '\x07',
      b: '\b',
      f: '\f',
      v: '\v',
    };
    if (n in simple) out += simple[n];
    else if (n === 'x') {
      out += String.fromCharCode(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (/[0-7]/.test(n)) {
      const m = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      out += String.fromCharCode(parseInt(m, 8));
      i += m.length - 1;
    } else out += '\\' + n;
  }
  return Buffer.from(out, 'latin1').toString('utf8');
}

function rawUnicodeEscape(s: string): string {
  return s.replace(
    /\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g,
    (_m, a: string | undefined, b: string | undefined) => String.fromCodePoint(parseInt(a ?? b ?? '0', 16)),
  );
}
