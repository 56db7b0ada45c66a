/**
 * conv2d and the two gradients of a conv (ConvBackpropInput, ConvBackpropFilter), each computed
 * by the lowering the graph's policy (policy.ts) picks for its shape:
 * - conv2d: ORT's Conv, or a Winograd form: the blocked F(4x4, 3x3) for frozen 3x3 pad-1 filters
 *   (winograd.ts), F(4x4, 3x3) from graph ops for other 3x3 ones (winograd_train.ts), F(3x3, 4x4)
 *   for trainable 4x4 ones (winograd_s1.ts);
 * - ConvBackpropInput: for stride 1, the conv (by conv2d, which may choose Winograd) of the
 *   output gradient with the flipped, transposed filters; otherwise ORT's ConvTranspose;
 * - ConvBackpropFilter: per-tap or im2col MatMuls, shifted gradients, or a Conv over the batch
 *   axis (conv_backprop_filter.ts).
 */
import { GraphError, dependsOnInput, type Tensor } from '../graph.js';
import { blockedWinogradApplies, flippedConvInputGrad, s1Winograd4Applies, trainWinogradApplies } from '../policy.js';
import { convAttrs, convDirect, convTransposeDirect, flipTranspose, type ConvAttrs, type Conv2dOptions } from '../ops/conv.js';
import { both } from '../ops/pairs.js';
import { concat, slice } from '../ops/shape.js';
import { fromBlocks, toBlocks } from './blocks.js';
import { useBlockedLayout } from './blocked_layout.js';
import { convWeightGradLowered } from './conv_backprop_filter.js';
import { winogradBlocked } from './winograd.js';
import { winogradConvS1 } from './winograd_s1.js';
import { winogradConvTrain } from './winograd_train.js';
import { winogradShape } from './winograd_transforms.js';

/** conv(x, w) + b by one of the Winograd forms, or null for ORT's Conv. */
function winogradConv(x: Tensor, w: Tensor, b: Tensor | null, a: ConvAttrs, opts: Conv2dOptions): Tensor | null {
  const policy = x.graph.policy;
  const s3 = winogradShape(x, w, a, 3);
  const s4 = s3 ? null : winogradShape(x, w, a, 4);
  // The graph walk only for convs some Winograd form could take. Frozen filters (computed from
  // constants alone) let ORT fold the blocked form's filter transform when the session is created.
  const frozen = (s3 !== null || s4 !== null) && !dependsOnInput(w);
  const blocked = s3 !== null && frozen && both(a.padding, 1);
  if (policy.convAlgorithm === 'winograd' && !blocked) {
    throw new GraphError(`conv2d: the Winograd algorithm needs a 3x3 stride-1 pad-1 ungrouped conv of one image with constant (frozen) filters, got ${x} * ${w} ${JSON.stringify(opts)}`);
  }
  if (s3 && blocked && (policy.convAlgorithm === 'winograd' || blockedWinogradApplies(policy, s3))) {
    const [h, wd] = x.shape.slice(2);
    useBlockedLayout(x.graph);
    return fromBlocks(winogradBlocked(toBlocks(x), w, b, h, wd), h, wd);
  }
  // Only 'auto' gets here: 'winograd' returned or threw above.
  if (s3 && !blocked && trainWinogradApplies(policy, s3)) return winogradConvTrain(x, w, b, a.padding);
  if (s4 && !frozen && s1Winograd4Applies(policy, s4)) return winogradConvS1(x, w, b, a.padding);
  return null;
}

export function conv2d(x: Tensor, w: Tensor, b: Tensor | null = null, opts: Conv2dOptions = {}): Tensor {
  const a = convAttrs(opts);
  const y = x.graph.policy.convAlgorithm === 'direct' ? null : winogradConv(x, w, b, a, opts);
  return y ?? convDirect(x, w, b, a);
}

/**
 * ConvBackpropInput: dL/dx [.., h, w] of y = conv(x, w) from g = dL/dy. With stride 1, no
 * dilation, one group and padding p <= k-1 it is the convolution of g with the flipped,
 * transposed filters and padding k-1-p; otherwise the transposed convolution of g, padded out
 * to x's size.
 */
export function convBackpropInput(g: Tensor, w: Tensor, [h, wd]: readonly [number, number], a: ConvAttrs): Tensor {
  const [kh, kw] = w.shape.slice(2);
  const padOk = a.padding[0] <= kh - 1 && a.padding[1] <= kw - 1;
  if (both(a.stride, 1) && both(a.dilation, 1) && a.groups === 1 && padOk && flippedConvInputGrad(g.graph.policy, w.shape[1])) {
    return conv2d(g, flipTranspose(w), null, { padding: [kh - 1 - a.padding[0], kw - 1 - a.padding[1]] });
  }
  const base = (size: number, i: number, k: number) => (size - 1) * a.stride[i] - 2 * a.padding[i] + a.dilation[i] * (k - 1) + 1;
  const op: [number, number] = [h - base(g.shape[2], 0, kh), wd - base(g.shape[3], 1, kw)];
  return convTransposeDirect(g, w, null, { ...a, outputPadding: op });
}

/** ConvBackpropFilter: dL/dw [K, C/groups, kh, kw] of y = conv(x, w) from x and g = dL/dy. */
export function convBackpropFilter(x: Tensor, g: Tensor, [kh, kw]: readonly [number, number], a: ConvAttrs): Tensor {
  if (a.groups === 1) return convWeightGradLowered(x, g, { kh, kw, stride: a.stride, padding: a.padding, dilation: a.dilation });
  // Group i's filters see only its own slice of channels on both sides.
  const cx = x.shape[1] / a.groups;
  const cg = g.shape[1] / a.groups;
  const one = { ...a, groups: 1 };
  const parts = Array.from({ length: a.groups }, (_, i) =>
    convBackpropFilter(
      slice(x, [{ axis: 1, start: i * cx, end: (i + 1) * cx }]),
      slice(g, [{ axis: 1, start: i * cg, end: (i + 1) * cg }]),
      [kh, kw],
      one,
    ),
  );
  return concat(parts, 0);
}
