/**
 * The 4x4-blocked layout the Winograd convolutions work in (see winograd.ts): for one image
 * x [1, C, H, W], xb [4, 4, C, th, tw] with xb[p, q, c, i, j] = x[0, c, 4i+p, 4j+q], zero where
 * 4i+p >= H or 4j+q >= W (th = ceil(H/4), tw = ceil(W/4)).
 *
 * blocked_layout.ts keeps ReLU and 2x2 average pooling in this layout between Winograd
 * convolutions, so layouts convert only where a plain NCHW tensor is really consumed: ORT runs
 * SpaceToDepth/DepthToSpace single-threaded, a few percent of a Winograd conv each
 * (docs/performance.md).
 * Every op producing a blocked tensor keeps the positions outside H x W at zero.
 */
import { GraphError, type OpDef, type Tensor } from '../graph.js';
import { int, str } from '../onnx.js';
import { WINOGRAD_M } from './winograd_transforms.js';

/** The block is the Winograd output tile, so a conv's tiles are whole blocks. */
export const BLOCK = WINOGRAD_M;

interface Extent {
  h: number;
  w: number;
}

const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

const ToBlocksOp: OpDef<null> = {
  type: 'ToBlocks',
  infer: ([x]) => {
    if (x.rank !== 4 || x.shape[0] !== 1 || x.dtype !== 'float32')
      throw new GraphError(`ToBlocks: expects one float32 NCHW image, got ${x}`);
    const [, c, h, w] = x.shape;
    return [{ shape: [BLOCK, BLOCK, c, ceilDiv(h, BLOCK), ceilDiv(w, BLOCK)], dtype: 'float32' }];
  },
  lower: (n, e) => {
    const x = n.inputs[0];
    const [, c, h, w] = x.shape;
    const [, , , th, tw] = n.outputs[0].shape;
    let v = e.name(x);
    if (th * BLOCK !== h || tw * BLOCK !== w) {
      const p = e.tmp();
      e.node('Pad', [v, e.constI64([0, 0, 0, 0, 0, 0, th * BLOCK - h, tw * BLOCK - w])], [p], {
        mode: str('constant'),
      });
      v = p;
    }
    const s = e.tmp();
    e.node('SpaceToDepth', [v], [s], { blocksize: int(BLOCK) });
    e.node('Reshape', [s, e.constI64([BLOCK, BLOCK, c, th, tw])], [e.name(n.outputs[0])]);
  },
  vjp: (n, [g]) => [fromBlocks(g!, n.inputs[0].shape[2], n.inputs[0].shape[3])],
};

const FromBlocksOp: OpDef<Extent> = {
  type: 'FromBlocks',
  infer: ([xb], a) => {
    const ok =
      xb.rank === 5 &&
      xb.shape[0] === BLOCK &&
      xb.shape[1] === BLOCK &&
      xb.shape[3] === ceilDiv(a.h, BLOCK) &&
      xb.shape[4] === ceilDiv(a.w, BLOCK);
    if (!ok || xb.dtype !== 'float32')
      throw new GraphError(`FromBlocks: ${xb} is not a blocked ${a.h}x${a.w} image`);
    return [{ shape: [1, xb.shape[2], a.h, a.w], dtype: 'float32' }];
  },
  lower: (n, e) => {
    const [, , c, th, tw] = n.inputs[0].shape;
    const { h, w } = n.attrs;
    const r = e.tmp();
    e.node('Reshape', [e.name(n.inputs[0]), e.constI64([1, BLOCK * BLOCK * c, th, tw])], [r]);
    const out = e.name(n.outputs[0]);
    if (th * BLOCK === h && tw * BLOCK === w) {
      e.node('DepthToSpace', [r], [out], { blocksize: int(BLOCK), mode: str('DCR') });
      return;
    }
    const d = e.tmp();
    e.node('DepthToSpace', [r], [d], { blocksize: int(BLOCK), mode: str('DCR') });
    e.node('Slice', [d, e.constI64([0, 0]), e.constI64([h, w]), e.constI64([2, 3])], [out]);
  },
  vjp: (_n, [g]) => [toBlocks(g!)],
};

export function toBlocks(x: Tensor): Tensor {
  const b = blockedSource(x);
  if (b) return b;
  return x.graph.apply(ToBlocksOp, [x], null)[0];
}

export function fromBlocks(xb: Tensor, h: number, w: number): Tensor {
  return xb.graph.apply(FromBlocksOp, [xb], { h, w })[0];
}

/** The blocked tensor `x` was converted from, if it was (so a consumer can skip the round trip). */
export function blockedSource(x: Tensor): Tensor | null {
  return x.source.kind === 'node' && x.source.node.type === 'FromBlocks' ? x.source.node.inputs[0] : null;
}

/** Ones inside the h x w image, zeros in the padding of its blocked layout; null when there is none. */
export function blockMask(h: number, w: number): Float32Array | null {
  const th = ceilDiv(h, BLOCK);
  const tw = ceilDiv(w, BLOCK);
  if (th * BLOCK === h && tw * BLOCK === w) return null;
  const m = new Float32Array(BLOCK * BLOCK * th * tw);
  for (let p = 0; p < BLOCK; p++) {
    for (let q = 0; q < BLOCK; q++) {
      for (let i = 0; i < th; i++) {
        for (let j = 0; j < tw; j++)
          m[((p * BLOCK + q) * th + i) * tw + j] = BLOCK * i + p < h && BLOCK * j + q < w ? 1 : 0;
      }
    }
  }
  return m;
}
