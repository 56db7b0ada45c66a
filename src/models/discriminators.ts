/** The official NLayerDiscriminator (PatchGAN) and PixelDiscriminator (models/networks.py). */
import type { Tensor } from '../engine/graph.js';
import { GraphError } from '../engine/graph.js';
import { Conv2d, LeakyReLU, Module, Sequential, type Ctx } from '../nn/index.js';
import { getNormLayer, usesBias, type NormType } from './norm_layer.js';

/**
 * n_layers = 3 is the 70x70 PatchGAN ('basic'): each output value judges one 70x70 patch.
 * Kernel 4, padding 1, stride 2 for all but the last two convolutions.
 */
export class NLayerDiscriminator extends Module {
  readonly model: Sequential;
  constructor(
    readonly inputNc: number,
    readonly ndf = 64,
    readonly nLayers = 3,
    norm: NormType = 'batch',
  ) {
    super();
    if (!(Number.isInteger(nLayers) && nLayers >= 0))
      throw new GraphError(`NLayerDiscriminator: n_layers must be >= 0, got ${nLayers}`);
    const nl = getNormLayer(norm);
    const useBias = usesBias(norm);
    const kw = 4;
    const padw = 1;
    const seq: Module[] = [new Conv2d(inputNc, ndf, kw, { stride: 2, padding: padw }), new LeakyReLU(0.2)];
    let mult = 1;
    let prev = 1;
    for (let n = 1; n < nLayers; n++) {
      prev = mult;
      mult = Math.min(2 ** n, 8);
      seq.push(
        new Conv2d(ndf * prev, ndf * mult, kw, { stride: 2, padding: padw, bias: useBias }),
        nl(ndf * mult),
        new LeakyReLU(0.2),
      );
    }
    prev = mult;
    mult = Math.min(2 ** nLayers, 8);
    seq.push(
      new Conv2d(ndf * prev, ndf * mult, kw, { stride: 1, padding: padw, bias: useBias }),
      nl(ndf * mult),
      new LeakyReLU(0.2),
    );
    seq.push(new Conv2d(ndf * mult, 1, kw, { stride: 1, padding: padw }));
    this.model = this.register('model', new Sequential(...seq));
  }

  /** Smallest input side: the two stride-1 convolutions take 2 pixels off, each stride-2 one halves. */
  get minSize(): number {
    return 3 * 2 ** this.nLayers;
  }

  forward(ctx: Ctx, x: Tensor): Tensor {
    const [h, w] = x.shape.slice(2);
    if (h < this.minSize || w < this.minSize) {
      throw new GraphError(
        `NLayerDiscriminator with n_layers ${this.nLayers} needs inputs of at least ${this.minSize}x${this.minSize}, got ${h}x${w}`,
      );
    }
    return this.model.forward(ctx, x);
  }
}

/** 1x1 PatchGAN: judges each pixel's colour on its own. Its module list is called `net`. */
export class PixelDiscriminator extends Module {
  readonly net: Sequential;
  constructor(
    readonly inputNc: number,
    readonly ndf = 64,
    norm: NormType = 'batch',
  ) {
    super();
    const nl = getNormLayer(norm);
    const useBias = usesBias(norm);
    this.net = this.register(
      'net',
      new Sequential(
        new Conv2d(inputNc, ndf, 1),
        new LeakyReLU(0.2),
        new Conv2d(ndf, ndf * 2, 1, { bias: useBias }),
        nl(ndf * 2),
        new LeakyReLU(0.2),
        new Conv2d(ndf * 2, 1, 1, { bias: useBias }),
      ),
    );
  }
  forward(ctx: Ctx, x: Tensor): Tensor {
    return this.net.forward(ctx, x);
  }
}
