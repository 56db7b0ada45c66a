/** Named pretrained weights: registry, cache, downloads. */
export { HubError, type HubErrorCode } from './errors.js';
export {
  REGISTRY,
  type Architecture,
  type GeneratorArch,
  type GeneratorNet,
  type HubEntry,
  type OnnxImageArch,
  type TransformerNetArch,
  type Vgg19Arch,
} from './registry.js';
export { modelsDir, torchHubCheckpointsDir, downloadUrl } from './paths.js';
export {
  downloadToPart,
  discardPart,
  type DownloadOptions,
  type DownloadProgress,
  type DownloadResult,
} from './download.js';
export { withFileLock, type LockOptions } from './lock.js';
export { formatBytes, formatDuration, formatProgress } from './progress.js';
export {
  Hub,
  defaultHub,
  listModels,
  pullModel,
  importModel,
  modelPath,
  type HubOptions,
  type ImportOptions,
  type ModelInfo,
  type PullOptions,
  type PullResult,
} from './hub.js';
