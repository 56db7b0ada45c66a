/** Shared by the GAN tests: the official-code fixtures in test/fixtures/gan (scripts/fixtures/gan.py). */
import path from 'node:path';
import { Graph, Program, type Tensor } from '../../src/engine/index.js';
import { Ctx, type Module, type TensorValue } from '../../src/nn/index.js';
import { readModuleStateDict } from '../../src/weights/index.js';
import { FIXTURES_DIR, type Fixture } from '../helpers/fixtures.js';

export async function readGanPth(name: string): Promise<Map<string, TensorValue>> {
  return readModuleStateDict(path.join(FIXTURES_DIR, 'gan', name));
}

/** The entries under `prefix.` with the prefix removed (step fixtures keep several nets in one file). */
export function subDict(sd: ReadonlyMap<string, TensorValue>, prefix: string): Map<string, TensorValue> {
  const out = new Map<string, TensorValue>();
  for (const [k, v] of sd) if (k.startsWith(`${prefix}.`)) out.set(k.slice(prefix.length + 1), v);
  return out;
}

export function f32(v: TensorValue | undefined, what: string): Float32Array {
  if (!v || !(v.data instanceof Float32Array)) throw new Error(`${what}: missing or not float32`);
  return v.data;
}

/** One forward pass in ORT, frozen weights, dropout masks from the fixture (mask_0, mask_1, ...). */
export async function runForward(
  net: Module,
  fx: Fixture,
  input: string,
  masks: (i: number) => string = (i) => `mask_${i}`,
): Promise<{ y: Float32Array; shape: readonly number[]; sites: number }> {
  const g = new Graph();
  const ctx = new Ctx(g, { root: net });
  const x = g.input('x', fx.shape(input));
  const y: Tensor = net.forward(ctx, x);
  const feeds: Record<string, Float32Array> = { x: fx.f32(input) };
  ctx.dropout.forEach((d, i) => {
    const m = fx.f32(masks(i));
    if (m.length !== d.input.size)
      throw new Error(`dropout site ${i}: fixture mask has ${m.length} values, graph wants ${d.input.size}`);
    feeds[d.input.name] = m;
  });
  const p = await Program.create({ y }, { threads: 2 });
  try {
    const r = await p.run(feeds);
    return { y: r.y, shape: y.shape, sites: ctx.dropout.length };
  } finally {
    await p.release();
  }
}
