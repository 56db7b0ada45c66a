/**
 * Winograd F(4x4, 3x3) for 3x3, stride-1, pad-1 convolutions with frozen (constant) filters,
 * the maths and ONNX lowering of the WinogradConv op (chosen by policy.ts `blockedWinogradApplies`). Each
 * 6x6 input tile costs 36 products per channel pair for its 4x4 outputs instead of 144 (4x
 * fewer in the batched MatMul that dominates), in plain ONNX ops on the blocked layout of
 * blocks.ts, xb[p, q, C, i, j] = x[C, 4i+p, 4j+q], which needs no gather of overlapping tiles:
 *
 *   rows:    Concat(shift(xb[3]), xb, shift(xb[0])) along p   (tile rows 4i-1 .. 4i+4), MatMul Bᵀ
 *   columns: the same along q, MatMul Bᵀ                        -> V[ξ, ν, C, T]   (T = th·tw tiles)
 *   MatMul   U[ξν] (K x C, constant) @ V[ξν] (C x T)            -> M[ξ, ν, K, T]
 *   output:  MatMul Aᵀ over ξ, then over ν                     -> [p, q, K, T] = yb, blocked again
 *
 * Every transform is a MatMul with a small constant from the left over a leading axis (ORT runs
 * those multi-threaded), the shifts are one Pad each on a quarter of the data, and there is no
 * Transpose: about twice as fast as ORT's Conv from 128 channels up, at ~1e-6 relative error
 * (measurements and the forms tried: docs/performance.md).
 */
import { GraphError, type OpDef, type Tensor } from '../graph.js';
import { int, ints, str, type Emitter } from '../onnx.js';
import { convAttrs, flipTranspose } from '../ops/conv.js';
import { BLOCK, blockMask, fromBlocks } from './blocks.js';
import { WINOGRAD_M, winogradTransforms } from './winograd_transforms.js';

/**
 * A 3x3 stride-1 pad-1 conv of one h x w image in the blocked layout of blocks.ts, lowered to
 * Winograd F(4x4, 3x3) MatMuls (`emitWinogradBlocked`). The filters are frozen (computed from
 * constants alone), so ORT folds their transform into an initializer once. Its input gradient
 * is the same op with the flipped, transposed filters (frozen too).
 */
const WinogradConvOp: OpDef<{ h: number; w: number }> = {
  type: 'WinogradConv',
  infer: ([xb, w, b], a) => {
    const [k, c] = w.shape;
    const blocks = [BLOCK, BLOCK, c, Math.ceil(a.h / BLOCK), Math.ceil(a.w / BLOCK)];
    const ok = xb.rank === 5 && blocks.every((d, i) => xb.shape[i] === d) && w.rank === 4 && w.shape[2] === 3 && w.shape[3] === 3;
    if (!ok) throw new GraphError(`WinogradConv: blocked input ${xb} of a ${a.h}x${a.w} image does not fit filters ${w}`);
    if (b && (b.rank !== 1 || b.shape[0] !== k)) throw new GraphError(`WinogradConv: bias ${b} does not match ${k} output channels`);
    return [{ shape: [BLOCK, BLOCK, k, xb.shape[3], xb.shape[4]], dtype: 'float32' }];
  },
  lower: (n, e) => {
    const [xb, w, b] = n.inputs;
    const mask = blockMask(n.attrs.h, n.attrs.w);
    const [, , , th, tw] = xb.shape;
    const maskName = mask ? e.constF32(mask, [BLOCK, BLOCK, 1, th, tw], `block_mask_${n.attrs.h}x${n.attrs.w}`) : '';
    // Frozen all-zero biases (the random VGG's) cost a full pass over the output for nothing.
    const zeroBias = b && b.source.kind === 'constant' && b.source.data.every((v) => v === 0);
    emitWinogradBlocked(e, e.name(xb), xb.shape, e.name(w), w.shape[0], b && !zeroBias ? e.name(b) : '', maskName, e.name(n.outputs[0]));
  },
  vjp: (n, [g], needs, F) => {
    const [xb, w] = n.inputs;
    const { h, w: wd } = n.attrs;
    return [
      needs[0] ? winogradBlocked(g!, flipTranspose(w), null, h, wd) : null,
      needs[1] ? F.convBackpropFilter(fromBlocks(xb, h, wd), fromBlocks(g!, h, wd), [3, 3], convAttrs({ padding: 1 })) : null,
      needs[2] ? F.reduceSum(g!, [0, 1, 3, 4]) : null,
    ];
  },
};

/** The blocked conv of xb [4, 4, C, th, tw] (an h x w image) with frozen 3x3 filters w, pad 1. */
export function winogradBlocked(xb: Tensor, w: Tensor, b: Tensor | null, h: number, wd: number): Tensor {
  return xb.graph.apply(WinogradConvOp, b ? [xb, w, b] : [xb, w], { h, w: wd })[0];
}

/** F(4x4, 3x3)'s Bᵀ, Aᵀ and (G ⊗ G)ᵀ [9, 36], built once for every WinogradConv. */
const T4 = winogradTransforms(WINOGRAD_M, 3);

/**
 * Emits the blocked conv yb = conv(xb, w, padding 1) (+ b), zeroed outside the image by `mask`:
 * xb [4, 4, C, th, tw] as in blocks.ts, w [K, C, 3, 3] computed from initializers alone (the
 * filter transform on it is folded by ORT), b [K] or '' for none, mask a [4, 4, 1, th, tw] 0/1
 * initializer or '' when the image fills its blocks.
 */
export function emitWinogradBlocked(
  e: Emitter,
  xb: string,
  shape: readonly number[],
  w: string,
  k: number,
  b: string,
  mask: string,
  out: string,
): void {
  const [, , c, th, tw] = shape;
  const m = WINOGRAD_M;
  const n = m + 2;
  const t = th * tw;
  const BT = e.constF32(T4.BT, [n, n], 'winograd4_3_BT');
  const AT = e.constF32(T4.AT, [m, n], 'winograd4_3_AT');
  const op = (type: string, ins: string[], attrs = {}, o = e.tmp()): string => {
    e.node(type, ins, [o], attrs);
    return o;
  };
  const reshape = (v: string, to: readonly number[]): string => op('Reshape', [v, e.constI64(to)]);
  // One block row of a 5-D tensor (index `at` of axis `pick`) shifted by one tile along `axis`,
  // zero-filled, in one Pad: negative pads crop, positive ones pad.
  const shiftedRow = (v: string, pick: number, at: number, axis: number, by: 1 | -1): string => {
    const pads = new Array<number>(10).fill(0);
    pads[pick] = -at;
    pads[pick + 5] = -(m - 1 - at);
    pads[axis] = by;
    pads[axis + 5] = -by;
    return op('Pad', [v, e.constI64(pads)], { mode: str('constant') });
  };

  // Tile row i covers input rows 4i-1 .. 4i+4: the last row of block i-1, block i, the first of block i+1.
  const d1 = op('Concat', [shiftedRow(xb, 0, m - 1, 3, 1), xb, shiftedRow(xb, 0, 0, 3, -1)], {
    axis: int(0),
  });
  const e1 = reshape(op('MatMul', [BT, reshape(d1, [n, m * c * t])]), [n, m, c, th, tw]);
  const d2 = op('Concat', [shiftedRow(e1, 1, m - 1, 4, 1), e1, shiftedRow(e1, 1, 0, 4, -1)], {
    axis: int(1),
  });
  const v = reshape(op('MatMul', [BT, reshape(d2, [n, n, c * t])]), [n * n, c, t]);
  // U = G w Gᵀ per filter as one product of the frozen filters with (G ⊗ G)ᵀ [9, 36]: ORT folds
  // it into an initializer when the session is created, so the model carries only the filters
  // (two batched 6x3 products took ORT seconds to fold; docs/performance.md).
  const uflat = op('MatMul', [reshape(w, [k * c, 9]), e.constF32(T4.GGt, [9, n * n], 'winograd4_3_GxG_T')]);
  const u = reshape(op('Transpose', [uflat], { perm: ints([1, 0]) }), [n * n, k, c]);
  const mm = op('MatMul', [u, v]);
  const o1 = op('MatMul', [AT, reshape(mm, [n, n * k * t])]);
  const last = !b && !mask;
  const o2 = op('MatMul', [AT, reshape(o1, [m, n, k * t])]);
  let y = op('Reshape', [o2, e.constI64([m, m, k, th, tw])], {}, last ? out : e.tmp());
  if (b) y = op('Add', [y, reshape(b, [1, 1, k, 1, 1])], {}, mask ? e.tmp() : out);
  if (mask) op('Mul', [y, mask], {}, out);
}
