/**
 * Tensors as a checkpoint describes them (TensorRef: a view into a storage that
 * has not been read yet) and as they come out of it (HostTensor: contiguous data
 * in memory).
 */
import { WeightsError } from './errors.js';
import { arrayMatches, dtypeOfArray, elementSize, type DType, type TensorArray } from './dtype.js';

export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** A storage named in the pickle; its bytes are located later by the container reader. */
export class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: DType,
    /** Elements of `dtype`. */
    readonly numel: number,
    readonly location: string,
    /** Legacy files may name a view of another storage (an element offset into it). */
    readonly view?: { readonly base: StorageRef; readonly offset: number },
  ) {}

  get nbytes(): number {
    return this.numel * elementSize(this.dtype);
  }
}

/** A tensor's geometry over a storage, as `_rebuild_tensor_v2` describes it. */
export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    /** Elements into the storage. */
    readonly offset: number,
    readonly shape: readonly number[],
    readonly strides: readonly number[],
    readonly requiresGrad = false,
  ) {
    const bad = (why: string): never => {
      throw new WeightsError('corrupt', `tensor on storage '${storage.key}' ${why}`);
    };
    if (shape.length !== strides.length) bad(`has ${shape.length} sizes but ${strides.length} strides`);
    if (!Number.isSafeInteger(offset) || offset < 0) bad(`has invalid storage offset ${offset}`);
    let numel = 1;
    let last = offset;
    for (let i = 0; i < shape.length; i++) {
      const d = shape[i];
      const s = strides[i];
      if (!Number.isSafeInteger(d) || d < 0) bad(`has invalid size ${fmtShape(shape)}`);
      if (!Number.isSafeInteger(s) || s < 0) bad(`has invalid strides ${fmtShape(strides)}`);
      numel *= d;
      if (d > 0) last += (d - 1) * s;
      if (!Number.isSafeInteger(numel) || !Number.isSafeInteger(last))
        bad(`has a size that overflows: ${fmtShape(shape)}`);
    }
    if (numel > 0 && last >= storage.numel) {
      bad(
        `of size ${fmtShape(shape)}, strides ${fmtShape(strides)}, offset ${offset} reaches element ${last} of a storage of ${storage.numel}`,
      );
    }
  }

  get dtype(): DType {
    return this.storage.dtype;
  }

  get numel(): number {
    return numelOf(this.shape);
  }

  get nbytes(): number {
    return this.numel * elementSize(this.dtype);
  }

  /** True when the elements are laid out densely in C order (size-1 dims ignored). */
  get isContiguous(): boolean {
    let expect = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      if (this.shape[i] === 1) continue;
      if (this.strides[i] !== expect) return false;
      expect *= this.shape[i];
    }
    return true;
  }

  /** Element range [first, last] of the storage this tensor touches (empty tensors: [offset, offset-1]). */
  get span(): [number, number] {
    if (this.numel === 0) return [this.offset, this.offset - 1];
    let last = this.offset;
    for (let i = 0; i < this.shape.length; i++) last += (this.shape[i] - 1) * this.strides[i];
    return [this.offset, last];
  }
}

/** A dense tensor in memory, C order, little-endian like the file. */
export class HostTensor<A extends TensorArray = TensorArray> {
  readonly shape: readonly number[];
  constructor(
    readonly dtype: DType,
    shape: readonly number[],
    readonly data: A,
  ) {
    this.shape = [...shape];
    for (const d of shape)
      if (!Number.isSafeInteger(d) || d < 0)
        throw new WeightsError('corrupt', `invalid tensor shape ${fmtShape(shape)}`);
    if (!arrayMatches(dtype, data))
      throw new WeightsError('unsupported', `a ${data.constructor.name} cannot hold ${dtype} data`);
    if (data.length !== numelOf(shape)) {
      throw new WeightsError('corrupt', `${data.length} values do not fill shape ${fmtShape(shape)}`);
    }
  }

  /** The dtype follows from the array type (float32 for Float32Array, int64 for BigInt64Array, ...). */
  static of<A extends TensorArray>(data: A, shape: readonly number[]): HostTensor<A> {
    return new HostTensor(dtypeOfArray(data), shape, data);
  }
}
