/**
 * The official ResnetGenerator and ResnetBlock (models/networks.py), layer for layer, so that
 * every key of a checkpoint it saved (`model.10.conv_block.1.weight`, ...) names one module here.
 */
import { F } from '../engine/index.js';
import type { Tensor } from '../engine/graph.js';
import { GraphError } from '../engine/graph.js';
import {
  Conv2d,
  ConvTranspose2d,
  Dropout,
  Module,
  ReflectionPad2d,
  ReLU,
  ReplicationPad2d,
  Sequential,
  Tanh,
  type Ctx,
} from '../nn/index.js';
import { getNormLayer, usesBias, type NormLayer, type NormType } from './norm_layer.js';

export type PaddingType = 'reflect' | 'replicate' | 'zero';

export class ResnetBlock extends Module {
  readonly conv_block: Sequential;
  constructor(dim: number, paddingType: PaddingType, norm: NormLayer, useDropout: boolean, useBias: boolean) {
    super();
    const layers: Module[] = [];
    const pad = (): number => {
      if (paddingType === 'reflect') layers.push(ReflectionPad2d(1));
      else if (paddingType === 'replicate') layers.push(ReplicationPad2d(1));
      else if (paddingType === 'zero') return 1;
      else throw new GraphError(`padding [${String(paddingType)}] is not implemented`);
      return 0;
    };
    let p = pad();
    layers.push(new Conv2d(dim, dim, 3, { padding: p, bias: useBias }), norm(dim), new ReLU());
    if (useDropout) layers.push(new Dropout(0.5));
    p = pad();
    layers.push(new Conv2d(dim, dim, 3, { padding: p, bias: useBias }), norm(dim));
    this.conv_block = this.register('conv_block', new Sequential(...layers));
  }
  forward(ctx: Ctx, x: Tensor): Tensor {
    return F.add(x, this.conv_block.forward(ctx, x));
  }
}

export interface ResnetGeneratorOptions {
  ngf?: number;
  norm?: NormType;
  useDropout?: boolean;
  nBlocks?: number;
  paddingType?: PaddingType;
}

export class ResnetGenerator extends Module {
  readonly model: Sequential;
  readonly nBlocks: number;
  constructor(
    readonly inputNc: number,
    readonly outputNc: number,
    opts: ResnetGeneratorOptions = {},
  ) {
    super();
    const { ngf = 64, norm = 'batch', useDropout = false, nBlocks = 6, paddingType = 'reflect' } = opts;
    if (!(Number.isInteger(nBlocks) && nBlocks >= 0))
      throw new GraphError(`ResnetGenerator: n_blocks must be >= 0, got ${nBlocks}`);
    this.nBlocks = nBlocks;
    const nl = getNormLayer(norm);
    const useBias = usesBias(norm);
    const model: Module[] = [
      ReflectionPad2d(3),
      new Conv2d(inputNc, ngf, 7, { bias: useBias }),
      nl(ngf),
      new ReLU(),
    ];
    const nDown = 2;
    for (let i = 0; i < nDown; i++) {
      const mult = 2 ** i;
      model.push(
        new Conv2d(ngf * mult, ngf * mult * 2, 3, { stride: 2, padding: 1, bias: useBias }),
        nl(ngf * mult * 2),
        new ReLU(),
      );
    }
    const mult = 2 ** nDown;
    for (let i = 0; i < nBlocks; i++)
      model.push(new ResnetBlock(ngf * mult, paddingType, nl, useDropout, useBias));
    for (let i = 0; i < nDown; i++) {
      const m = 2 ** (nDown - i);
      const out = Math.trunc((ngf * m) / 2);
      model.push(
        new ConvTranspose2d(ngf * m, out, 3, { stride: 2, padding: 1, outputPadding: 1, bias: useBias }),
        nl(out),
        new ReLU(),
      );
    }
    // The last convolution keeps its bias whatever the norm (no norm layer follows it).
    model.push(ReflectionPad2d(3), new Conv2d(ngf, outputNc, 7), new Tanh());
    this.model = this.register('model', new Sequential(...model));
  }
  forward(ctx: Ctx, x: Tensor): Tensor {
    return this.model.forward(ctx, x);
  }
}
