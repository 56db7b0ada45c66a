/** The torch.nn layers the reference models use, with PyTorch's parameter names and defaults. */
import { F } from '../engine/index.js';
import type { Tensor } from '../engine/graph.js';
import { GraphError } from '../engine/graph.js';
import { Module, type Ctx, type Parameter } from './module.js';
import { Rng } from './random.js';

export class Sequential extends Module {
  readonly layers: Module[];
  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
    layers.forEach((m, i) => this.register(String(i), m));
  }
  forward(ctx: Ctx, x: Tensor): Tensor {
    return this.layers.reduce((h, m) => m.forward(ctx, h), x);
  }
}

export class Identity extends Module {
  forward(_ctx: Ctx, x: Tensor): Tensor {
    return x;
  }
}

type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);

export interface ConvOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  bias?: boolean;
}

/** torch.nn.Conv2d; weights start as PyTorch's default (kaiming_uniform with a=√5) from a seeded Rng. */
export class Conv2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernel: Pair,
    readonly opts: ConvOptions = {},
    rng = new Rng(0),
  ) {
    super();
    const [kh, kw] = pair(kernel);
    const fanIn = inChannels * kh * kw;
    const bound = 1 / Math.sqrt(fanIn);
    this.weight = this.param('weight', [outChannels, inChannels, kh, kw], rng.fillUniform(new Float32Array(outChannels * fanIn), -bound, bound));
    this.bias = opts.bias === false ? null : this.param('bias', [outChannels], rng.fillUniform(new Float32Array(outChannels), -bound, bound));
  }
  forward(ctx: Ctx, x: Tensor): Tensor {
    return F.conv2d(x, ctx.t(this.weight), this.bias && ctx.t(this.bias), this.opts);
  }
}

export class ConvTranspose2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernel: Pair,
    readonly opts: ConvOptions & { outputPadding?: Pair } = {},
    rng = new Rng(0),
  ) {
    super();
    const [kh, kw] = pair(kernel);
    // PyTorch computes fan_in from weight.size(1) * k*k, i.e. out_channels for a transposed conv.
    const bound = 1 / Math.sqrt(outChannels * kh * kw);
    this.weight = this.param('weight', [inChannels, outChannels, kh, kw], rng.fillUniform(new Float32Array(inChannels * outChannels * kh * kw), -bound, bound));
    this.bias = opts.bias === false ? null : this.param('bias', [outChannels], rng.fillUniform(new Float32Array(outChannels), -bound, bound));
  }
  forward(ctx: Ctx, x: Tensor): Tensor {
    return F.convTranspose2d(x, ctx.t(this.weight), this.bias && ctx.t(this.bias), this.opts);
  }
}

export class Pad2d extends Module {
  constructor(
    readonly padding: number,
    readonly mode: F.PadMode,
  ) {
    super();
  }
  forward(_ctx: Ctx, x: Tensor): Tensor {
    const p = this.padding;
    // The same values as the generic Pad; its gradient folds each border in one pass per axis
    // (reflect_pad.ts), a large part of the resnet blocks' padding cost with the generic VJP.
    if (this.mode === 'reflect' && F.reflectPad2dFits(x, p)) return F.reflectPad2d(x, p);
    return F.pad(x, [0, 0, p, p, 0, 0, p, p], this.mode);
  }
}
export const ReflectionPad2d = (p: number): Pad2d => new Pad2d(p, 'reflect');
export const ReplicationPad2d = (p: number): Pad2d => new Pad2d(p, 'edge');
export const ZeroPad2d = (p: number): Pad2d => new Pad2d(p, 'constant');

/** torch.nn.Upsample(scale_factor=s, mode='nearest') with an integer factor. */
export class Upsample extends Module {
  constructor(readonly scaleFactor: number) {
    super();
  }
  forward(_ctx: Ctx, x: Tensor): Tensor {
    return F.upsampleNearest(x, this.scaleFactor);
  }
}

/** torch.nn.InstanceNorm2d (affine and track_running_stats off by default, as the reference models use it). */
export class InstanceNorm2d extends Module {
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  constructor(
    readonly channels: number,
    readonly opts: { affine?: boolean; eps?: number } = {},
  ) {
    super();
    this.weight = opts.affine ? this.param('weight', [channels], new Float32Array(channels).fill(1)) : null;
    this.bias = opts.affine ? this.param('bias', [channels]) : null;
  }
  forward(ctx: Ctx, x: Tensor): Tensor {
    const y = F.normalize(x, [2, 3], this.opts.eps ?? 1e-5).y;
    return affine(ctx, y, this.weight, this.bias);
  }
}

function affine(ctx: Ctx, y: Tensor, w: Parameter | null, b: Parameter | null): Tensor {
  const c = y.shape[1];
  let out = y;
  if (w) out = F.mul(out, F.reshape(ctx.t(w), [1, c, 1, 1]));
  if (b) out = F.add(out, F.reshape(ctx.t(b), [1, c, 1, 1]));
  return out;
}

/**
 * torch.nn.BatchNorm2d. In training it normalises with batch statistics and
 * emits the running-stat updates (momentum 0.1, unbiased variance) as extra
 * outputs; in eval it uses the running statistics.
 */
export class BatchNorm2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter;
  readonly runningMean: Parameter;
  readonly runningVar: Parameter;
  readonly numBatchesTracked: Parameter;
  constructor(
    readonly channels: number,
    readonly opts: { eps?: number; momentum?: number } = {},
  ) {
    super();
    this.weight = this.param('weight', [channels], new Float32Array(channels).fill(1));
    this.bias = this.param('bias', [channels]);
    this.runningMean = this.buffer('running_mean', [channels], new Float32Array(channels));
    this.runningVar = this.buffer('running_var', [channels], new Float32Array(channels).fill(1));
    this.numBatchesTracked = this.buffer('num_batches_tracked', [], new BigInt64Array(1));
  }
  forward(ctx: Ctx, x: Tensor): Tensor {
    const eps = this.opts.eps ?? 1e-5;
    const c = this.channels;
    if (!this.training) {
      const mean = F.reshape(ctx.t(this.runningMean), [1, c, 1, 1]);
      const v = F.reshape(ctx.t(this.runningVar), [1, c, 1, 1]);
      return affine(ctx, F.div(F.sub(x, mean), F.sqrt(F.add(v, eps))), this.weight, this.bias);
    }
    const { y, mean, variance } = F.normalize(x, [0, 2, 3], eps);
    const n = x.shape[0] * x.shape[2] * x.shape[3];
    const m = this.opts.momentum ?? 0.1;
    const upd = (old: Parameter, stat: Tensor, scale: number): Tensor =>
      F.add(F.mul(ctx.t(old), 1 - m), F.mul(F.reshape(stat, [c]), m * scale));
    ctx.updates.push({ param: this.runningMean, value: upd(this.runningMean, mean, 1) });
    ctx.updates.push({ param: this.runningVar, value: upd(this.runningVar, variance, n > 1 ? n / (n - 1) : 1) });
    return affine(ctx, y, this.weight, this.bias);
  }
}

export class ReLU extends Module {
  forward(_ctx: Ctx, x: Tensor): Tensor {
    return F.relu(x);
  }
}
export class LeakyReLU extends Module {
  constructor(readonly slope = 0.01) {
    super();
  }
  forward(_ctx: Ctx, x: Tensor): Tensor {
    return F.leakyRelu(x, this.slope);
  }
}
export class Tanh extends Module {
  forward(_ctx: Ctx, x: Tensor): Tensor {
    return F.tanh(x);
  }
}
export class Sigmoid extends Module {
  forward(_ctx: Ctx, x: Tensor): Tensor {
    return F.sigmoid(x);
  }
}

/** torch.nn.Dropout; the mask is a graph input drawn from a seeded Rng (see sampleDropout). */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p < 1)) throw new GraphError(`Dropout: p must be in [0, 1), got ${p}`);
  }
  /** PyTorch's official test mode keeps dropout active unless --eval; `active` follows `training`. */
  forward(ctx: Ctx, x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    return F.mul(x, ctx.dropoutMask(x.shape, this.p));
  }
}

export class MaxPool2d extends Module {
  constructor(readonly opts: F.Pool2dOptions) {
    super();
  }
  forward(_ctx: Ctx, x: Tensor): Tensor {
    return F.maxPool2d(x, this.opts);
  }
}
export class AvgPool2d extends Module {
  constructor(readonly opts: F.Pool2dOptions) {
    super();
  }
  forward(_ctx: Ctx, x: Tensor): Tensor {
    return F.avgPool2d(x, this.opts);
  }
}

/** Feeds for a graph's dropout masks: each element kept with probability 1-p and scaled by 1/(1-p). */
export function sampleDropout(ctx: Ctx, rng: Rng): Record<string, Float32Array> {
  const feeds: Record<string, Float32Array> = {};
  for (const { input, p } of ctx.dropout) {
    const m = new Float32Array(input.size);
    const keep = 1 / (1 - p);
    for (let i = 0; i < m.length; i++) m[i] = rng.next() >= p ? keep : 0;
    feeds[input.name] = m;
  }
  return feeds;
}
