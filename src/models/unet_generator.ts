/**
 * The official UnetGenerator and UnetSkipConnectionBlock (models/networks.py). Each block's
 * `model` Sequential holds the next block at index 1 (outermost) or 3 (the others), which
 * gives checkpoint keys like `model.model.1.model.3.model.1.weight`.
 */
import { F } from '../engine/index.js';
import type { Tensor } from '../engine/graph.js';
import { GraphError } from '../engine/graph.js';
import {
  Conv2d,
  ConvTranspose2d,
  Dropout,
  LeakyReLU,
  Module,
  ReLU,
  Sequential,
  Tanh,
  type Ctx,
} from '../nn/index.js';
import { getNormLayer, usesBias, type NormLayer, type NormType } from './norm_layer.js';

export interface UnetBlockOptions {
  inputNc?: number;
  submodule?: UnetSkipConnectionBlock;
  outermost?: boolean;
  innermost?: boolean;
  norm: NormLayer;
  useBias: boolean;
  useDropout?: boolean;
}

export class UnetSkipConnectionBlock extends Module {
  readonly model: Sequential;
  readonly outermost: boolean;
  constructor(outerNc: number, innerNc: number, o: UnetBlockOptions) {
    super();
    this.outermost = o.outermost ?? false;
    const inputNc = o.inputNc ?? outerNc;
    const downconv = new Conv2d(inputNc, innerNc, 4, { stride: 2, padding: 1, bias: o.useBias });
    const downrelu = new LeakyReLU(0.2);
    const uprelu = new ReLU();
    let layers: Module[];
    if (o.outermost) {
      if (!o.submodule)
        throw new GraphError('UnetSkipConnectionBlock: the outermost block needs a submodule');
      const upconv = new ConvTranspose2d(innerNc * 2, outerNc, 4, { stride: 2, padding: 1 });
      layers = [downconv, o.submodule, uprelu, upconv, new Tanh()];
    } else if (o.innermost) {
      const upconv = new ConvTranspose2d(innerNc, outerNc, 4, { stride: 2, padding: 1, bias: o.useBias });
      layers = [downrelu, downconv, uprelu, upconv, o.norm(outerNc)];
    } else {
      if (!o.submodule)
        throw new GraphError('UnetSkipConnectionBlock: an intermediate block needs a submodule');
      const upconv = new ConvTranspose2d(innerNc * 2, outerNc, 4, { stride: 2, padding: 1, bias: o.useBias });
      layers = [downrelu, downconv, o.norm(innerNc), o.submodule, uprelu, upconv, o.norm(outerNc)];
      if (o.useDropout) layers.push(new Dropout(0.5));
    }
    this.model = this.register('model', new Sequential(...layers));
  }

  forward(ctx: Ctx, x: Tensor): Tensor {
    if (this.outermost) return this.model.forward(ctx, x);
    // The official block starts with LeakyReLU(0.2, inplace=True), which overwrites x before
    // torch.cat([x, self.model(x)], 1) reads it: the skip carries leaky_relu(x). (The parent's
    // up-path ReLU comes next, and relu(leaky_relu(x)) = relu(x), so values and gradients are
    // the same either way; this just keeps the official dataflow.)
    const [first, ...rest] = this.model.layers;
    const h = first.forward(ctx, x);
    const y = rest.reduce((t, m) => m.forward(ctx, t), h);
    return F.concat([h, y], 1);
  }
}

export interface UnetGeneratorOptions {
  ngf?: number;
  norm?: NormType;
  useDropout?: boolean;
}

export class UnetGenerator extends Module {
  readonly model: UnetSkipConnectionBlock;
  constructor(
    readonly inputNc: number,
    readonly outputNc: number,
    readonly numDowns: number,
    opts: UnetGeneratorOptions = {},
  ) {
    super();
    const { ngf = 64, norm = 'batch', useDropout = false } = opts;
    if (!(Number.isInteger(numDowns) && numDowns >= 5))
      throw new GraphError(`UnetGenerator: num_downs must be an integer >= 5, got ${numDowns}`);
    const nl = getNormLayer(norm);
    const common = { norm: nl, useBias: usesBias(norm) };
    let block = new UnetSkipConnectionBlock(ngf * 8, ngf * 8, { ...common, innermost: true });
    for (let i = 0; i < numDowns - 5; i++)
      block = new UnetSkipConnectionBlock(ngf * 8, ngf * 8, { ...common, submodule: block, useDropout });
    block = new UnetSkipConnectionBlock(ngf * 4, ngf * 8, { ...common, submodule: block });
    block = new UnetSkipConnectionBlock(ngf * 2, ngf * 4, { ...common, submodule: block });
    block = new UnetSkipConnectionBlock(ngf, ngf * 2, { ...common, submodule: block });
    this.model = this.register(
      'model',
      new UnetSkipConnectionBlock(outputNc, ngf, { ...common, inputNc, submodule: block, outermost: true }),
    );
  }

  /** Inputs must be divisible by 2^num_downs, or the skip concatenations would not line up. */
  checkInput(h: number, w: number): void {
    const k = 2 ** this.numDowns;
    if (h % k !== 0 || w % k !== 0) {
      throw new GraphError(
        `UnetGenerator with ${this.numDowns} downsamplings needs a height and width divisible by ${k}, got ${h}x${w}`,
      );
    }
  }

  forward(ctx: Ctx, x: Tensor): Tensor {
    this.checkInput(x.shape[2], x.shape[3]);
    return this.model.forward(ctx, x);
  }
}
