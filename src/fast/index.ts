/**
 * Fast (feed-forward) style transfer: pytorch/examples' TransformerNet and any ONNX image model
 * on pictures and video.
 *
 *   const model = await loadFastModel('candy');                // hub name, .pth/.model or .onnx
 *   const out = await stylizeImage(model, await loadContent('photo.jpg', { contentScale: 2 }));
 *   await stylizeVideo(model, 'in.mp4', 'out.mp4', { temporalSmoothing: 0.6, onProgress });
 *   await model.release();
 */
export { FastError } from './errors.js';
export { loadFastModel, TransformerNetModel, OnnxImageModel, type FastModel, type LoadFastModelOptions, type ValueRange } from './model.js';
export { loadContent, stylizeImage, scaledSize, checkContentOptions, type ContentOptions } from './stylize.js';
export { stylizeVideo, isVideoFile, VIDEO_EXTENSIONS, type VideoOptions, type VideoProgress, type VideoResult } from './video.js';
export { probeVideo, missingBinary, type FfmpegPaths, type VideoInfo } from './ffmpeg.js';
export { TemporalSmoother, FlickerMeter, meanAbsDiff, SMOOTHING_TAU } from './smoothing.js';
export { FAST_STYLIZE_DEFAULTS, type FastStylizeOptions } from './options.js';

// Training (branch fast-train): `await trainFast({ dataset, styleImage, saveModelDir, width: 'half' })`.
export { trainFast, type FastTrainHooks, type FastTrainProgress, type FastTrainResult, type FastLogEntry } from './train.js';
export { FAST_TRAIN_DEFAULTS, FastTrainError, resolveFastTrainOptions, type FastTrainOptions, type FastTrainInput } from './train_options.js';
export { FastTrainStep, styleTargets, CONTENT_LAYER, STYLE_LAYERS, type LossWeights, type StyleTargets, type FastLosses } from './train_step.js';
export { normalizeBatch, gramMatrix, mseLoss, featureReconstructionLoss, styleReconstructionLoss } from './losses.js';
export { loadLossNetwork, type LossNetwork } from './loss_network.js';
