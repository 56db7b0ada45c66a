/**
 * Style-transfer options: presets, layer lists and their validation. Names follow
 * jcjohnson/neural-style (content-weight, style-weight, tv-weight, ...).
 */
import { layerIndex } from '../models/vgg19.js';
import type { Pooling } from '../models/vgg19.js';

export class StyleOptionError extends Error {
  override name = 'StyleOptionError';
}

export type Optimizer = 'lbfgs' | 'adam';
export type InitMode = 'content' | 'noise' | string;
export type PresetName = 'seed' | 'gatys';

interface Preset {
  contentLayers: string[];
  styleLayers: string[];
  styleLayerWeights: string;
}

export const PRESETS: Record<PresetName, Preset> = {
  // The project's founding recommendation: a shallow content layer keeps structure, and
  // style weights decay by 1/16 per block because, normalised, each pooling step makes a
  // layer's cost 16x larger ((nH nW)² shrinks 16x): this evens the layers out.
  seed: {
    contentLayers: ['conv3_2'],
    styleLayers: ['conv1_1', 'conv2_1', 'conv3_1', 'conv4_1', 'conv5_1'],
    styleLayerWeights: 'exp:0.0625',
  },
  // Gatys, Ecker & Bethge (2016): content relu4_2, equal weights on relu1_1..relu5_1.
  gatys: {
    contentLayers: ['relu4_2'],
    styleLayers: ['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1'],
    styleLayerWeights: 'equal',
  },
};

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
  init: InitMode;
  pooling: Pooling;
  seed: number;
  saveEvery: number;
  scales: number;
  threads?: number;
  lbfgsHistory: number;
  /** Images above tileSize² pixels are evaluated in windows of at most that many (tiles.ts). */
  tileSize: number;
}

export interface StyleSettingsInput extends Partial<Omit<StyleSettings, 'styleLayerWeights' | 'normalizeLayers'>> {
  preset?: PresetName;
  styleLayerWeights?: string | number[];
  /** Defaults to on for random weights, off for pretrained ones. */
  normalizeLayers?: boolean;
}

export const DEFAULTS = {
  size: 512,
  iterations: 500,
  optimizer: 'lbfgs' as Optimizer,
  contentWeight: 1,
  tvWeight: 0,
  styleScale: 1,
  init: 'content',
  seed: 0,
  saveEvery: 0,
  lbfgsHistory: 100,
  tileSize: 1024,
};

/**
 * Without --scales: one scale up to 1024 px; above, coarse-to-fine from about 512 px (the
 * number of halvings nearest to it, so the first scale lies within a factor √2 of 512), so a
 * 2048 px job spends most iterations where they are cheap (3 scales: 512, 1024, 2048).
 */
export function autoScales(size: number): number {
  return size <= 1024 ? 1 : 1 + Math.round(Math.log2(size / 512));
}

/** An empty list is allowed only where its cost has weight 0 (the explore experiments). */
export function parseLayers(spec: string | readonly string[], what: string, allowEmpty = false): string[] {
  const list = typeof spec === 'string' ? spec.split(',').map((s) => s.trim()).filter(Boolean) : [...spec];
  if (list.length === 0 && !allowEmpty) throw new StyleOptionError(`${what}: no layers given`);
  for (const l of list) {
    if (l.startsWith('pool')) throw new StyleOptionError(`${what}: '${l}' is a pooling layer; use a conv or relu layer`);
    try {
      layerIndex(l);
    } catch (e) {
      throw new StyleOptionError(`${what}: ${(e as Error).message}`);
    }
  }
  return list;
}

/** 'equal' | 'exp:R' (each deeper layer's weight times R) | 'w1,w2,...'. */
export function parseLayerWeights(spec: string | readonly number[], n: number): number[] {
  let w: number[];
  if (typeof spec !== 'string') w = [...spec];
  else if (spec === 'equal') w = new Array<number>(n).fill(1);
  else if (spec.startsWith('exp:')) {
    const r = Number(spec.slice(4));
    if (!(r > 0)) throw new StyleOptionError(`--style-layer-weights: exp:R needs R > 0, got '${spec}'`);
    w = Array.from({ length: n }, (_, i) => r ** i);
  } else w = spec.split(',').map((s) => Number(s.trim()));
  if (w.length !== n) throw new StyleOptionError(`--style-layer-weights: ${w.length} weights for ${n} style layers`);
  for (const v of w) if (!(v >= 0) || !Number.isFinite(v)) throw new StyleOptionError(`--style-layer-weights: invalid weight ${v}`);
  return w;
}

function nonNegative(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0) throw new StyleOptionError(`${name} must be a non-negative number, got ${v}`);
  return v;
}
function positiveInt(name: string, v: number, min = 1): number {
  if (!Number.isInteger(v) || v < min) throw new StyleOptionError(`${name} must be an integer ≥ ${min}, got ${v}`);
  return v;
}

/** Fills defaults, applies the preset (explicit values win) and validates everything. */
export function resolveSettings(o: StyleSettingsInput, nStyles: number, randomWeights: boolean): StyleSettings {
  const preset = PRESETS[o.preset ?? 'seed'];
  if (!preset) throw new StyleOptionError(`unknown preset '${o.preset}'; use seed or gatys`);
  const contentLayers = parseLayers(o.contentLayers ?? preset.contentLayers, '--content-layers', o.contentWeight === 0);
  const styleLayers = parseLayers(o.styleLayers ?? preset.styleLayers, '--style-layers', o.styleWeight === 0);
  const optimizer = o.optimizer ?? DEFAULTS.optimizer;
  if (optimizer !== 'lbfgs' && optimizer !== 'adam') throw new StyleOptionError(`--optimizer must be lbfgs or adam, got '${optimizer}'`);
  const blend = o.styleBlendWeights ?? new Array<number>(nStyles).fill(1);
  if (blend.length !== nStyles) throw new StyleOptionError(`--style-blend-weights: ${blend.length} weights for ${nStyles} style images`);
  blend.forEach((b) => nonNegative('--style-blend-weights', b));
  if (!(blend.reduce((a, b) => a + b, 0) > 0)) throw new StyleOptionError('--style-blend-weights: at least one must be positive');
  const pooling = o.pooling ?? (randomWeights ? 'avg' : 'max');
  if (pooling !== 'max' && pooling !== 'avg') throw new StyleOptionError(`--pooling must be max or avg, got '${pooling}'`);
  const styleScale = o.styleScale ?? DEFAULTS.styleScale;
  if (!(styleScale > 0)) throw new StyleOptionError(`--style-scale must be positive, got ${styleScale}`);
  return {
    size: positiveInt('--size', o.size ?? DEFAULTS.size, 16),
    iterations: positiveInt('--iterations', o.iterations ?? DEFAULTS.iterations),
    optimizer,
    learningRate: nonNegative('--learning-rate', o.learningRate ?? (optimizer === 'adam' ? 0.02 : 1)),
    contentWeight: nonNegative('--content-weight', o.contentWeight ?? DEFAULTS.contentWeight),
    styleWeight: o.styleWeight === undefined ? undefined : nonNegative('--style-weight', o.styleWeight),
    tvWeight: nonNegative('--tv-weight', o.tvWeight ?? DEFAULTS.tvWeight),
    contentLayers,
    styleLayers,
    styleLayerWeights: parseLayerWeights(o.styleLayerWeights ?? preset.styleLayerWeights, styleLayers.length),
    normalizeLayers: o.normalizeLayers ?? randomWeights,
    styleBlendWeights: blend,
    styleScale,
    originalColors: o.originalColors ?? false,
    init: o.init ?? DEFAULTS.init,
    pooling,
    seed: o.seed ?? DEFAULTS.seed,
    saveEvery: positiveInt('--save-every', o.saveEvery ?? DEFAULTS.saveEvery, 0),
    scales: positiveInt('--scales', o.scales ?? autoScales(o.size ?? DEFAULTS.size)),
    threads: o.threads,
    lbfgsHistory: positiveInt('--lbfgs-history', o.lbfgsHistory ?? DEFAULTS.lbfgsHistory),
    tileSize: positiveInt('--tile-size', o.tileSize ?? DEFAULTS.tileSize, 64),
  };
}
