/**
 * The Python values a checkpoint may hold, as JS values. Lists are arrays, dicts
 * are Maps (keys may be ints, as in optimizer state), ints beyond 2^53 are bigints,
 * bytes are Uint8Arrays. Tuples and OrderedDicts keep their own classes so a file
 * written back reads in torch exactly as it was. Floats read as plain numbers;
 * PyFloat only forces `1.0` rather than `1` when writing.
 */
import type { HostTensor, StorageRef, TensorRef } from './tensor.js';

/** A Python tuple (JS arrays stand for lists). */
export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}

/** collections.OrderedDict; `attrs` holds instance attributes such as a state_dict's `_metadata`. */
export class OrderedDict<K extends PyKey = PyKey, V extends PyValue = PyValue> extends Map<K, V> {
  readonly attrs = new Map<string, PyValue>();
}

/** Forces a float in the written pickle (a JS number with no fraction is otherwise written as an int). */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** A reference to an allowed Python global that is a value rather than a call (torch.float32, torch.FloatStorage). */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualname(): string {
    return `${this.module}.${this.name}`;
  }
}

export type PyKey = string | number | bigint | boolean | null | PyTuple;

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyTuple
  | Map<PyKey, PyValue>
  | Set<PyKey>
  | PyFloat
  | PyGlobal
  | StorageRef
  | TensorRef
  | HostTensor;

export function isDict(v: unknown): v is Map<PyKey, PyValue> {
  return v instanceof Map;
}

/** A short description of a value's Python type, for error messages. */
export function pyTypeName(v: unknown): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return 'list';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof OrderedDict) return 'OrderedDict';
  if (v instanceof Map) return 'dict';
  if (v instanceof Set) return 'set';
  if (v instanceof PyFloat) return 'float';
  if (v instanceof PyGlobal) return v.qualname;
  return (v as object).constructor?.name ?? typeof v;
}
