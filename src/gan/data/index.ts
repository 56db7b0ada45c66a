/** CycleGAN / pix2pix datasets: folder layouts, the reference's transforms, off-thread decoding, seeded batches. */
export { DataError, IMG_EXTENSIONS, isImageFile, makeDataset } from './files.js';
export {
  type U8Image,
  type TransformConfig,
  type ItemTensor,
  type Uniforms,
  type CropFlipParams,
  TransformError,
  applyTransform,
  getParams,
  scaleWidthSize,
  makePower2Size,
  toGray,
  toTensor,
  resizeU8,
  cropU8,
  flipU8,
  pyRound,
} from './transform.js';
export {
  type ItemJob,
  type SideJob,
  type ItemResult,
  type Notice,
  ItemError,
  processItem,
  decodeU8,
} from './item.js';
export { type GanDataset, createDataset, transformConfig } from './dataset.js';
export { DecodePool, type ItemOutcome } from './workers.js';
export {
  GanDataLoader,
  type Batch,
  type BatchTensor,
  type LoaderState,
  type LoaderOptions,
  type NCHW,
} from './loader.js';
export { deriveSeed, streamRng } from './rng.js';
