/** Layer lists and per-layer weights of the style objective, checked before any work starts. */
import { layerIndex } from '../models/vgg19.js';
import { OptionError } from '../options/errors.js';
import { PRESETS, type PresetName } from './presets.js';

export class StyleOptionError extends OptionError {
  override name = 'StyleOptionError';
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

export interface LayerChoice {
  preset: PresetName;
  contentLayers?: string[];
  styleLayers?: string[];
  styleLayerWeights?: string;
  contentWeight: number;
  styleWeight?: number;
  styleLayersPerImage?: string;
}

/** The layers and λ the options amount to, with the preset filling what was not given. */
export function layerChoices(o: LayerChoice): { contentLayers: string[]; styleLayers: string[]; styleLayerWeights: number[]; layersPerImage?: string[][] } {
  const preset = PRESETS[o.preset];
  const contentLayers = parseLayers(o.contentLayers ?? preset.contentLayers, '--content-layers', o.contentWeight === 0);
  const layersPerImage = o.styleLayersPerImage === undefined ? undefined : parseLayersPerImage(o.styleLayersPerImage);
  if (layersPerImage && o.styleLayers) throw new StyleOptionError('--style-layers-per-image replaces --style-layers; give one of them', 'styleLayersPerImage');
  // With one list per image, J_style runs on their union, in network order (λ follow that order).
  const styleLayers = layersPerImage
    ? [...new Set(layersPerImage.flat())].sort((a, b) => layerIndex(a) - layerIndex(b))
    : parseLayers(o.styleLayers ?? preset.styleLayers, '--style-layers', o.styleWeight === 0);
  const styleLayerWeights = parseLayerWeights(o.styleLayerWeights ?? preset.styleLayerWeights, styleLayers.length);
  return { contentLayers, styleLayers, styleLayerWeights, ...(layersPerImage ? { layersPerImage } : {}) };
}

/** `conv1_1,conv2_1;conv3_1,conv4_1`: one non-empty layer list per style image. */
export function parseLayersPerImage(spec: string): string[][] {
  return spec.split(';').map((part, i) => parseLayers(part, `--style-layers-per-image (list ${i + 1})`));
}

export function checkLayerChoices(o: LayerChoice): void {
  layerChoices(o);
}
