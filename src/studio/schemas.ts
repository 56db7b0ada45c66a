/**
 * JSON Schemas the studio validates requests with and generates its forms from. The style
 * options are `ai-art style`'s own declaration (src/options), per option: `description`
 * (help), `x-flag`, `x-group`, `x-advanced`. Options that would read arbitrary server files
 * (--weights FILE, --init FILE) are narrowed to their named choices: the studio reads files
 * only from its own uploads.
 */
import { styleCommand } from '../options/commands/style.js';

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

/** `ai-art style`'s options as the studio takes them: the form's source and the request schema. */
export function studioStyleSchema(): ObjectSchema {
  const base = styleCommand.jsonSchema() as { properties: Record<string, Record<string, unknown>> };
  const properties: Record<string, OptionSchema> = {};
  for (const [k, p] of Object.entries(base.properties)) {
    if (NOT_IN_FORM.has(k)) continue;
    const o = { ...p, ...STUDIO_LIMITS[k] } as unknown as OptionSchema;
    o['x-flag'] = (p['x-flag'] as string | undefined) ?? kebab(k);
    if (o.enum && !o.type) o.type = 'string';
    delete (o as unknown as Record<string, unknown>)['x-path'];
    delete (o as unknown as Record<string, unknown>)['x-metavar'];
    properties[k] = o;
  }
  // Every option may be left out of a request: its default (or derived value) applies.
  return { type: 'object', additionalProperties: false, properties };
}

export const STYLE_OPTIONS_SCHEMA: ObjectSchema = studioStyleSchema();

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
