/**
 * JSON Schemas the studio validates requests with and generates its forms from. The style
 * options are `ai-art style`'s own declaration (src/options), per option: `description`
 * (help), `x-flag`, `x-group`, `x-advanced`. Options that would read arbitrary server files
 * (--weights FILE, --init FILE) are narrowed to their named choices: the studio reads files
 * only from its own uploads.
 */
import { styleCommand } from '../options/commands/style.js';
import { cycleganTrainCommand, pix2pixTrainCommand } from '../options/commands/gan.js';
import { fastTrainCommand } from '../options/commands/fast_train.js';

export interface OptionSchema {
  type?: 'integer' | 'number' | 'string' | 'boolean' | 'array';
  description: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  enum?: readonly string[];
  items?: { type?: string; pattern?: string; minimum?: number };
  maxItems?: number;
  pattern?: string;
  maxLength?: number;
  /** The CLI flag without its dashes (content-weight). */
  'x-flag': string;
  'x-group': string;
  'x-advanced'?: boolean;
  'x-list'?: boolean;
  /** Slider scale for wide positive ranges. */
  'x-log'?: boolean;
}

export interface ObjectSchema {
  type: 'object';
  properties: Record<string, OptionSchema>;
  additionalProperties: false;
  required?: string[];
}

const LAYER = '^(conv|relu)[1-5]_[1-4]$';

/**
 * What the studio adds to `ai-art style`'s schema (src/options/commands/style.ts): upper
 * bounds (sliders need a range, and a local server should not take a 100k-pixel job by
 * accident), log sliders for the cost weights, and file options narrowed to named choices.
 */
const STUDIO_LIMITS: Record<string, Partial<OptionSchema>> = {
  size: { maximum: 4096 },
  iterations: { maximum: 10000 },
  contentWeight: { maximum: 1e6, 'x-log': true },
  styleWeight: { maximum: 1e20, 'x-log': true },
  tvWeight: { maximum: 1e6, 'x-log': true },
  learningRate: { maximum: 100, 'x-log': true },
  lbfgsHistory: { maximum: 1000 },
  scales: { maximum: 8 },
  saveEvery: { maximum: 10000, description: 'frame every N evaluations (0: about 50 frames per run)' },
  tileSize: { maximum: 4096 },
  threads: { maximum: 256 },
  seed: { minimum: 0, maximum: 2 ** 31 - 1 },
  styleScale: { maximum: 8 },
  weights: { enum: ['auto', 'vgg19', 'random'], description: 'VGG-19 weights: pretrained when cached (auto), pretrained (vgg19) or seeded random' },
  init: { enum: ['content', 'noise'], description: 'starting image: the content picture or noise' },
  contentLayers: { items: { type: 'string', pattern: LAYER }, maxItems: 16 },
  styleLayers: { items: { type: 'string', pattern: LAYER }, maxItems: 16 },
  styleLayerWeights: { pattern: '^(equal|exp:[0-9.eE+-]+|[0-9.eE+-]+(,[0-9.eE+-]+)*)$', maxLength: 200 },
};

/** Set per style image in the studio (or not an option there): left out of the form. */
const NOT_IN_FORM = new Set(['output', 'styleBlendWeights']);

const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** A command's options as the studio takes them: its own schema, less `omit`, with the studio's `limits` laid over. */
function studioSchemaOf(command: { jsonSchema(): Record<string, unknown> }, omit: ReadonlySet<string>, limits: Record<string, Partial<OptionSchema>>): ObjectSchema {
  const base = command.jsonSchema() as { properties: Record<string, Record<string, unknown>> };
  const properties: Record<string, OptionSchema> = {};
  for (const [k, p] of Object.entries(base.properties)) {
    // Compatibility flags that do nothing have no place in a form.
    if (omit.has(k) || p['x-ignored'] !== undefined) continue;
    const o = { ...p, ...limits[k] } as unknown as OptionSchema;
    o['x-flag'] = (p['x-flag'] as string | undefined) ?? kebab(k);
    if (o.enum && !o.type) o.type = 'string';
    for (const x of ['x-path', 'x-metavar', 'x-aliases']) delete (o as unknown as Record<string, unknown>)[x];
    properties[k] = o;
  }
  // Every option may be left out of a request: its default (or derived value) applies.
  return { type: 'object', additionalProperties: false, properties };
}

/** `ai-art style`'s options as the studio takes them: the form's source and the request schema. */
export function studioStyleSchema(): ObjectSchema {
  return studioSchemaOf(styleCommand, NOT_IN_FORM, STUDIO_LIMITS);
}

/**
 * Training options the studio sets itself or does not offer: where data and runs live (a
 * dataset folder under the configured roots, a run folder under the studio's runs), which
 * checkpoint to load (Resume continues the run's own), and the model (the job's kind).
 */
const GAN_NOT_IN_FORM = new Set(['dataroot', 'name', 'checkpoints_dir', 'model', 'continue_train', 'epoch', 'load_iter', 'epoch_count', 'suffix', 'phase', 'verbose', 'no_html']);
const FAST_NOT_IN_FORM = new Set(['dataset', 'styleImage', 'saveModelDir', 'checkpointModelDir']);

/** Upper bounds for sliders and against a mistyped 10^6-epoch run; the commands have none. */
const TRAIN_LIMITS: Record<string, Partial<OptionSchema>> = {
  ngf: { maximum: 256 },
  ndf: { maximum: 256 },
  n_layers_D: { maximum: 8 },
  num_threads: { maximum: 64, 'x-advanced': true },
  batch_size: { maximum: 64 },
  load_size: { maximum: 2048 },
  crop_size: { maximum: 2048 },
  max_dataset_size: { maximum: 10_000_000 },
  display_winsize: { maximum: 2048 },
  display_freq: { maximum: 1_000_000 },
  update_html_freq: { maximum: 1_000_000 },
  print_freq: { maximum: 1_000_000 },
  save_latest_freq: { maximum: 10_000_000 },
  save_epoch_freq: { maximum: 10000 },
  n_epochs: { maximum: 10000 },
  n_epochs_decay: { maximum: 10000 },
  lr: { maximum: 1, 'x-log': true },
  pool_size: { maximum: 1000 },
  lr_decay_iters: { maximum: 10000 },
  lambda_A: { maximum: 1000 },
  lambda_B: { maximum: 1000 },
  lambda_identity: { maximum: 100 },
  lambda_L1: { maximum: 10000 },
  seed: { minimum: 0, maximum: 2 ** 31 - 1 },
  threads: { maximum: 256 },
  init_gain: { maximum: 10 },
  // fast train
  epochs: { maximum: 1000 },
  batchSize: { maximum: 64 },
  imageSize: { maximum: 1024 },
  styleSize: { maximum: 2048 },
  contentWeight: { maximum: 1e12, 'x-log': true },
  styleWeight: { maximum: 1e15, 'x-log': true },
  logInterval: { maximum: 1_000_000 },
  checkpointInterval: { maximum: 1_000_000 },
  iterations: { maximum: 10_000_000 },
  holdBack: { maximum: 64 },
  decodeThreads: { maximum: 64 },
  vgg: { enum: ['vgg16', 'vgg19', 'random'], description: 'loss network: torchvision VGG-16 (the references), VGG-19, or seeded random weights (offline)' },
};

export const CYCLEGAN_TRAIN_SCHEMA: ObjectSchema = studioSchemaOf(cycleganTrainCommand, GAN_NOT_IN_FORM, TRAIN_LIMITS);
export const PIX2PIX_TRAIN_SCHEMA: ObjectSchema = studioSchemaOf(pix2pixTrainCommand, GAN_NOT_IN_FORM, TRAIN_LIMITS);
export const FAST_TRAIN_SCHEMA: ObjectSchema = studioSchemaOf(fastTrainCommand, FAST_NOT_IN_FORM, TRAIN_LIMITS);

export const TRAIN_KINDS = ['cyclegan-train', 'pix2pix-train', 'fast-train'] as const;
export const TRAIN_SCHEMAS: Record<(typeof TRAIN_KINDS)[number], ObjectSchema> = {
  'cyclegan-train': CYCLEGAN_TRAIN_SCHEMA,
  'pix2pix-train': PIX2PIX_TRAIN_SCHEMA,
  'fast-train': FAST_TRAIN_SCHEMA,
};

export const STYLE_OPTIONS_SCHEMA: ObjectSchema = studioStyleSchema();

const UPLOAD_ID = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
/** A single path component: dataset and run folders are named, never given as paths. */
export const FOLDER_NAME = { type: 'string', pattern: '^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$' } as const;
/** A dataset folder: the index of a --datasets root and a folder directly under it. */
export const DATASET_REF = {
  type: 'object',
  additionalProperties: false,
  required: ['root', 'name'],
  properties: { root: { type: 'integer', minimum: 0, maximum: 99 }, name: FOLDER_NAME },
} as const;

/** POST /api/jobs */
export const JOB_REQUEST_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['kind'],
  properties: {
    kind: { type: 'string', enum: ['style', 'explore', ...TRAIN_KINDS] },
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
    train: {
      type: 'object',
      additionalProperties: false,
      required: ['dataset'],
      properties: {
        dataset: DATASET_REF,
        // The run folder's name under the studio's runs (default: the kind and the job id).
        name: FOLDER_NAME,
        styleImage: UPLOAD_ID,
        options: { type: 'object' },
      },
    },
  },
  // Each training kind's options are validated by that command's own schema.
  allOf: TRAIN_KINDS.map((k) => ({
    if: { required: ['kind'], properties: { kind: { const: k } } },
    then: { properties: { train: { type: 'object', properties: { options: TRAIN_SCHEMAS[k] } } } },
  })),
} as const;

export const ID_PARAMS = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[0-9a-z-]{1,64}$' } },
} as const;
