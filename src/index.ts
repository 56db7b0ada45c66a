/** ai-art: neural style transfer, CycleGAN and pix2pix on ONNX Runtime. */
export * as engine from './engine/index.js';
export * as nn from './nn/index.js';
export * as images from './images/index.js';
export * as weights from './weights/index.js';
export * as gan from './gan/index.js';
export * as fast from './fast/index.js';
export { stylize, type StylizeOptions, type StyleReport } from './style/index.js';
export { VGG19Features, VGG19_LAYERS } from './models/vgg19.js';
