/**
 * CycleGAN and pix2pix as a library: the official train.py / test.py with hooks for progress
 * and an AbortSignal, the pieces they are built from, and combine_A_and_B.
 *
 *   const r = await trainGan({ dataroot: 'data/facades', name: 'facades', model: 'pix2pix', direction: 'BtoA' },
 *                            { signal, onProgress: (p) => ... });
 *   const t = await testGan({ dataroot: 'data/facades', name: 'facades', model: 'pix2pix', direction: 'BtoA' });
 */
export { trainGan, type TrainHooks, type TrainProgress, type TrainResult, type EpochInfo } from './train.js';
export { testGan, type TestHooks, type TestProgress, type TestResult } from './test.js';
export { optionArgv, resolveOptions, type GanOptionInput } from './runner/setup.js';
export { createTrainModel, type TrainModel } from './runner/model.js';
export { Inference, type InferenceBuilder, type InferenceOptions } from './infer.js';
export {
  parseGanOptions,
  formatOptions,
  saveOptions,
  experimentDir,
  UsageError,
  type GanOptions,
  type GanTrainOptions,
  type GanTestOptions,
  type GanModel,
  type ParsedGanOptions,
} from './options.js';
export {
  saveCheckpoint,
  loadCheckpoint,
  loadNetworks,
  listCheckpoints,
  CheckpointError,
  type TrainerState,
} from './checkpoint.js';
export { GanDataLoader, DataError, type Batch } from './data/index.js';
export {
  combineAB,
  formatCombineReport,
  CombineError,
  type CombineOptions,
  type CombineReport,
} from './combine.js';
export { CycleGANStep } from './cyclegan_step.js';
export { Pix2PixStep } from './pix2pix_step.js';
export { ImagePool } from './pool.js';
export { LrScheduler, lrForEpoch } from './schedule.js';
export { LossLog, TrainingWeb, TestResults } from './report/index.js';
