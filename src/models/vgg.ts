/**
 * torchvision's VGG `features` (configurations D and E: VGG-16 and VGG-19), index for index,
 * so `features.N.weight` in vgg16-397923af.pth or vgg19-dcbb9e9d.pth loads into layer N here.
 * Layers are also known by the names style-transfer users know (conv1_1, relu1_2, pool1, ...).
 */
import type { Tensor } from '../engine/graph.js';
import { GraphError } from '../engine/graph.js';
import { AvgPool2d, Conv2d, MaxPool2d, Module, ReLU, Rng, Sequential, type Ctx } from '../nn/index.js';

export type VggArch = 'vgg16' | 'vgg19';

/** torchvision's cfgs 'D' (VGG-16) and 'E' (VGG-19). */
const CFGS: Record<VggArch, readonly (number | 'M')[]> = {
  vgg16: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  vgg19: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
};

const LABEL: Record<VggArch, string> = { vgg16: 'VGG-16', vgg19: 'VGG-19' };

/** Layer names in `features` order: conv1_1, relu1_1, conv1_2, ..., pool5. */
export function vggLayers(arch: VggArch): readonly string[] {
  const names: string[] = [];
  let block = 1;
  let idx = 1;
  for (const v of CFGS[arch]) {
    if (v === 'M') {
      names.push(`pool${block++}`);
      idx = 1;
    } else {
      names.push(`conv${block}_${idx}`, `relu${block}_${idx++}`);
    }
  }
  return names;
}

export function vggLayerIndex(arch: VggArch, name: string): number {
  const layers = vggLayers(arch);
  const i = layers.indexOf(name);
  if (i < 0) {
    const valid = layers.filter((n) => !n.startsWith('pool')).join(', ');
    throw new GraphError(`unknown ${LABEL[arch]} layer '${name}'; valid layers: ${valid}`);
  }
  return i;
}

export type Pooling = 'max' | 'avg';

export class VGGFeatures extends Module {
  readonly features: Sequential;
  constructor(
    readonly arch: VggArch,
    pooling: Pooling = 'max',
  ) {
    super();
    const layers: Module[] = [];
    let c = 3;
    for (const v of CFGS[arch]) {
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
    const want = new Map<number, string[]>();
    for (const n of names) {
      const i = vggLayerIndex(this.arch, n);
      want.set(i, [...(want.get(i) ?? []), n]);
    }
    const last = Math.max(...want.keys());
    const out = new Map<string, Tensor>();
    let h = x;
    for (let i = 0; i <= last; i++) {
      h = ctx.graph.scope(`features.${i}`, () => this.features.layers[i].forward(ctx, h));
      for (const n of want.get(i) ?? []) out.set(n, h);
    }
    return out;
  }

  forward(ctx: Ctx, x: Tensor): Tensor {
    return this.features.forward(ctx, x);
  }
}

/** ImageNet statistics torchvision's VGGs were trained with. */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406];
export const IMAGENET_STD = [0.229, 0.224, 0.225];
