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
export { assertWritableDir } from './files.js';
export { loadFastModel, TransformerNetModel, OnnxImageModel, type FastModel, type LoadFastModelOptions, type ValueRange } from './model.js';
export { loadContent, stylizeImage, scaledSize, checkContentOptions, type ContentOptions } from './stylize.js';
export { stylizeVideo, isVideoFile, VIDEO_EXTENSIONS, type VideoOptions, type VideoProgress, type VideoResult } from './video.js';
export { probeVideo, missingBinary, type FfmpegPaths, type VideoInfo } from './ffmpeg.js';
export { TemporalSmoother, FlickerMeter, meanAbsDiff, SMOOTHING_TAU } from './smoothing.js';
