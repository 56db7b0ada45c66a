/**
 * TransformerNet of pytorch/examples fast_neural_style (transformer_net.py), the feed-forward
 * style network of Johnson et al. 2016 with instance norm and upsample-then-convolve decoding,
 * layer for layer, so every key of a checkpoint it saved (`conv1.conv2d.weight`, `in1.weight`,
 * `res1.conv1.conv2d.weight`, ..., `deconv3.conv2d.bias`) names one parameter here.
 *
 * Input and output are RGB in 0-255 (the output is not clamped: pytorch/examples clamps when it
 * saves the image). `width` scales every layer: 'full' is the reference (c9s1-32, d64, d128,
 * R128x5, u64, u32, c9s1-3), 'half' the half-width network (c9s1-16, d32, d64, R64x5, u32, u16)
 * that trains several times faster on a CPU; a number gives the first layer's channels.
 */
import { F } from '../engine/index.js';
import type { Tensor } from '../engine/graph.js';
import { GraphError } from '../engine/graph.js';
import {
  Conv2d,
  InstanceNorm2d,
  Module,
  ReflectionPad2d,
  ReLU,
  Rng,
  Upsample,
  type Ctx,
  type Pad2d,
  type TensorValue,
} from '../nn/index.js';

export type TransformerWidth = 'full' | 'half' | number;

export interface TransformerNetOptions {
  width?: TransformerWidth;
  /** Seeds PyTorch's default Conv2d initialisation (kaiming_uniform, a=√5), one stream for the whole net. */
  seed?: number;
}

/** Channels of the first layer for a width. */
export function baseChannels(width: TransformerWidth): number {
  if (width === 'full') return 32;
  if (width === 'half') return 16;
  if (!Number.isInteger(width) || width < 1) throw new GraphError(`TransformerNet: width must be full, half or a channel count, got ${String(width)}`);
  return width;
}

export class ConvLayer extends Module {
  readonly reflection_pad: Pad2d;
  readonly conv2d: Conv2d;
  constructor(inChannels: number, outChannels: number, kernelSize: number, stride: number, rng: Rng) {
    super();
    const reflectionPadding = Math.floor(kernelSize / 2);
    this.reflection_pad = this.register('reflection_pad', ReflectionPad2d(reflectionPadding));
    this.conv2d = this.register('conv2d', new Conv2d(inChannels, outChannels, kernelSize, { stride }, rng));
  }
  forward(ctx: Ctx, x: Tensor): Tensor {
    let out = this.reflection_pad.forward(ctx, x);
    out = this.conv2d.forward(ctx, out);
    return out;
  }
}

export class ResidualBlock extends Module {
  readonly conv1: ConvLayer;
  readonly in1: InstanceNorm2d;
  readonly conv2: ConvLayer;
  readonly in2: InstanceNorm2d;
  readonly relu = new ReLU();
  constructor(channels: number, rng: Rng) {
    super();
    this.conv1 = this.register('conv1', new ConvLayer(channels, channels, 3, 1, rng));
    this.in1 = this.register('in1', new InstanceNorm2d(channels, { affine: true }));
    this.conv2 = this.register('conv2', new ConvLayer(channels, channels, 3, 1, rng));
    this.in2 = this.register('in2', new InstanceNorm2d(channels, { affine: true }));
  }
  forward(ctx: Ctx, x: Tensor): Tensor {
    const residual = x;
    let out = this.relu.forward(ctx, this.in1.forward(ctx, this.conv1.forward(ctx, x)));
    out = this.in2.forward(ctx, this.conv2.forward(ctx, out));
    return F.add(out, residual);
  }
}

/** Upsamples, then convolves: no checkerboard artefacts of a transposed conv (distill.pub/2016/deconv-checkerboard). */
export class UpsampleConvLayer extends Module {
  readonly upsample_layer: Upsample | null;
  readonly reflection_pad: Pad2d;
  readonly conv2d: Conv2d;
  constructor(inChannels: number, outChannels: number, kernelSize: number, stride: number, upsample: number | null, rng: Rng) {
    super();
    this.upsample_layer = upsample ? this.register('upsample_layer', new Upsample(upsample)) : null;
    this.reflection_pad = this.register('reflection_pad', ReflectionPad2d(Math.floor(kernelSize / 2)));
    this.conv2d = this.register('conv2d', new Conv2d(inChannels, outChannels, kernelSize, { stride }, rng));
  }
  forward(ctx: Ctx, x: Tensor): Tensor {
    let xIn = x;
    if (this.upsample_layer) xIn = this.upsample_layer.forward(ctx, xIn);
    const out = this.reflection_pad.forward(ctx, xIn);
    return this.conv2d.forward(ctx, out);
  }
}

export class TransformerNet extends Module {
  readonly width: number;
  readonly conv1: ConvLayer;
  readonly in1: InstanceNorm2d;
  readonly conv2: ConvLayer;
  readonly in2: InstanceNorm2d;
  readonly conv3: ConvLayer;
  readonly in3: InstanceNorm2d;
  readonly res1: ResidualBlock;
  readonly res2: ResidualBlock;
  readonly res3: ResidualBlock;
  readonly res4: ResidualBlock;
  readonly res5: ResidualBlock;
  readonly deconv1: UpsampleConvLayer;
  readonly in4: InstanceNorm2d;
  readonly deconv2: UpsampleConvLayer;
  readonly in5: InstanceNorm2d;
  readonly deconv3: ConvLayer;
  readonly relu = new ReLU();

  constructor(opts: TransformerNetOptions = {}) {
    super();
    const b = baseChannels(opts.width ?? 'full');
    this.width = b;
    const rng = new Rng(opts.seed ?? 0);
    // Initial convolution layers
    this.conv1 = this.register('conv1', new ConvLayer(3, b, 9, 1, rng));
    this.in1 = this.register('in1', new InstanceNorm2d(b, { affine: true }));
    this.conv2 = this.register('conv2', new ConvLayer(b, 2 * b, 3, 2, rng));
    this.in2 = this.register('in2', new InstanceNorm2d(2 * b, { affine: true }));
    this.conv3 = this.register('conv3', new ConvLayer(2 * b, 4 * b, 3, 2, rng));
    this.in3 = this.register('in3', new InstanceNorm2d(4 * b, { affine: true }));
    // Residual layers
    this.res1 = this.register('res1', new ResidualBlock(4 * b, rng));
    this.res2 = this.register('res2', new ResidualBlock(4 * b, rng));
    this.res3 = this.register('res3', new ResidualBlock(4 * b, rng));
    this.res4 = this.register('res4', new ResidualBlock(4 * b, rng));
    this.res5 = this.register('res5', new ResidualBlock(4 * b, rng));
    // Upsampling layers
    this.deconv1 = this.register('deconv1', new UpsampleConvLayer(4 * b, 2 * b, 3, 1, 2, rng));
    this.in4 = this.register('in4', new InstanceNorm2d(2 * b, { affine: true }));
    this.deconv2 = this.register('deconv2', new UpsampleConvLayer(2 * b, b, 3, 1, 2, rng));
    this.in5 = this.register('in5', new InstanceNorm2d(b, { affine: true }));
    this.deconv3 = this.register('deconv3', new ConvLayer(b, 3, 9, 1, rng));
  }

  forward(ctx: Ctx, X: Tensor): Tensor {
    if (X.rank !== 4 || X.shape[1] !== 3) throw new GraphError(`TransformerNet: input must be [N,3,H,W], got ${X}`);
    const relu = (t: Tensor): Tensor => this.relu.forward(ctx, t);
    let y = relu(this.in1.forward(ctx, this.conv1.forward(ctx, X)));
    y = relu(this.in2.forward(ctx, this.conv2.forward(ctx, y)));
    y = relu(this.in3.forward(ctx, this.conv3.forward(ctx, y)));
    y = this.res1.forward(ctx, y);
    y = this.res2.forward(ctx, y);
    y = this.res3.forward(ctx, y);
    y = this.res4.forward(ctx, y);
    y = this.res5.forward(ctx, y);
    y = relu(this.in4.forward(ctx, this.deconv1.forward(ctx, y)));
    y = relu(this.in5.forward(ctx, this.deconv2.forward(ctx, y)));
    y = this.deconv3.forward(ctx, y);
    return y;
  }
}

/**
 * The InstanceNorm running statistics that checkpoints saved by PyTorch < 0.4 carry
 * (`in1.running_mean`, `res1.in2.running_var`, ...): pytorch/examples' stylize() deletes them
 * before load_state_dict, and so does this.
 */
export const OBSOLETE_RUNNING_STAT = /in\d+\.running_(mean|var)$/;

export function dropObsoleteRunningStats<V>(sd: ReadonlyMap<string, V>): Map<string, V> {
  const out = new Map<string, V>();
  for (const [k, v] of sd) if (!OBSOLETE_RUNNING_STAT.test(k)) out.set(k, v);
  return out;
}

/**
 * The width a state_dict was saved with, read off conv1's filters ([width, 3, 9, 9]); null when
 * it has no such key, so the caller's strict load names what is missing and unexpected.
 */
export function inferTransformerWidth(sd: ReadonlyMap<string, TensorValue>): number | null {
  const w = sd.get('conv1.conv2d.weight');
  if (!w || w.shape.length !== 4 || w.shape[1] !== 3 || w.shape[2] !== 9 || w.shape[3] !== 9) return null;
  return w.shape[0];
}

/**
 * A TransformerNet holding a checkpoint's weights (obsolete keys dropped, width inferred, strict
 * load). A checkpoint of another network is refused with a few of its missing and unexpected
 * keys side by side (Module.loadStateDict would list the first dozen problems, all missing).
 */
export function loadTransformerNet(sd: ReadonlyMap<string, TensorValue>, source = 'checkpoint'): TransformerNet {
  const clean = dropObsoleteRunningStats(sd);
  const net = new TransformerNet({ width: inferTransformerWidth(clean) ?? 'full' });
  const own = new Set(Array.from(net.namedTensors(), ([k]) => k));
  const missing = [...own].filter((k) => !clean.has(k));
  const unexpected = [...clean.keys()].filter((k) => !own.has(k));
  if (missing.length || unexpected.length) {
    const few = (ks: string[]): string => ks.slice(0, 4).join(', ') + (ks.length > 4 ? `, ... (${ks.length} in all)` : '');
    const parts = [];
    if (missing.length) parts.push(`missing keys: ${few(missing)}`);
    if (unexpected.length) parts.push(`unexpected keys: ${few(unexpected)}`);
    throw new GraphError(`${source} is not a TransformerNet (pytorch/examples fast_neural_style) state_dict: ${parts.join('; ')}`);
  }
  net.loadStateDict(clean);
  return net.eval();
}

/** 'full', 'half' or the channel count, for messages. */
export function widthName(channels: number): string {
  return channels === 32 ? 'full' : channels === 16 ? 'half' : `${channels}-channel`;
}
