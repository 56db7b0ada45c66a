/** Shared by the fast style transfer tests: the fixtures of scripts/fixtures/fast.py. */
import path from 'node:path';
import { Graph, Program } from '../../src/engine/index.js';
import { Ctx, type Module, type TensorValue } from '../../src/nn/index.js';
import { FIXTURES_DIR } from '../helpers/fixtures.js';

export const FAST_FIXTURES = path.join(FIXTURES_DIR, 'fast');

/** fast.py's hashed_uniform: murmur3's fmix32 of (index + seed·golden ratio) / 2³², exact in both languages. */
export function hashedUniform(n: number, seed: number): Float64Array {
  const out = new Float64Array(n);
  const offset = Math.imul(seed, 0x9e3779b9) >>> 0;
  for (let i = 0; i < n; i++) {
    let x = (i + offset) >>> 0;
    x = (x ^ (x >>> 16)) >>> 0;
    x = Math.imul(x, 0x85ebca6b) >>> 0;
    x = (x ^ (x >>> 13)) >>> 0;
    x = Math.imul(x, 0xc2b2ae35) >>> 0;
    x = (x ^ (x >>> 16)) >>> 0;
    out[i] = x / 4294967296;
  }
  return out;
}

/** fast.py's hashed_state_dict for a module with TransformerNet's keys. */
export function hashedStateDict(net: Module, seed: number): Map<string, TensorValue> {
  const own = new Map(net.namedTensors());
  const sd = new Map<string, TensorValue>();
  [...own].forEach(([k, p], j) => {
    const u = hashedUniform(p.data.length, seed + j);
    let v: (x: number) => number;
    if (k.endsWith('conv2d.weight') || k.endsWith('conv2d.bias')) {
      const w = own.get(k.replace(/\.bias$/, '.weight'));
      if (!w) throw new Error(`no weight for ${k}`);
      const fanIn = w.shape.slice(1).reduce((a, b) => a * b, 1);
      v = (x) => (x * 2 - 1) / Math.sqrt(fanIn);
    } else if (k.endsWith('.weight')) v = (x) => 1 + 0.5 * (x * 2 - 1);
    else v = (x) => 0.5 * (x * 2 - 1);
    sd.set(k, { shape: [...p.shape], data: Float32Array.from(u, v) });
  });
  return sd;
}

/** One frozen forward pass of a network through ORT. */
export async function forward(net: Module, x: Float32Array, shape: readonly number[]): Promise<{ y: Float32Array; shape: readonly number[] }> {
  const g = new Graph();
  const ctx = new Ctx(g, { root: net });
  const y = net.forward(ctx, g.input('x', shape));
  const p = await Program.create({ y }, { threads: 2 });
  try {
    return { y: (await p.run({ x })).y, shape: y.shape };
  } finally {
    await p.release();
  }
}
