/**
 * define_G / define_D of the official code from its option names, and the reverse: reading
 * netG, ngf, norm and dropout off a generator checkpoint's keys and shapes, so that
 * `ai-art translate` can load a latest_net_G_A.pth without being told its architecture.
 */
import { GraphError, fmtShape } from '../engine/graph.js';
import { BatchNorm2d, InstanceNorm2d, Rng, type Module, type TensorValue } from '../nn/index.js';
import { NLayerDiscriminator, PixelDiscriminator } from './discriminators.js';
import { INIT_TYPES, initWeights, type InitType } from './init.js';
import { NORM_TYPES, type NormType } from './norm_layer.js';
import { ResnetGenerator } from './resnet_generator.js';
import { UnetGenerator } from './unet_generator.js';

export type Generator = ResnetGenerator | UnetGenerator;

/** The official define_G / define_D names (parseNetG also takes the other depths the classes build). */
export const NET_G = ['resnet_9blocks', 'resnet_6blocks', 'unet_256', 'unet_128'] as const;
export type NetG = (typeof NET_G)[number];
export const NET_D = ['basic', 'n_layers', 'pixel'] as const;
export type NetD = (typeof NET_D)[number];
export type Discriminator = NLayerDiscriminator | PixelDiscriminator;

/** Defaults are base_options.py's; the models' own defaults (pix2pix: batch norm, unet_256) are the caller's. */
export interface GeneratorOptions {
  netG: string;
  input_nc?: number;
  output_nc?: number;
  ngf?: number;
  norm?: NormType;
  no_dropout?: boolean;
  init_type?: InitType;
  init_gain?: number;
}

export interface DiscriminatorOptions {
  netD: NetD;
  input_nc?: number;
  ndf?: number;
  n_layers_D?: number;
  norm?: NormType;
  init_type?: InitType;
  init_gain?: number;
}

export type GeneratorArch = { kind: 'resnet'; nBlocks: number } | { kind: 'unet'; numDowns: number };

/**
 * resnet_9blocks, resnet_6blocks, unet_256, unet_128 as the official code; also resnet_<n>blocks
 * and unet_<2^k> (k >= 5) for the other depths the same classes build.
 */
export function parseNetG(netG: string): GeneratorArch {
  const r = /^resnet_(\d+)blocks$/.exec(netG);
  if (r) return { kind: 'resnet', nBlocks: Number(r[1]) };
  const u = /^unet_(\d+)$/.exec(netG);
  if (u) {
    const size = Number(u[1]);
    const k = Math.log2(size);
    if (Number.isInteger(k) && k >= 5) return { kind: 'unet', numDowns: k };
  }
  throw new GraphError(
    `Generator model name [${netG}] is not recognized; use resnet_9blocks, resnet_6blocks, unet_256 or unet_128`,
  );
}

export function netGName(arch: GeneratorArch): string {
  return arch.kind === 'resnet' ? `resnet_${arch.nBlocks}blocks` : `unet_${2 ** arch.numDowns}`;
}

function checkNorm(norm: string): NormType {
  if (!(NORM_TYPES as readonly string[]).includes(norm))
    throw new GraphError(`normalization layer [${norm}] is not found; use one of ${NORM_TYPES.join(', ')}`);
  return norm as NormType;
}

/** The generator, initialised as init_net does unless `init` is false (weights about to be loaded). */
export function defineG(o: GeneratorOptions, opts: { rng?: Rng; init?: boolean } = {}): Generator {
  const arch = parseNetG(o.netG);
  const norm = checkNorm(o.norm ?? 'instance');
  const common = { ngf: o.ngf ?? 64, norm, useDropout: !(o.no_dropout ?? false) };
  const net: Generator =
    arch.kind === 'resnet'
      ? new ResnetGenerator(o.input_nc ?? 3, o.output_nc ?? 3, { ...common, nBlocks: arch.nBlocks })
      : new UnetGenerator(o.input_nc ?? 3, o.output_nc ?? 3, arch.numDowns, common);
  if (opts.init ?? true)
    initWeights(net, o.init_type ?? 'normal', o.init_gain ?? 0.02, opts.rng ?? new Rng(0));
  return net;
}

export function defineD(o: DiscriminatorOptions, opts: { rng?: Rng; init?: boolean } = {}): Discriminator {
  const norm = checkNorm(o.norm ?? 'instance');
  const inputNc = o.input_nc ?? 3;
  const ndf = o.ndf ?? 64;
  let net: Discriminator;
  if (o.netD === 'basic') net = new NLayerDiscriminator(inputNc, ndf, 3, norm);
  else if (o.netD === 'n_layers') net = new NLayerDiscriminator(inputNc, ndf, o.n_layers_D ?? 3, norm);
  else if (o.netD === 'pixel') net = new PixelDiscriminator(inputNc, ndf, norm);
  else
    throw new GraphError(
      `Discriminator model name [${String(o.netD)}] is not recognized; use basic, n_layers or pixel`,
    );
  const init = o.init_type ?? 'normal';
  if (!INIT_TYPES.includes(init)) throw new GraphError(`initialization method [${init}] is not implemented`);
  if (opts.init ?? true) initWeights(net, init, o.init_gain ?? 0.02, opts.rng ?? new Rng(0));
  return net;
}

// ------------------------------------------------------------------ checkpoints

type SD = ReadonlyMap<string, TensorValue>;

/**
 * BaseModel.__patch_instance_norm_state_dict: checkpoints from PyTorch < 0.4 carry
 * running_mean/running_var (and later ones sometimes num_batches_tracked) for InstanceNorm
 * layers that track nothing; they are dropped. Also what torch's BatchNorm loader does for
 * those old files: a BatchNorm without num_batches_tracked gets 0. Returns the patched copy
 * and the keys dropped and added.
 */
export function patchInstanceNormStateDict(
  net: Module,
  sd: SD,
): { stateDict: Map<string, TensorValue>; dropped: string[]; added: string[] } {
  const byPath = new Map<string, Module>();
  const walk = (m: Module, prefix: string): void => {
    byPath.set(prefix, m);
    for (const [n, c] of m.children()) walk(c, prefix ? `${prefix}.${n}` : n);
  };
  walk(net, '');
  const own = new Set(Array.from(net.namedTensors(), ([k]) => k));
  const out = new Map<string, TensorValue>();
  const dropped: string[] = [];
  const added: string[] = [];
  for (const [k, v] of sd) {
    const i = k.lastIndexOf('.');
    const owner = byPath.get(i < 0 ? '' : k.slice(0, i));
    const leaf = k.slice(i + 1);
    const stray =
      owner instanceof InstanceNorm2d &&
      !own.has(k) &&
      ['running_mean', 'running_var', 'num_batches_tracked'].includes(leaf);
    if (stray) dropped.push(k);
    else out.set(k, v);
  }
  for (const [path, m] of byPath) {
    const key = `${path}.num_batches_tracked`;
    if (m instanceof BatchNorm2d && out.has(`${path}.running_mean`) && !out.has(key)) {
      out.set(key, { shape: [], data: new BigInt64Array(1) });
      added.push(key);
    }
  }
  return { stateDict: out, dropped, added };
}

/** Checkpoints saved from a DataParallel wrapper have every key under `module.`. */
export function stripDataParallel(sd: SD): SD {
  const keys = [...sd.keys()];
  if (keys.length === 0 || !keys.every((k) => k.startsWith('module.'))) return sd;
  return new Map(keys.map((k) => [k.slice('module.'.length), sd.get(k)!]));
}

export interface InferredGenerator {
  netG: string;
  arch: GeneratorArch;
  ngf: number;
  norm: NormType;
  /** null for U-Nets: their Dropout layers sit last in a Sequential and leave no trace in the keys. */
  use_dropout: boolean | null;
  input_nc: number;
  output_nc: number;
}

function shapeOf(sd: SD, k: string): readonly number[] | undefined {
  return sd.get(k)?.shape;
}

function normAfter(sd: SD, conv: string, normKey: string): NormType {
  if (sd.has(`${normKey}.weight`) && sd.has(`${normKey}.running_mean`)) return 'batch';
  // Pre-0.4 instance norm left running stats but never an affine weight; its convs have biases.
  if (sd.has(`${conv}.bias`)) return 'instance';
  if (sd.has(`${normKey}.weight`))
    throw new GraphError(
      `${normKey} has an affine weight but no running statistics: not a norm layer the official code builds`,
    );
  return 'none';
}

/** Reads the generator architecture off a state_dict, or says why it is not one the official code builds. */
export function inferGenerator(sdIn: SD): InferredGenerator {
  const sd = stripDataParallel(sdIn);
  const first = [...sd.keys()].slice(0, 4).join(', ');
  const resFirst = shapeOf(sd, 'model.1.weight');
  if (resFirst && resFirst.length === 4 && resFirst[2] === 7) {
    const blocks = new Set<number>();
    for (const k of sd.keys()) {
      const m = /^model\.(\d+)\.conv_block\./.exec(k);
      if (m) blocks.add(Number(m[1]));
    }
    const nBlocks = blocks.size;
    if (nBlocks > 0 && ![...blocks].every((b) => b >= 10 && b < 10 + nBlocks)) {
      throw new GraphError(
        `ResNet blocks at model.${[...blocks].sort((a, b) => a - b).join(', model.')} are not the consecutive model.10... of a ResnetGenerator`,
      );
    }
    const b0 = 10;
    let useDropout = false;
    if (nBlocks > 0) {
      if (sd.has(`model.${b0}.conv_block.6.weight`)) useDropout = true;
      else if (!sd.has(`model.${b0}.conv_block.5.weight`)) {
        throw new GraphError(
          `model.${b0}.conv_block has neither conv_block.5 (no dropout) nor conv_block.6 (dropout): not a reflect-padded ResnetBlock`,
        );
      }
    }
    const last = 10 + nBlocks + 6 + 1;
    const lastShape = shapeOf(sd, `model.${last}.weight`);
    if (!lastShape)
      throw new GraphError(
        `ResnetGenerator with ${nBlocks} blocks would end with model.${last}.weight, which the state_dict lacks`,
      );
    return {
      netG: netGName({ kind: 'resnet', nBlocks }),
      arch: { kind: 'resnet', nBlocks },
      ngf: resFirst[0],
      norm: normAfter(sd, 'model.1', 'model.2'),
      use_dropout: useDropout,
      input_nc: resFirst[1],
      output_nc: lastShape[0],
    };
  }
  const unetFirst = shapeOf(sd, 'model.model.0.weight');
  if (unetFirst && unetFirst.length === 4 && unetFirst[2] === 4) {
    let prefix = 'model.model.1.model';
    let levels = 1;
    while (sd.has(`${prefix}.1.weight`)) {
      levels++;
      if (!sd.has(`${prefix}.3.model.1.weight`)) break;
      prefix = `${prefix}.3.model`;
    }
    const up = shapeOf(sd, 'model.model.3.weight');
    if (!up) throw new GraphError('U-Net state_dict lacks the outermost up-convolution model.model.3.weight');
    if (levels < 5)
      throw new GraphError(
        `U-Net state_dict nests only ${levels} blocks; the official UnetGenerator has at least 5`,
      );
    return {
      netG: netGName({ kind: 'unet', numDowns: levels }),
      arch: { kind: 'unet', numDowns: levels },
      ngf: unetFirst[0],
      norm: normAfter(sd, 'model.model.1.model.1', 'model.model.1.model.2'),
      use_dropout: null,
      input_nc: unetFirst[1],
      output_nc: up[1],
    };
  }
  if (sd.has('model.0.weight') || sd.has('net.0.weight')) {
    throw new GraphError(
      `this state_dict is a discriminator (keys ${first}), not a generator; translate needs a *_net_G*.pth`,
    );
  }
  throw new GraphError(`not a ResnetGenerator or UnetGenerator state_dict (first keys: ${first || 'none'})`);
}

/**
 * The generator a checkpoint holds, with its weights. Options given by the user are checked
 * against what the keys and shapes say, and a mismatch names both.
 */
export function loadGenerator(
  sdIn: SD,
  given: Partial<GeneratorOptions> = {},
): { net: Generator; inferred: InferredGenerator; dropped: string[]; added: string[] } {
  const sd = stripDataParallel(sdIn);
  const inf = inferGenerator(sd);
  const problems: string[] = [];
  if (given.netG !== undefined && netGName(parseNetG(given.netG)) !== inf.netG)
    problems.push(`--netG ${given.netG}, but the checkpoint is ${inf.netG}`);
  if (given.ngf !== undefined && given.ngf !== inf.ngf)
    problems.push(
      `--ngf ${given.ngf}, but model.${inf.arch.kind === 'unet' ? 'model.0' : '1'}.weight is ${fmtShape(inf.arch.kind === 'unet' ? shapeOf(sd, 'model.model.0.weight')! : shapeOf(sd, 'model.1.weight')!)} (ngf ${inf.ngf})`,
    );
  if (given.norm !== undefined && given.norm !== inf.norm)
    problems.push(`--norm ${given.norm}, but the checkpoint was trained with ${inf.norm} norm`);
  if (given.input_nc !== undefined && given.input_nc !== inf.input_nc)
    problems.push(`--input_nc ${given.input_nc}, but the first convolution takes ${inf.input_nc} channels`);
  if (given.output_nc !== undefined && given.output_nc !== inf.output_nc)
    problems.push(`--output_nc ${given.output_nc}, but the last layer gives ${inf.output_nc} channels`);
  if (given.no_dropout !== undefined && inf.use_dropout !== null && given.no_dropout === inf.use_dropout) {
    problems.push(
      `${given.no_dropout ? '--no_dropout' : 'dropout'} given, but the checkpoint's ResNet blocks were built ${inf.use_dropout ? 'with' : 'without'} dropout`,
    );
  }
  if (problems.length)
    throw new GraphError(`the checkpoint does not match the options:\n  ${problems.join('\n  ')}`);
  const useDropout = inf.use_dropout ?? !(given.no_dropout ?? false);
  const net = defineG(
    {
      netG: inf.netG,
      ngf: inf.ngf,
      norm: inf.norm,
      no_dropout: !useDropout,
      input_nc: inf.input_nc,
      output_nc: inf.output_nc,
    },
    { init: false },
  );
  const { stateDict, dropped, added } = patchInstanceNormStateDict(net, sd);
  net.loadStateDict(stateDict);
  return { net, inferred: inf, dropped, added };
}
