/** Layer presets of `ai-art style`: which VGG-19 layers carry content and style, and how style layers weigh. */
export const PRESET_NAMES = ['seed', 'gatys'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export interface Preset {
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

export const OPTIMIZERS = ['lbfgs', 'adam'] as const;
export type Optimizer = (typeof OPTIMIZERS)[number];
