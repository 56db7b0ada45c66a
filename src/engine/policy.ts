/**
 * Which lowering computes a convolution and its gradients. The gradient rules (ops/) state the
 * mathematics; this module alone decides, from measured thresholds, which of the equivalent
 * lowerings (lowering/) runs. A policy is a plain value given to a Graph when it is built
 * (`new Graph({ policy })`) and read by the ops through `tensor.graph.policy`; nothing here is
 * mutable, so two graphs built side by side can use different policies. The measurements
 * behind each threshold are in docs/performance.md.
 */
import type { WinogradShape } from './lowering/winograd_transforms.js';

/** 'auto' picks each Winograd form where its rule below measured faster; 'winograd' insists on the blocked form (or throws). */
export type ConvAlgorithm = 'auto' | 'direct' | 'winograd';

/**
 * Weight-gradient lowerings (lowering/conv_backprop_filter.ts): per-tap MatMuls, one im2col
 * MatMul, a Conv over the batch axis, or shifted copies of a few-channel output gradient.
 */
export type WeightGradMethod = 'taps' | 'im2col' | 'conv' | 'gshift';

export interface LoweringPolicy {
  /** conv2d's forward algorithm ('direct': ORT's Conv everywhere, also for input gradients). */
  readonly convAlgorithm: ConvAlgorithm;
  /** Blocked F(4x4, 3x3) for frozen 3x3 s1 p1 convs: at least this many output channels, */
  readonly blockedWinogradMinOutChannels: number;
  /** this many input channels, */
  readonly blockedWinogradMinInChannels: number;
  /** and this many 4x4 tiles along each side. */
  readonly blockedWinogradMinTilesPerSide: number;
  /** F(4x4, 3x3) for trainable 3x3 s1 convs: 'auto' follows the two thresholds, 'on'/'off' force it where it applies. */
  readonly trainWinograd: 'auto' | 'on' | 'off';
  readonly trainWinogradMinChannels: number;
  readonly trainWinogradMinTiles: number;
  /** F(3x3, 4x4) for trainable 4x4 s1 convs (the PatchGAN's): channels in and out, and 3x3 tiles. */
  readonly s1Winograd4MinChannels: number;
  readonly s1Winograd4MinTiles: number;
  /**
   * A stride-1 conv's input gradient is a conv with the flipped, transposed filters when the
   * forward conv has at least this many input channels (one NCHWc block); else a ConvTranspose.
   */
  readonly flippedConvInputGradMinChannels: number;
  /** The weight-gradient lowering; 'auto' follows the thresholds below. */
  readonly weightGrad: 'auto' | WeightGradMethod;
  /** gshift for one image at stride 1 with at most this many output channels, */
  readonly weightGradShiftMaxOutChannels: number;
  /** else the batch-axis Conv below this many input channels (taps for one output channel, im2col otherwise). */
  readonly weightGradConvBelowInChannels: number;
}

/** The thresholds measured on this project's benchmarks (ORT 1.30, 2 threads; docs/performance.md). */
export const defaultPolicy: LoweringPolicy = Object.freeze({
  convAlgorithm: 'auto',
  blockedWinogradMinOutChannels: 128,
  blockedWinogradMinInChannels: 64,
  blockedWinogradMinTilesPerSide: 2,
  trainWinograd: 'auto',
  trainWinogradMinChannels: 128,
  trainWinogradMinTiles: 16,
  s1Winograd4MinChannels: 128,
  s1Winograd4MinTiles: 64,
  flippedConvInputGradMinChannels: 16,
  weightGrad: 'auto',
  weightGradShiftMaxOutChannels: 4,
  weightGradConvBelowInChannels: 16,
});

/** `defaultPolicy` with some fields replaced (a new frozen value; `base` is not changed). */
export function withPolicy(overrides: Partial<LoweringPolicy>, base: LoweringPolicy = defaultPolicy): LoweringPolicy {
  return Object.freeze({ ...base, ...overrides });
}

/** Output tile of the blocked F(4x4, 3x3) and of the trainable 3x3 form. */
const M4 = 4;
/** Output tile of F(3x3, 4x4). */
const M3 = 3;

/** Whether a frozen 3x3 s1 p1 conv of this shape takes the blocked Winograd form (convAlgorithm 'auto'). */
export function blockedWinogradApplies(p: LoweringPolicy, s: WinogradShape): boolean {
  const th = Math.ceil(s.h / M4);
  const tw = Math.ceil(s.w / M4);
  if (th < p.blockedWinogradMinTilesPerSide || tw < p.blockedWinogradMinTilesPerSide) return false;
  return s.k >= p.blockedWinogradMinOutChannels && s.c >= p.blockedWinogradMinInChannels;
}

/** Whether a trainable (or frozen, not pad-1) 3x3 stride-1 conv takes F(4x4, 3x3) from graph ops. */
export function trainWinogradApplies(p: LoweringPolicy, s: WinogradShape): boolean {
  if (p.trainWinograd !== 'auto') return p.trainWinograd === 'on';
  const tiles = Math.ceil(s.h / M4) * Math.ceil(s.w / M4);
  return s.c >= p.trainWinogradMinChannels && s.k >= p.trainWinogradMinChannels && tiles >= p.trainWinogradMinTiles;
}

/** Whether a trainable 4x4 stride-1 conv takes F(3x3, 4x4). */
export function s1Winograd4Applies(p: LoweringPolicy, s: WinogradShape): boolean {
  const tiles = Math.ceil(s.h / M3) * Math.ceil(s.w / M3);
  return s.c >= p.s1Winograd4MinChannels && s.k >= p.s1Winograd4MinChannels && tiles >= p.s1Winograd4MinTiles;
}

/** Whether the input gradient of a stride-1, undilated, ungrouped conv (padding <= k-1) with `inChannels` is a flipped conv. */
export function flippedConvInputGrad(p: LoweringPolicy, inChannels: number): boolean {
  return inChannels >= p.flippedConvInputGradMinChannels;
}

/**
 * The weight-gradient lowering for input channels c, output channels k, and whether the
 * shifted-gradient form can compute it (one image, stride and dilation 1).
 */
export function weightGradMethod(p: LoweringPolicy, c: number, k: number, gshiftOk: boolean): WeightGradMethod {
  if (p.weightGrad !== 'auto') return p.weightGrad === 'gshift' && !gshiftOk ? 'taps' : p.weightGrad;
  if (gshiftOk && k <= p.weightGradShiftMaxOutChannels) return 'gshift';
  if (k === 1) return 'taps';
  if (c < p.weightGradConvBelowInChannels) return 'conv';
  return 'im2col';
}
