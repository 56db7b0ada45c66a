/**
 * Deterministic weights both sides of a fixture can compute (scripts/fixtures/fast_train.py's
 * hash_uniform and bounds): uniforms from a counter-based integer hash seeded by the FNV-1a hash
 * of each state_dict key, so big networks need no weights in the committed fixture.
 */
import type { Module, Parameter } from '../../src/nn/index.js';

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function hashUniform(key: string, n: number): Float64Array {
  const seed = fnv1a(key);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let h = (Math.imul(i, 0x9e3779b1) + seed) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
    h = Math.imul(h, 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
    out[i] = h / 4294967296;
  }
  return out;
}

function fill(p: Parameter, key: string, bound: number, offset = 0): void {
  const u = hashUniform(key, p.f32.length);
  const d = p.f32;
  for (let i = 0; i < d.length; i++) d[i] = Math.fround(Math.fround((2 * u[i] - 1) * bound) + offset);
}

/** TransformerNet as fast_train.py fills it. */
export function hashInitTransformer(net: Module): void {
  for (const [k, p] of net.namedParameters()) {
    const norm = k.startsWith('in') || k.includes('.in');
    if (norm) fill(p, k, 0.5, k.endsWith('weight') ? 1 : 0);
    else if (p.shape.length === 4) fill(p, k, 1 / Math.sqrt(p.shape[1] * p.shape[2] * p.shape[3]));
    else fill(p, k, 0.05);
  }
}

/** VGG features as fast_train.py fills torchvision's vgg16().features[:23] (keys without 'features.'). */
export function hashInitVgg(vgg: Module): void {
  for (const [k, p] of vgg.namedParameters()) {
    const key = k.replace(/^features\./, '');
    if (p.shape.length === 4) fill(p, key, Math.sqrt(6 / (p.shape[0] * 9)));
    else p.f32.fill(0);
  }
}
