/**
 * The settings a style-transfer run works with: the options (declared once, in
 * src/options/commands/style.ts) plus what follows from them and from the weights in use
 * (preset layers, pooling, normalisation, scales).
 */
import type { Pooling } from '../models/vgg19.js';
import { styleCommand, type StyleOptions } from '../options/commands/style.js';
import { layerChoices, StyleOptionError } from './layers.js';
import type { Optimizer } from './presets.js';
import type { ColorControl } from './color_control.js';
import { parseRegionStyles, type MaskPropagation, type RegionStyle } from './regions.js';

export { StyleOptionError, parseLayers, parseLayerWeights } from './layers.js';
export { PRESETS, type PresetName, type Optimizer } from './presets.js';
export type { StyleOptions };

export type InitMode = 'content' | 'noise' | string;

export interface StyleSettings {
  size: number;
  iterations: number;
  optimizer: Optimizer;
  learningRate: number;
  contentWeight: number;
  /** undefined: chosen per size by autoStyleWeight. */
  styleWeight: number | undefined;
  tvWeight: number;
  contentLayers: string[];
  styleLayers: string[];
  styleLayerWeights: number[];
  normalizeLayers: boolean;
  styleBlendWeights: number[];
  styleScale: number;
  originalColors: boolean;
  /** --original-colors is colorControl 'luminance'. */
  colorControl: ColorControl;
  /** One style layer list per style image (each a subset of styleLayers), when given. */
  layersPerImage?: string[][];
  maskPropagation: MaskPropagation;
  /** Region colour → style image (0-based), when given; the content mask itself is not an option here. */
  regionStyles?: RegionStyle[];
  /** --scales: finer scales take the upsampled previous result as their content target (scale_control.ts). */
  keepCoarse: boolean;
  init: InitMode;
  pooling: Pooling;
  seed: number;
  saveEvery: number;
  scales: number;
  threads?: number;
  /** L-BFGS history size; undefined: by resolution (historyFor). */
  lbfgsHistory?: number;
  /** Every iterate within [0, 1] (projected L-BFGS, clipped Adam steps). */
  keepInRange: boolean;
  /** Relative cost change over 10 evaluations below which a scale stops (0: never). */
  tolerance: number;
  /** Images above tileSize² pixels are evaluated in windows of at most that many (tiles.ts). */
  tileSize: number;
}

/** What a library caller may pass: any subset of the options. */
export type StyleSettingsInput = Partial<StyleOptions>;

/**
 * Without --scales: one scale up to 1024 px; above, coarse-to-fine from about 512 px (the
 * number of halvings nearest to it, so the first scale lies within a factor √2 of 512), so a
 * 2048 px job spends most iterations where they are cheap (3 scales: 512, 1024, 2048).
 */
export function autoScales(size: number): number {
  return size <= 1024 ? 1 : 1 + Math.round(Math.log2(size / 512));
}

/** Bytes the default L-BFGS history may take: 2 float32 vectors of the image's size per pair. */
export const LBFGS_HISTORY_BYTES = 2 ** 30;

/**
 * The default L-BFGS history size for an image of `pixels` (RGB): torch.optim.LBFGS's 100 pairs
 * while they fit in LBFGS_HISTORY_BYTES (up to about 0.45 megapixels), fewer above, at least 5.
 */
export function historyFor(pixels: number): number {
  return Math.max(5, Math.min(100, Math.floor(LBFGS_HISTORY_BYTES / (2 * 4 * 3 * pixels))));
}

/** The style blend must match the style images; checked before any image is read. */
export function checkImageCounts(o: Pick<StyleOptions, 'styleBlendWeights' | 'styleLayersPerImage' | 'regionStyles'>, nStyles: number, nStyleMasks: number | undefined): void {
  blendWeights(o, nStyles);
  const lists = o.styleLayersPerImage?.split(';').length;
  if (lists !== undefined && lists !== nStyles) throw new StyleOptionError(`--style-layers-per-image: ${lists} layer lists for ${nStyles} style images`, 'styleLayersPerImage');
  if (nStyleMasks !== undefined && nStyleMasks !== nStyles) throw new StyleOptionError(`--style-masks: ${nStyleMasks} masks for ${nStyles} style images`, 'styleMasks');
  if (o.regionStyles !== undefined) parseRegionStyles(o.regionStyles, nStyles);
}

export function blendWeights(o: Pick<StyleOptions, 'styleBlendWeights'>, nStyles: number): number[] {
  const blend = o.styleBlendWeights ?? new Array<number>(nStyles).fill(1);
  if (blend.length !== nStyles) throw new StyleOptionError(`--style-blend-weights: ${blend.length} weights for ${nStyles} style images`, 'styleBlendWeights');
  if (!(blend.reduce((a, b) => a + b, 0) > 0)) throw new StyleOptionError('--style-blend-weights: at least one must be positive', 'styleBlendWeights');
  return blend;
}

/** Validates the options (schema defaults filled in) and derives the run's settings. */
export function resolveSettings(input: StyleSettingsInput, nStyles: number, randomWeights: boolean): StyleSettings {
  const o = styleCommand.resolve(input);
  return {
    size: o.size,
    iterations: o.iterations,
    optimizer: o.optimizer,
    learningRate: o.learningRate ?? (o.optimizer === 'adam' ? 0.02 : 1),
    contentWeight: o.contentWeight,
    styleWeight: o.styleWeight,
    tvWeight: o.tvWeight,
    ...layerChoices(o),
    normalizeLayers: o.normalizeLayers ?? randomWeights,
    styleBlendWeights: blendWeights(o, nStyles),
    styleScale: o.styleScale,
    originalColors: o.originalColors,
    colorControl: o.colorControl ?? (o.originalColors ? 'luminance' : 'none'),
    maskPropagation: o.maskPropagation,
    ...(o.regionStyles !== undefined ? { regionStyles: parseRegionStyles(o.regionStyles, nStyles) } : {}),
    keepCoarse: o.keepCoarse,
    init: o.init,
    pooling: o.pooling ?? (randomWeights ? 'avg' : 'max'),
    seed: o.seed,
    saveEvery: o.saveEvery,
    scales: o.scales ?? autoScales(o.size),
    threads: o.threads,
    ...(o.lbfgsHistory !== undefined ? { lbfgsHistory: o.lbfgsHistory } : {}),
    tolerance: o.tolerance,
    keepInRange: o.keepInRange,
    tileSize: o.tileSize,
  };
}
