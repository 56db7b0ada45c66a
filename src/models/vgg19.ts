/** VGG-19, the network style transfer runs on: the generic VGG of vgg.ts in configuration E. */
import { VGGFeatures, vggLayerIndex, vggLayers, type Pooling } from './vgg.js';

export { IMAGENET_MEAN, IMAGENET_STD, type Pooling } from './vgg.js';

/** Layer names in `features` order: conv1_1, relu1_1, conv1_2, ..., pool5. */
export const VGG19_LAYERS: readonly string[] = vggLayers('vgg19');

export function layerIndex(name: string): number {
  return vggLayerIndex('vgg19', name);
}

export const POOLINGS = ['max', 'avg'] as const;

export class VGG19Features extends VGGFeatures {
  constructor(pooling: Pooling = 'max') {
    super('vgg19', pooling);
  }
}
