/**
 * The constants of Winograd F(m x m, r x r), built once per (m, r) for every Winograd form in
 * the engine (the blocked WinogradConv of winograd.ts, the trainable 3x3 form of
 * winograd_train.ts, the general stride-1 form of winograd_s1.ts), and what those forms share
 * in deciding whether they can compute a conv.
 */
import { GraphError, type Tensor } from '../graph.js';
import { both } from '../ops/pairs.js';

/**
 * Output tile size m of F(m x m, 3 x 3) in the blocked and trainable 3x3 forms; the input tile
 * is m + 2, and the blocked layout of blocks.ts takes its block size from this.
 */
export const WINOGRAD_M = 4;

export interface WinogradMatrices {
  m: number;
  r: number;
  /** n x n input transform. */
  BT: number[][];
  /** n x r filter transform. */
  G: number[][];
  /** m x n output transform. */
  AT: number[][];
}

function polyMul(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(a.length + b.length - 1).fill(0);
  a.forEach((x, i) => b.forEach((y, j) => (out[i + j] += x * y)));
  return out;
}

/**
 * Cook-Toom matrices for F(m, r) from n-1 finite interpolation points and infinity
 * (n = m + r - 1), so that y = Aᵀ[(G g) ⊙ (Bᵀ d)] is the correlation of d (length n)
 * with g (length r). The default points {0, ±1, ±2} give Lavin's F(4,3) up to row scaling.
 */
export function winogradMatrices(
  m: number,
  r: number,
  points: readonly number[] = [0, 1, -1, 2, -2, 0.5, -0.5].slice(0, m + r - 2),
): WinogradMatrices {
  const n = m + r - 1;
  if (points.length !== n - 1) throw new GraphError(`winograd: F(${m},${r}) needs ${n - 1} points`);
  const AT = Array.from({ length: m }, (_, i) => [...points.map((p) => p ** i), i === m - 1 ? 1 : 0]);
  const G = [
    ...points.map((p, j) => {
      let f = 1;
      points.forEach((q, l) => {
        if (l !== j) f *= p - q;
      });
      return Array.from({ length: r }, (_, k) => p ** k / f);
    }),
    Array.from({ length: r }, (_, k) => (k === r - 1 ? 1 : 0)),
  ];
  const BT: number[][] = points.map((_, j) => {
    let poly = [1];
    points.forEach((q, l) => {
      if (l !== j) poly = polyMul(poly, [-q, 1]);
    });
    return [...poly, 0];
  });
  BT.push(points.reduce((poly, q) => polyMul(poly, [-q, 1]), [1]));
  return { m, r, BT, G, AT };
}

/** a ⊗ b, row-major: row i·rows(b) + k, column j·cols(b) + l holds a[i][j]·b[k][l]. */
function kron(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): Float32Array {
  const [ra, ca, rb, cb] = [a.length, a[0].length, b.length, b[0].length];
  const out = new Float32Array(ra * rb * ca * cb);
  for (let i = 0; i < ra; i++) {
    for (let k = 0; k < rb; k++) {
      for (let j = 0; j < ca; j++) {
        for (let l = 0; l < cb; l++) out[(i * rb + k) * ca * cb + j * cb + l] = a[i][j] * b[k][l];
      }
    }
  }
  return out;
}

const transposed = (a: readonly (readonly number[])[]): number[][] => a[0].map((_, j) => a.map((row) => row[j]));

export interface WinogradTransforms {
  m: number;
  r: number;
  /** Input tile size m + r - 1. */
  n: number;
  /** Bᵀ [n, n] and Aᵀ [m, n], row-major. */
  BT: Float32Array;
  AT: Float32Array;
  /** G ⊗ G [n², r²]: row ξ·n+ν, column a·r+b holds G[ξ][a]·G[ν][b] (U = this times the flattened filters). */
  GG: Float32Array;
  /** (G ⊗ G)ᵀ [r², n²] (U = the flattened filters times this). */
  GGt: Float32Array;
  /** Bᵀ ⊗ Bᵀ [n², n²]: row ξ·n+ν is the n x n input-transform filter of tile entry (ξ, ν). */
  BB: Float32Array;
  /** Aᵀ ⊗ Aᵀ [m², n²]: row p·m+q, column ξ·n+ν. */
  AA: Float32Array;
}

const cache = new Map<string, WinogradTransforms>();

/** The transforms of F(m x m, r x r) on the default points, built once per (m, r). */
export function winogradTransforms(m: number, r: number): WinogradTransforms {
  const key = `${m},${r}`;
  let t = cache.get(key);
  if (t) return t;
  const { BT, G, AT } = winogradMatrices(m, r);
  t = {
    m,
    r,
    n: m + r - 1,
    BT: Float32Array.from(BT.flat()),
    AT: Float32Array.from(AT.flat()),
    GG: kron(G, G),
    GGt: kron(transposed(G), transposed(G)),
    BB: kron(BT, BT),
    AA: kron(AT, AT),
  };
  cache.set(key, t);
  return t;
}

/** A conv's channels in (c) and out (k) and its output height and width (h, w). */
export interface WinogradShape {
  c: number;
  k: number;
  h: number;
  w: number;
}

/** Output size [ho, wo] of a stride-1, dilation-1 conv with r x r filters. */
export function stride1OutSize(x: Tensor, r: number, padding: readonly [number, number]): [number, number] {
  return [x.shape[2] + 2 * padding[0] - r + 1, x.shape[3] + 2 * padding[1] - r + 1];
}

/**
 * The shape of conv(x, w) when every Winograd form here can compute it: one float32 image,
 * r x r filters over all its channels, stride and dilation 1, one group, a non-empty output;
 * null otherwise. Each form adds its own conditions (padding, frozen filters) and measured rule.
 */
export function winogradShape(
  x: Tensor,
  w: Tensor,
  a: { stride: [number, number]; dilation: [number, number]; groups: number; padding: [number, number] },
  r: number,
): WinogradShape | null {
  const ok =
    x.rank === 4 && x.shape[0] === 1 && x.dtype === 'float32' && w.rank === 4 && w.shape[1] === x.shape[1] &&
    w.shape[2] === r && w.shape[3] === r && both(a.stride, 1) && both(a.dilation, 1) && a.groups === 1;
  if (!ok) return null;
  const [h, wo] = stride1OutSize(x, r, a.padding);
  return h >= 1 && wo >= 1 ? { c: x.shape[1], k: w.shape[0], h, w: wo } : null;
}
