/**
 * The rewrite that keeps values in the Winograd convolutions' blocked layout (blocks.ts)
 * between them. Once a graph has a blocked Winograd conv (lowering/conv.ts registers this
 * rewrite then), a ReLU or 2x2 average pooling of a tensor converted from the blocked layout
 * (FromBlocks) is built on the blocked tensor instead and converted back after it, so a chain
 * conv-relu-conv-pool-conv converts layouts only where a plain NCHW tensor is really consumed (a
 * cost, a direct conv, an output), and ToBlocks of such a result looks through the conversion.
 * Autodiff then differentiates the blocked ops, so the backward pass stays blocked too. The
 * ops themselves (elementwise.ts, pool.ts) know nothing of the layout.
 */
import type { Graph, Rewrite, Tensor } from '../graph.js';
import { relu } from '../ops/elementwise.js';
import { matmul } from '../ops/matmul.js';
import { both } from '../ops/pairs.js';
import type { PoolAttrs } from '../ops/pool.js';
import { reshape, transpose } from '../ops/shape.js';
import { BLOCK, blockedSource, fromBlocks } from './blocks.js';
import { sharedConstant } from './shared_constants.js';

/** ReLU maps the layout's zero padding to zero, so it can run on the blocked tensor as it is. */
const reluBlocked: Rewrite = ([x]) => {
  const xb = blockedSource(x);
  return xb ? [fromBlocks(relu(xb), x.shape[2], x.shape[3])] : null;
};

/** 2x2 stride-2 average pooling of an image whose sides are multiples of 8 (whole blocks after pooling). */
const avgPoolBlocked: Rewrite = ([x], attrs) => {
  const a = attrs as PoolAttrs;
  const xb = blockedSource(x);
  const [h, w] = x.shape.slice(2);
  if (!xb || !both(a.kernel, 2) || !both(a.stride, 2) || !both(a.padding, 0) || h % (2 * BLOCK) !== 0 || w % (2 * BLOCK) !== 0) return null;
  return [fromBlocks(avgPool2x2Blocked(xb), h / 2, w / 2)];
};

/** Registers the rewrite on `g` (idempotent). */
export function useBlockedLayout(g: Graph): void {
  g.addRewrite('Relu', reluBlocked);
  g.addRewrite('AveragePool', avgPoolBlocked);
}

/**
 * 2x2 average pooling of a blocked image whose sides are multiples of 8, staying blocked: each
 * 4x4 block pools to 2x2 (two MatMuls with a constant [2, 4] averaging matrix), then pairs of
 * neighbouring blocks interleave into the 4x4 blocks of the half-size image (one Transpose of the
 * pooled quarter). Its gradient is the adjoint of each step.
 */
function avgPool2x2Blocked(xb: Tensor): Tensor {
  const [, , c, th, tw] = xb.shape;
  const pm = sharedConstant(xb.graph, 'avgpool_block_matrix', [2, BLOCK], () => Float32Array.from([0.5, 0.5, 0, 0, 0, 0, 0.5, 0.5]));
  const rows = matmul(pm, reshape(xb, [BLOCK, BLOCK * c * th * tw])); // [p2, q·C·T]
  const cols = matmul(pm, reshape(rows, [2, BLOCK, c * th * tw])); // [p2, q2, C·T]
  // Pooled pixel (2i + p2, 2j + q2) of block (i, j) is at (4I + 2hi + p2, 4J + 2hj + q2) with i = 2I + hi.
  const split = reshape(cols, [2, 2, c, th / 2, 2, tw / 2, 2]); // [p2, q2, C, I, hi, J, hj]
  return reshape(transpose(split, [4, 0, 6, 1, 2, 3, 5]), [BLOCK, BLOCK, c, th / 2, tw / 2]);
}
