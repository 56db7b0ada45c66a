/** The CycleGAN/pix2pix networks of the official models/networks.py, with its option names. */
export { getNormLayer, usesBias, NORM_TYPES, type NormType, type NormLayer } from './norm_layer.js';
export {
  ResnetGenerator,
  ResnetBlock,
  type ResnetGeneratorOptions,
  type PaddingType,
} from './resnet_generator.js';
export { UnetGenerator, UnetSkipConnectionBlock, type UnetGeneratorOptions } from './unet_generator.js';
export { NLayerDiscriminator, PixelDiscriminator } from './discriminators.js';
export { initWeights, orthogonal, fans, INIT_TYPES, type InitType } from './init.js';
export {
  defineG,
  defineD,
  parseNetG,
  netGName,
  inferGenerator,
  loadGenerator,
  patchInstanceNormStateDict,
  stripDataParallel,
  type Generator,
  type Discriminator,
  type GeneratorOptions,
  type DiscriminatorOptions,
  type GeneratorArch,
  type InferredGenerator,
} from './define.js';
export {
  TransformerNet,
  ConvLayer,
  ResidualBlock,
  UpsampleConvLayer,
  baseChannels,
  dropObsoleteRunningStats,
  inferTransformerWidth,
  loadTransformerNet,
  widthName,
  OBSOLETE_RUNNING_STAT,
  type TransformerNetOptions,
  type TransformerWidth,
} from './transformer_net.js';
