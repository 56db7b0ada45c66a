/**
 * Tensor element types as PyTorch stores them, with the typed array that holds
 * each one on our side. float16 and bfloat16 have no native JS array in Node 20,
 * so their raw bits travel in a Uint16Array until converted to float32.
 */
import { WeightsError } from './errors.js';

export type DType =
  'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export type TensorArray =
  | Float32Array
  | Float64Array
  | Uint16Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array;

interface DTypeInfo {
  size: number;
  /** Legacy typed storage class (what torch pickles as the storage type). */
  storage: string;
  /** Name of the torch.dtype global (torch.float32 ...), as _rebuild_tensor_v3 pickles it. */
  torchName: string;
  floating: boolean;
  make: (buf: ArrayBuffer, offset: number, length: number) => TensorArray;
}

export const DTYPES: Readonly<Record<DType, DTypeInfo>> = {
  float32: {
    size: 4,
    storage: 'FloatStorage',
    torchName: 'float32',
    floating: true,
    make: (b, o, n) => new Float32Array(b, o, n),
  },
  float64: {
    size: 8,
    storage: 'DoubleStorage',
    torchName: 'float64',
    floating: true,
    make: (b, o, n) => new Float64Array(b, o, n),
  },
  float16: {
    size: 2,
    storage: 'HalfStorage',
    torchName: 'float16',
    floating: true,
    make: (b, o, n) => new Uint16Array(b, o, n),
  },
  bfloat16: {
    size: 2,
    storage: 'BFloat16Storage',
    torchName: 'bfloat16',
    floating: true,
    make: (b, o, n) => new Uint16Array(b, o, n),
  },
  int64: {
    size: 8,
    storage: 'LongStorage',
    torchName: 'int64',
    floating: false,
    make: (b, o, n) => new BigInt64Array(b, o, n),
  },
  int32: {
    size: 4,
    storage: 'IntStorage',
    torchName: 'int32',
    floating: false,
    make: (b, o, n) => new Int32Array(b, o, n),
  },
  int16: {
    size: 2,
    storage: 'ShortStorage',
    torchName: 'int16',
    floating: false,
    make: (b, o, n) => new Int16Array(b, o, n),
  },
  int8: {
    size: 1,
    storage: 'CharStorage',
    torchName: 'int8',
    floating: false,
    make: (b, o, n) => new Int8Array(b, o, n),
  },
  uint8: {
    size: 1,
    storage: 'ByteStorage',
    torchName: 'uint8',
    floating: false,
    make: (b, o, n) => new Uint8Array(b, o, n),
  },
  bool: {
    size: 1,
    storage: 'BoolStorage',
    torchName: 'bool',
    floating: false,
    make: (b, o, n) => new Uint8Array(b, o, n),
  },
};

const BY_STORAGE = new Map<string, DType>(Object.entries(DTYPES).map(([k, v]) => [v.storage, k as DType]));
const BY_TORCH_NAME = new Map<string, DType>([
  ...Object.entries(DTYPES).map(([k, v]) => [v.torchName, k as DType] as [string, DType]),
  ['float', 'float32'],
  ['double', 'float64'],
  ['half', 'float16'],
  ['long', 'int64'],
  ['int', 'int32'],
  ['short', 'int16'],
]);

/** dtype of a storage class name (FloatStorage, HalfStorage, ...), or undefined. */
export function dtypeOfStorage(className: string): DType | undefined {
  // UntypedStorage holds bytes; torch pickles it when an untyped storage itself was saved.
  if (className === 'UntypedStorage') return 'uint8';
  return BY_STORAGE.get(className);
}

/** dtype of a torch.dtype global name (float32, half, ...), or undefined. */
export function dtypeOfTorchName(name: string): DType | undefined {
  return BY_TORCH_NAME.get(name);
}

export function elementSize(dtype: DType): number {
  return DTYPES[dtype].size;
}

export function isFloating(dtype: DType): boolean {
  return DTYPES[dtype].floating;
}

/** An array of `n` elements of `dtype`, zero-filled. */
export function allocArray(dtype: DType, n: number): TensorArray {
  return DTYPES[dtype].make(new ArrayBuffer(n * DTYPES[dtype].size), 0, n);
}

/** The typed array viewing `bytes` as `dtype`; copies only when `bytes` is misaligned. */
export function viewAs(dtype: DType, bytes: Uint8Array): TensorArray {
  const size = DTYPES[dtype].size;
  if (bytes.byteLength % size !== 0)
    throw new WeightsError('corrupt', `${bytes.byteLength} bytes is not a whole number of ${dtype} elements`);
  const n = bytes.byteLength / size;
  if (bytes.byteOffset % size === 0)
    return DTYPES[dtype].make(bytes.buffer as ArrayBuffer, bytes.byteOffset, n);
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return DTYPES[dtype].make(copy.buffer, 0, n);
}

/** Raw bytes of a typed array (a view, no copy). */
export function bytesOf(a: TensorArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Does `a` have the JS array type that holds `dtype`? */
export function arrayMatches(dtype: DType, a: TensorArray): boolean {
  switch (dtype) {
    case 'float32':
      return a instanceof Float32Array;
    case 'float64':
      return a instanceof Float64Array;
    case 'float16':
    case 'bfloat16':
      return a instanceof Uint16Array;
    case 'int64':
      return a instanceof BigInt64Array;
    case 'int32':
      return a instanceof Int32Array;
    case 'int16':
      return a instanceof Int16Array;
    case 'int8':
      return a instanceof Int8Array;
    case 'uint8':
    case 'bool':
      return a instanceof Uint8Array;
  }
}

/** The dtype a typed array stands for when nobody said (Uint16Array is ambiguous). */
export function dtypeOfArray(a: TensorArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Uint8Array) return 'uint8';
  throw new WeightsError(
    'unsupported',
    'a Uint16Array may hold float16 or bfloat16 bits: give the dtype explicitly',
  );
}

const F16_SCRATCH = new Float32Array(1);
const F16_SCRATCH_U32 = new Uint32Array(F16_SCRATCH.buffer);

/** IEEE half bits to a float (exact: every half is representable in float32). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** float to IEEE half bits, round to nearest even (as torch's .half()). */
export function floatToHalf(v: number): number {
  F16_SCRATCH[0] = v;
  const x = F16_SCRATCH_U32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    if (rem > half || (rem === half && r & 1)) r++;
    return sign | r;
  }
  let r = mant >>> 13;
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && r & 1)) {
    r++;
    if (r === 0x400) {
      r = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | r;
}

/** Converts any floating tensor array to float32 (float32 input is returned as is). */
export function toFloat32(dtype: DType, a: TensorArray): Float32Array {
  if (dtype === 'float32') return a as Float32Array;
  const out = new Float32Array(a.length);
  if (dtype === 'float16') {
    const src = a as Uint16Array;
    for (let i = 0; i < src.length; i++) out[i] = halfToFloat(src[i]);
  } else if (dtype === 'bfloat16') {
    const src = a as Uint16Array;
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < src.length; i++) bits[i] = src[i] << 16;
  } else if (dtype === 'int64') {
    const src = a as BigInt64Array;
    for (let i = 0; i < src.length; i++) out[i] = Number(src[i]);
  } else {
    const src = a as Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array;
    for (let i = 0; i < src.length; i++) out[i] = src[i];
  }
  return out;
}
