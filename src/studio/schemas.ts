/**
 * JSON Schemas the studio validates requests with and generates its forms from. The style
 * options mirror `ai-art style`'s flags (src/cli/style.ts) in the library's camelCase names;
 * per option: `description` (help), `x-flag` (the CLI flag), `x-group`, `x-advanced`.
 * Options that would read arbitrary server files (--weights FILE, --init FILE) are narrowed
 * to their named choices here: the studio reads files only from its own uploads.
 */

export interface OptionSchema {
  type: 'integer' | 'number' | 'string' | 'boolean';
  description: string;
  default?: number | string | boolean;
  minimum?: number;
  maximum?: number;
  enum?: readonly string[];
  pattern?: string;
  maxLength?: number;
  'x-flag': string;
  'x-group': string;
  'x-advanced'?: boolean;
  /** Slider scale for wide positive ranges. */
  'x-log'?: boolean;
}

export interface ObjectSchema {
  type: 'object';
  properties: Record<string, OptionSchema>;
  additionalProperties: false;
  required?: string[];
}

const LAYERS = '^((conv|relu)[1-5]_[1-4])(,(conv|relu)[1-5]_[1-4])*$';

export const STYLE_OPTIONS_SCHEMA: ObjectSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    preset: { type: 'string', enum: ['seed', 'gatys'], default: 'seed', description: 'layer preset; explicit options override it', 'x-flag': '--preset', 'x-group': 'Basics' },
    size: { type: 'integer', minimum: 16, maximum: 2048, default: 512, description: 'longest side of the output in pixels', 'x-flag': '--size', 'x-group': 'Basics' },
    iterations: { type: 'integer', minimum: 1, maximum: 5000, default: 500, description: 'cost evaluations (split over scales)', 'x-flag': '--iterations', 'x-group': 'Basics' },
    contentWeight: { type: 'number', minimum: 0, maximum: 1e3, default: 1, description: 'α, weight of J_content', 'x-flag': '--content-weight', 'x-group': 'Weights' },
    styleWeight: { type: 'number', minimum: 0, maximum: 1e20, description: 'β, weight of J_style (empty: chosen per size for random weights, 1e3 for pretrained)', 'x-flag': '--style-weight', 'x-group': 'Weights', 'x-log': true },
    tvWeight: { type: 'number', minimum: 0, maximum: 1e3, default: 0, description: 'γ, weight of J_tv', 'x-flag': '--tv-weight', 'x-group': 'Weights' },
    originalColors: { type: 'boolean', default: false, description: "keep the content's colours (transfer luminance only)", 'x-flag': '--original-colors', 'x-group': 'Basics' },
    weights: { type: 'string', enum: ['auto', 'vgg19', 'random'], default: 'auto', description: 'VGG-19 weights: pretrained when cached (auto), pretrained (vgg19) or seeded random', 'x-flag': '--weights', 'x-group': 'Network' },
    init: { type: 'string', enum: ['content', 'noise'], default: 'content', description: 'start from the content image or from noise', 'x-flag': '--init', 'x-group': 'Basics' },
    seed: { type: 'integer', minimum: 0, maximum: 2 ** 31 - 1, default: 0, description: 'random seed (noise init, random weights)', 'x-flag': '--seed', 'x-group': 'Basics' },
    optimizer: { type: 'string', enum: ['lbfgs', 'adam'], default: 'lbfgs', description: 'optimiser', 'x-flag': '--optimizer', 'x-group': 'Optimiser', 'x-advanced': true },
    learningRate: { type: 'number', minimum: 0, maximum: 100, description: 'step size (L-BFGS: 1; Adam: 0.02 on [0,1] pixels)', 'x-flag': '--learning-rate', 'x-group': 'Optimiser', 'x-advanced': true },
    lbfgsHistory: { type: 'integer', minimum: 1, maximum: 1000, default: 100, description: 'L-BFGS history size', 'x-flag': '--lbfgs-history', 'x-group': 'Optimiser', 'x-advanced': true },
    contentLayers: { type: 'string', pattern: LAYERS, maxLength: 200, description: 'comma-separated VGG-19 layers (conv1_1..conv5_4, relu1_1..relu5_4)', 'x-flag': '--content-layers', 'x-group': 'Layers', 'x-advanced': true },
    styleLayers: { type: 'string', pattern: LAYERS, maxLength: 200, description: 'comma-separated VGG-19 layers', 'x-flag': '--style-layers', 'x-group': 'Layers', 'x-advanced': true },
    styleLayerWeights: { type: 'string', pattern: '^(equal|exp:[0-9.eE+-]+|[0-9.eE+-]+(,[0-9.eE+-]+)*)$', maxLength: 200, description: 'equal | exp:R | w1,w2,...', 'x-flag': '--style-layer-weights', 'x-group': 'Layers', 'x-advanced': true },
    normalizeLayers: { type: 'boolean', description: 'divide each layer cost by its target mean square (default: on for random weights)', 'x-flag': '--normalize-layers', 'x-group': 'Layers', 'x-advanced': true },
    pooling: { type: 'string', enum: ['max', 'avg'], description: 'VGG pooling (default: avg for random weights, max for pretrained)', 'x-flag': '--pooling', 'x-group': 'Network', 'x-advanced': true },
    styleScale: { type: 'number', minimum: 0.05, maximum: 4, default: 1, description: 'style image size relative to the output', 'x-flag': '--style-scale', 'x-group': 'Basics', 'x-advanced': true },
    scales: { type: 'integer', minimum: 1, maximum: 6, description: 'coarse-to-fine scales (default: 1 up to 1024 px, else from about 512 px)', 'x-flag': '--scales', 'x-group': 'Basics', 'x-advanced': true },
    saveEvery: { type: 'integer', minimum: 0, maximum: 5000, default: 0, description: 'frame every N evaluations (0: about 50 frames per run)', 'x-flag': '--save-every', 'x-group': 'Output', 'x-advanced': true },
    tileSize: { type: 'integer', minimum: 64, maximum: 4096, default: 1024, description: 'above this many pixels squared, evaluate in overlapping windows', 'x-flag': '--tile-size', 'x-group': 'Network', 'x-advanced': true },
    threads: { type: 'integer', minimum: 1, maximum: 256, description: 'compute threads (default: all cores)', 'x-flag': '--threads', 'x-group': 'Network', 'x-advanced': true },
  },
};

const UPLOAD_ID = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;

/** POST /api/jobs */
export const JOB_REQUEST_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['kind'],
  properties: {
    kind: { type: 'string', enum: ['style', 'explore'] },
    content: UPLOAD_ID,
    styles: {
      type: 'array',
      minItems: 1,
      maxItems: 8,
      items: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: UPLOAD_ID, weight: { type: 'number', minimum: 0, maximum: 1000 } } },
    },
    options: STYLE_OPTIONS_SCHEMA,
    explore: {
      type: 'object',
      additionalProperties: false,
      required: ['experiment', 'layer'],
      properties: {
        experiment: { type: 'string', enum: ['strokes', 'content'] },
        layer: { type: 'string', pattern: '^(conv|relu)[1-5]_[1-4]$' },
        image: UPLOAD_ID,
        size: { type: 'integer', minimum: 16, maximum: 512, default: 128 },
        iterations: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
        weights: { type: 'string', enum: ['auto', 'vgg19', 'random'], default: 'auto' },
        seed: { type: 'integer', minimum: 0, maximum: 2 ** 31 - 1, default: 0 },
      },
    },
  },
} as const;

export const ID_PARAMS = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[0-9a-z-]{1,64}$' } },
} as const;
