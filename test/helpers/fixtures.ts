/**
 * Reads the PyTorch fixtures written by scripts/fixtures/common.py (format described
 * there: JSON with meta and base64 little-endian tensors) and compares results to them.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssertionError } from 'node:assert';

export const FIXTURES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const FORMAT = 'ai-art-fixture/1';

export type FixtureDType = 'float32' | 'float64' | 'int32' | 'int64' | 'uint8' | 'bool';
export type FixtureArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

export interface FixtureTensor {
  dtype: FixtureDType;
  shape: number[];
  data: FixtureArray;
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface Fixture {
  name: string;
  meta: Record<string, Json>;
  tensors: Record<string, FixtureTensor>;
  /** A float32 tensor's data; throws if absent or of another dtype. */
  f32(name: string): Float32Array;
  shape(name: string): number[];
  has(name: string): boolean;
}

const ITEM: Record<FixtureDType, number> = { float32: 4, float64: 8, int32: 4, int64: 8, uint8: 1, bool: 1 };

function decode(dtype: FixtureDType, bytes: Buffer): FixtureArray {
  // Copy into a fresh buffer: Buffer slices are not aligned for the wider typed arrays.
  const buf = new Uint8Array(bytes).buffer;
  switch (dtype) {
    case 'float32':
      return new Float32Array(buf);
    case 'float64':
      return new Float64Array(buf);
    case 'int32':
      return new Int32Array(buf);
    case 'int64':
      return new BigInt64Array(buf);
    case 'uint8':
    case 'bool':
      return new Uint8Array(buf);
  }
}

interface RawTensor {
  dtype: FixtureDType;
  shape: number[];
  data: string;
}

/** Loads test/fixtures/<name>.json, e.g. loadFixture('engine/conv2d_k3_s1_p1'). */
export function loadFixture(name: string): Fixture {
  if (os.endianness() !== 'LE')
    throw new Error('fixtures store little-endian data; this machine is big-endian');
  const file = path.join(FIXTURES_DIR, `${name}.json`);
  const doc = JSON.parse(readFileSync(file, 'utf8')) as {
    format?: string;
    meta: Record<string, Json>;
    tensors: Record<string, RawTensor>;
  };
  if (doc.format !== FORMAT) throw new Error(`${file}: not an ${FORMAT} file (format ${String(doc.format)})`);
  const tensors: Record<string, FixtureTensor> = {};
  for (const [k, t] of Object.entries(doc.tensors)) {
    if (!(t.dtype in ITEM)) throw new Error(`${file}: tensor '${k}' has unknown dtype ${t.dtype}`);
    const bytes = Buffer.from(t.data, 'base64');
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (bytes.length !== count * ITEM[t.dtype]) {
      throw new Error(
        `${file}: tensor '${k}' has ${bytes.length} bytes, shape [${t.shape}] ${t.dtype} needs ${count * ITEM[t.dtype]}`,
      );
    }
    tensors[k] = { dtype: t.dtype, shape: t.shape, data: decode(t.dtype, bytes) };
  }
  const get = (k: string): FixtureTensor => {
    const t = tensors[k];
    if (!t) throw new Error(`fixture ${name}: no tensor '${k}' (has ${Object.keys(tensors).join(', ')})`);
    return t;
  };
  return {
    name,
    meta: doc.meta,
    tensors,
    f32: (k) => {
      const t = get(k);
      if (!(t.data instanceof Float32Array))
        throw new Error(`fixture ${name}: tensor '${k}' is ${t.dtype}, not float32`);
      return t.data;
    },
    shape: (k) => get(k).shape,
    has: (k) => k in tensors,
  };
}

export interface Tolerance {
  atol: number;
  rtol: number;
}

export interface CloseStats {
  /** Largest |actual - expected|. */
  maxAbs: number;
  /** Largest |actual - expected| / |expected| over elements with |expected| > atol (near-zero ones would only measure atol). */
  maxRel: number;
  /** Flat index of the element closest to (or furthest past) its bound atol + rtol·|expected|. */
  worst: number;
  /** Largest |actual - expected| / (atol + rtol·|expected|); the check passes when ≤ 1. */
  ratio: number;
}

function fmtIndex(i: number, shape?: readonly number[]): string {
  if (!shape) return `[${i}]`;
  const idx: number[] = [];
  let r = i;
  for (let k = shape.length - 1; k >= 0; k--) {
    idx.unshift(r % shape[k]);
    r = Math.floor(r / shape[k]);
  }
  return `[${idx.join(',')}] (flat ${i})`;
}

/**
 * Elementwise |actual - expected| ≤ atol + rtol·|expected| (numpy's allclose), throwing an
 * AssertionError that names the label, max abs/rel error and the worst element. NaN or
 * Inf anywhere fails. Returns the error figures so tests can report them.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance,
  label: string,
  shape?: readonly number[],
): CloseStats {
  if (actual.length !== expected.length) {
    throw new AssertionError({ message: `${label}: ${actual.length} values, expected ${expected.length}` });
  }
  const s: CloseStats = { maxAbs: 0, maxRel: 0, worst: -1, ratio: 0 };
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const d = Math.abs(a - e);
    if (!Number.isFinite(a) || !Number.isFinite(e)) {
      throw new AssertionError({
        message: `${label}: non-finite value at ${fmtIndex(i, shape)}: actual ${a}, expected ${e}`,
      });
    }
    if (d > s.maxAbs) s.maxAbs = d;
    if (Math.abs(e) > tol.atol) s.maxRel = Math.max(s.maxRel, d / Math.abs(e));
    const ratio = d / (tol.atol + tol.rtol * Math.abs(e));
    if (s.worst < 0 || ratio > s.ratio) {
      s.ratio = ratio;
      s.worst = i;
    }
  }
  if (s.ratio > 1) {
    const w = s.worst;
    throw new AssertionError({
      message:
        `${label}: not close (atol ${tol.atol}, rtol ${tol.rtol}): max abs err ${s.maxAbs.toExponential(2)}, ` +
        `max rel err ${s.maxRel.toExponential(2)}; worst at ${fmtIndex(w, shape)}: actual ${actual[w]}, expected ${expected[w]}`,
      actual: actual[w],
      expected: expected[w],
    });
  }
  return s;
}
