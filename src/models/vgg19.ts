/**
 * torchvision's VGG-19 `features`, index for index, so `features.N.weight` in
 * vgg19-dcbb9e9d.pth loads into layer N here. Layers are also known by the names
 * style-transfer users know (conv1_1, relu1_1, pool1, ...).
 */
import type { Tensor } from '../engine/graph.js';
import { GraphError } from '../engine/graph.js';
import { AvgPool2d, Conv2d, MaxPool2d, Module, ReLU, Rng, Sequential, type Ctx } from '../nn/index.js';

const CFG: (number | 'M')[] = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'];

/** Layer names in `features` order: conv1_1, relu1_1, conv1_2, ..., pool5. */
export const VGG19_LAYERS: readonly string[] = (() => {
  const names: string[] = [];
  let block = 1;
  let idx = 1;
  for (const v of CFG) {
    if (v === 'M') {
      names.push(`pool${block++}`);
      idx = 1;
    } else {
      names.push(`conv${block}_${idx}`, `relu${block}_${idx++}`);
    }
  }
  return names;
})();

export function layerIndex(name: string): number {
  const i = VGG19_LAYERS.indexOf(name);
  if (i < 0) {
    const valid = VGG19_LAYERS.filter((n) => !n.startsWith('pool')).join(', ');
    throw new GraphError(`unknown VGG-19 layer '${name}'; valid layers: ${valid}`);
  }
  return i;
}

export const POOLINGS = ['max', 'avg'] as const;
export type Pooling = (typeof POOLINGS)[number];

export class VGG19Features extends Module {
  readonly features: Sequential;
  constructor(pooling: Pooling = 'max') {
    super();
    const layers: Module[] = [];
    let c = 3;
    for (const v of CFG) {
      if (v === 'M') {
        layers.push(pooling === 'max' ? new MaxPool2d({ kernel: 2, stride: 2 }) : new AvgPool2d({ kernel: 2, stride: 2 }));
      } else {
        layers.push(new Conv2d(c, v, 3, { padding: 1 }), new ReLU());
        c = v;
      }
    }
    this.features = this.register('features', new Sequential(...layers));
  }

  /** Seeded Kaiming-normal filters (fan_out, relu) and zero biases, as the offline default. */
  initRandom(seed = 0): this {
    const rng = new Rng(seed);
    for (const m of this.features.layers) {
      if (!(m instanceof Conv2d)) continue;
      const [o, , kh, kw] = m.weight.shape;
      rng.fillNormal(m.weight.f32, 0, Math.sqrt(2 / (o * kh * kw)));
      m.bias?.f32.fill(0);
    }
    return this;
  }

  /** Activations at the named layers, building only as deep as the deepest one. */
  extract(ctx: Ctx, x: Tensor, names: readonly string[]): Map<string, Tensor> {
    const want = new Map(names.map((n) => [layerIndex(n), n]));
    const last = Math.max(...want.keys());
    const out = new Map<string, Tensor>();
    let h = x;
    for (let i = 0; i <= last; i++) {
      h = ctx.graph.scope(`features.${i}`, () => this.features.layers[i].forward(ctx, h));
      const n = want.get(i);
      if (n) out.set(n, h);
    }
    return out;
  }

  forward(ctx: Ctx, x: Tensor): Tensor {
    return this.features.forward(ctx, x);
  }
}

/** ImageNet statistics torchvision's VGG-19 was trained with. */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406];
export const IMAGENET_STD = [0.229, 0.224, 0.225];
