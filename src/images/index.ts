/** Images: loading, saving, pixel helpers, colour transfer, contact sheets, plots and demo scenes. */
export { ImageError } from './errors.js';
export {
  type RawImage,
  type Channels,
  type PadMode,
  type Padding,
  type NCHW,
  assertRaw,
  blankRaw,
  cloneRaw,
  flattenU8,
  toRaw,
  toHWC8,
  toByte,
  hwcToChw,
  chwToHwc,
  cropRaw,
  centerCropRaw,
  padRaw,
  padToMultiple,
  hflip,
  stackNCHW,
  unstackNCHW,
  toSigned,
  fromSigned,
  normalizeRaw,
  denormalizeRaw,
  clampRaw,
} from './raw.js';
export { type Kernel, resizeRaw, resizeLongestSide, sizeForLongestSide, resampleU8 } from './resample.js';
export { type LoadOptions, DEFAULT_MAX_SIDE, DEFAULT_MAX_PIXELS, loadImage, probeImage } from './load.js';
export {
  type ImageFormat,
  type EncodeOptions,
  type SaveOptions,
  encodeImage,
  saveImage,
  formatFromPath,
  writeFileAtomic,
} from './save.js';
export {
  type OptionsStamp,
  AI_ART_KEY,
  addPngText,
  readPngText,
  optionsStamp,
  readOptionsStamp,
  isPng,
} from './pngtext.js';
export { luminance, rgbToYiq, yiqToRgb, originalColors, matchLuminance, matchHistogram, colorStats, matchColorStats } from './color.js';
export { fontsAvailable, type TextMode } from './text.js';
export { type SheetItem, type SheetOptions, contactSheet, contactSheetPng } from './sheet.js';
export { type Series, type PlotOptions, lossPlot, lossPlotSvg } from './plot.js';
export {
  type DemoSceneName,
  type SceneOptions,
  DEMO_SCENES,
  DEMO_SCENE_NAMES,
  demoScene,
  demoScenePng,
  demoScenes,
  demoSceneSvg,
} from './scenes.js';
