/**
 * Winograd F(4x4, 3x3) for 3x3 stride-1 convolutions whose filters are trained (fed inputs),
 * built from ordinary graph ops (Pad, Conv with constant filters, MatMul, Reshape, Transpose;
 * Slice and Concat in the blocked form) so that autodiff derives the backward pass from them:
 *
 *   V[ξν, C, T] = Bᵀ d B of every 6x6 input tile (T = th·tw tiles, 4x4 outputs each)
 *   U[ξν, K, C] = G w Gᵀ, one product of the filters with (G ⊗ G)ᵀ
 *   M = U @ V (36 batched products), y = Aᵀ M A back into 4x4 blocks
 *
 * and backwards dM = A dy Aᵀ, dU = dM @ Vᵀ, dV = Uᵀ @ dM, dw = (G ⊗ G)ᵀ-fold of dU, dx the
 * overlap-add of B dV Bᵀ: the forward, the input gradient and the weight gradient all cost 36
 * instead of 144 products per tile and channel pair, and V and dM are each computed once for
 * two products. The frozen-filter path of conv.ts (WinogradConv) folds U at session creation;
 * here U is a cheap product per run (K·C·9·36 multiply-adds), shared by every call of the
 * same filters in one graph.
 *
 * Two forms of the tile transforms (`trainWinogradDefaults.impl`): 'conv' (the default, see
 * winogradConvTrainConv) and 'blocks', which takes the tiles from the blocked layout of
 * blocks.ts of the zero-padded input: tile row i covers padded rows 4i .. 4i+5, i.e. block row
 * i and the first two rows of block row i+1, so the gather is two Slices and a Concat per axis
 * (its adjoint, two Pads and an Add).
 */
import type { Tensor } from '../graph.js';
import { add } from './elementwise.js';
import { matmul } from './matmul.js';
import { concat, pad, reshape, slice, transpose } from './shape.js';
import { conv2d } from './conv.js';
import { reflectPad2d } from './reflect_pad.js';
import { BLOCK, fromBlocks, toBlocks } from './blocks.js';
import { WINOGRAD_M, winogradMatrices } from './winograd.js';

const M = WINOGRAD_M;
const N = M + 2;
const mats = winogradMatrices(M, 3);

/** (G ⊗ G) as [36, 9]: row ξ·6+ν, column a·3+b holds G[ξ][a]·G[ν][b]. */
const KRON = (() => {
  const k = new Float32Array(N * N * 9);
  for (let xi = 0; xi < N; xi++) {
    for (let nu = 0; nu < N; nu++) {
      for (let a = 0; a < 3; a++) {
        for (let b = 0; b < 3; b++) k[(xi * N + nu) * 9 + a * 3 + b] = mats.G[xi][a] * mats.G[nu][b];
      }
    }
  }
  return k;
})();

export interface TrainWinogradShape {
  c: number;
  k: number;
  /** Output height and width. */
  h: number;
  w: number;
}

/** Knob for tests and benchmarks: 'auto' follows `trainWinogradApplies`, 'off' never, 'on' always where possible. */
export const trainWinogradDefaults: { mode: 'auto' | 'on' | 'off'; impl: 'blocks' | 'conv'; reflectFold: boolean } = {
  mode: 'auto',
  impl: 'conv',
  reflectFold: true,
};

/**
 * Whether conv2d takes this path for a trainable 3x3 stride-1 conv (measured in
 * bench/gan-profile.ts and notes/gan-speed.md): the resnet blocks' 256->256 layers.
 */
export function trainWinogradApplies(s: TrainWinogradShape): boolean {
  if (trainWinogradDefaults.mode !== 'auto') return trainWinogradDefaults.mode === 'on';
  const tiles = Math.ceil(s.h / M) * Math.ceil(s.w / M);
  return s.c >= 128 && s.k >= 128 && tiles >= 16;
}

/** U = G w Gᵀ per filter, [36, K, C]; one per filter tensor and graph. */
const transformed = new WeakMap<Tensor, Tensor>();
function filterTransform(w: Tensor): Tensor {
  let u = transformed.get(w);
  if (u) return u;
  const [k, c] = w.shape;
  const wt = transpose(reshape(w, [k * c, 9]), [1, 0]);
  u = reshape(matmul(w.graph.constant(KRON, [N * N, 9], 'winograd_kron'), wt), [N * N, k, c]);
  transformed.set(w, u);
  return u;
}

/** Sizes of a conv's output and its M x M output tiles (th x tw = t of them). */
function geometry(x: Tensor, w: Tensor, padding: [number, number]) {
  const [, c, h, wd] = x.shape;
  const ho = h + 2 * padding[0] - 2;
  const wo = wd + 2 * padding[1] - 2;
  const th = Math.ceil(ho / M);
  const tw = Math.ceil(wo / M);
  return { g: x.graph, c, h, wd, k: w.shape[0], ho, wo, th, tw, t: th * tw };
}

/**
 * y = conv2d(x, w, b) for x [1, C, H, W], w [K, C, 3, 3], stride 1, zero padding (ph, pw):
 * y is [1, K, H + 2ph - 2, W + 2pw - 2].
 */
export function winogradConvTrain(x: Tensor, w: Tensor, b: Tensor | null, padding: [number, number]): Tensor {
  if (trainWinogradDefaults.impl === 'conv') return winogradConvTrainConv(x, w, b, padding);
  const { g, c, h, wd, k, ho, wo, th, tw, t } = geometry(x, w, padding);
  // Zero padding on the far side up to whole blocks, one block more than there are tiles.
  const xp = pad(x, [0, 0, padding[0], padding[1], 0, 0, BLOCK * (th + 1) - h - padding[0], BLOCK * (tw + 1) - wd - padding[1]]);
  const xb = toBlocks(xp); // [4, 4, C, th+1, tw+1]
  const bt = g.constant(Float32Array.from(mats.BT.flat()), [N, N], 'winograd_BT');
  const at = g.constant(Float32Array.from(mats.AT.flat()), [M, N], 'winograd_AT');

  const d1 = concat(
    [
      slice(xb, [{ axis: 3, start: 0, end: th }]),
      slice(xb, [
        { axis: 0, start: 0, end: 2 },
        { axis: 3, start: 1, end: th + 1 },
      ]),
    ],
    0,
  ); // [6, 4, C, th, tw+1]
  const e1 = reshape(matmul(bt, reshape(d1, [N, BLOCK * c * th * (tw + 1)])), [N, BLOCK, c, th, tw + 1]);
  const d2 = concat(
    [
      slice(e1, [{ axis: 4, start: 0, end: tw }]),
      slice(e1, [
        { axis: 1, start: 0, end: 2 },
        { axis: 4, start: 1, end: tw + 1 },
      ]),
    ],
    1,
  ); // [6, 6, C, th, tw]
  const v = reshape(matmul(bt, reshape(d2, [N, N, c * t])), [N * N, c, t]);
  const m = matmul(filterTransform(w), v); // [36, K, T]
  const o1 = reshape(matmul(at, reshape(m, [N, N * k * t])), [M, N, k * t]);
  const o2 = reshape(matmul(at, o1), [M, M, k, th, tw]);
  const y = fromBlocks(o2, ho, wo);
  return b ? add(y, reshape(b, [1, k, 1, 1])) : y;
}

/** Bᵀ ⊗ Bᵀ as 36 filters of 6x6, [36, 1, 6, 6]: filter ξ·6+ν, tap (a, b) holds Bᵀ[ξ][a]·Bᵀ[ν][b]. */
const BKRON = (() => {
  const k = new Float32Array(N * N * N * N);
  for (let xi = 0; xi < N; xi++) {
    for (let nu = 0; nu < N; nu++) {
      for (let a = 0; a < N; a++) {
        for (let bb = 0; bb < N; bb++) k[((xi * N + nu) * N + a) * N + bb] = mats.BT[xi][a] * mats.BT[nu][bb];
      }
    }
  }
  return k;
})();
/** Aᵀ ⊗ Aᵀ as a [16, 36] matrix: row p·4+q, column ξ·6+ν. */
const AKRON = (() => {
  const k = new Float32Array(M * M * N * N);
  for (let p = 0; p < M; p++) {
    for (let q = 0; q < M; q++) {
      for (let xi = 0; xi < N; xi++) {
        for (let nu = 0; nu < N; nu++) k[(p * M + q) * N * N + xi * N + nu] = mats.AT[p][xi] * mats.AT[q][nu];
      }
    }
  }
  return k;
})();

/**
 * The default form ('conv'): the input transform of every overlapping 6x6 tile is one strided
 * Conv over the channels taken as a batch, V = Conv(x as [C, 1, H, W], Bᵀ⊗Bᵀ, stride 4) ->
 * [C, 36, th, tw], and the output transform one MatMul with Aᵀ⊗Aᵀ into the blocked layout.
 * Autodiff makes the gather's adjoint (the overlap-add of B dV Bᵀ) one ConvTranspose, where
 * the blocked form costs Split, Pads and Adds, and ORT fuses the [C, 36, T] -> [36, C, T]
 * Transpose into the products (FusedMatMul transBatch; dV takes one back for the
 * ConvTranspose). The tile output placement stays a MatMul and DepthToSpace (a stride-4
 * ConvTranspose instead would need M transposed to [K, 36, T] first, measured no faster).
 * Per resnet block (two 256->256 convs at 64x64, with InstanceNorm, ReLU and reflection
 * padding), forward and all gradients, 1 thread, CPU ms: blocked 148-156, this 138-142, with
 * the ReflectPad fold (below) 133-137.
 */
function winogradConvTrainConv(x: Tensor, w: Tensor, b: Tensor | null, padding: [number, number]): Tensor {
  const { g, c, h, wd, k, ho, wo, th, tw, t } = geometry(x, w, padding);
  const hp = M * th + 2;
  const wp = M * tw + 2;
  const xp = reflectSource(x, padding, hp, wp) ?? pad(x, [0, 0, padding[0], padding[1], 0, 0, hp - h - padding[0], wp - wd - padding[1]]);
  const bk = g.constant(BKRON, [N * N, 1, N, N], 'winograd_BTxBT');
  const at = g.constant(AKRON, [M * M, N * N], 'winograd_ATxAT');
  const vc = conv2d(reshape(xp, [c, 1, hp, wp]), bk, null, { stride: M, algorithm: 'direct' }); // [C, 36, th, tw]
  const v = transpose(reshape(vc, [c, N * N, t]), [1, 0, 2]); // [36, C, T]
  const m = matmul(filterTransform(w), v); // [36, K, T]
  const y = fromBlocks(reshape(matmul(at, reshape(m, [N * N, k * t])), [M, M, k, th, tw]), ho, wo);
  return b ? add(y, reshape(b, [1, k, 1, 1])) : y;
}

/**
 * The resnet blocks feed their convs a ReflectionPad2d(1) output; when the tiles fit it
 * exactly, the same padding as the ReflectPad op of reflect_pad.ts, whose VJP folds the
 * borders in two passes instead of the generic Pad VJP's ten. The Pad node is then left
 * unused (a conv is its only consumer in the blocks).
 */
function reflectSource(x: Tensor, padding: [number, number], hp: number, wp: number): Tensor | null {
  if (!trainWinogradDefaults.reflectFold || padding[0] !== 0 || padding[1] !== 0) return null;
  if (x.shape[2] !== hp || x.shape[3] !== wp || x.source.kind !== 'node' || x.source.node.type !== 'Pad') return null;
  const node = x.source.node;
  const a = node.attrs as { mode?: string; pads?: readonly number[] };
  const p = a.pads?.[2] ?? 0;
  const same = a.pads?.length === 8 && a.pads.every((v, i) => v === (i % 4 >= 2 ? p : 0));
  if (a.mode !== 'reflect' || !same || p < 1) return null;
  const src = node.inputs[0];
  return src.shape[2] >= 2 * p + 2 && src.shape[3] >= 2 * p + 2 ? reflectPad2d(src, p) : null;
}
