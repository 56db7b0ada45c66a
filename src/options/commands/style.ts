/** `ai-art style`, `ai-art explore` and `ai-art demo`: names as jcjohnson/neural-style, in kebab-case. */
import { POOLINGS } from '../../models/vgg19.js';
import { OPTIMIZERS, PRESET_NAMES } from '../../style/presets.js';
import { checkLayerChoices } from '../../style/layers.js';
import { COLOR_CONTROLS } from '../../style/color_control.js';
import { MASK_PROPAGATIONS } from '../../style/regions.js';
import { defineCommand, type OptionsOf } from '../command.js';
import { opt, options } from '../schema.js';
import { OptionError } from '../errors.js';
import type { Static } from 'typebox';

const G = { output: 'output', costs: 'costs', layers: 'layers', optim: 'optimiser', images: 'images', network: 'network', perf: 'performance', control: 'control (Gatys et al. 2017)' };

export const styleOptions = options({
  output: opt.string({ help: 'output image (.png, .jpg, .webp); its folder must exist', aliases: ['o', 'output_image'], metavar: 'FILE', path: 'output', group: G.output }),
  size: opt.int({ default: 512, minimum: 16, help: 'longest side of the output in pixels', aliases: ['image_size'], group: G.output }),
  iterations: opt.int({ default: 500, minimum: 1, help: 'cost evaluations (split over scales)', aliases: ['num_iterations'], group: G.optim }),
  preset: opt.choice(PRESET_NAMES, { default: 'seed', help: 'layer preset (seed: content conv3_2, style conv1_1..conv5_1 with exp:0.0625; gatys: content relu4_2, equal relu1_1..relu5_1); explicit flags override it', group: G.layers }),
  contentWeight: opt.number({ default: 1, minimum: 0, help: 'α, weight of J_content', aliases: ['alpha'], group: G.costs }),
  styleWeight: opt.number({ minimum: 0, help: 'β, weight of J_style (default: chosen per size for normalised layers, 1e3 otherwise)', aliases: ['beta'], group: G.costs }),
  tvWeight: opt.number({ default: 0, minimum: 0, help: 'γ, weight of J_tv', aliases: ['gamma'], group: G.costs }),
  contentLayers: opt.strings({ help: 'VGG-19 layers for J_content (conv1_1..conv5_4, relu1_1..relu5_4; default: from the preset)', group: G.layers }),
  styleLayers: opt.strings({ help: 'VGG-19 layers for J_style (default: from the preset)', group: G.layers }),
  styleLayerWeights: opt.string({ help: 'per-layer λ: equal | exp:R (each deeper layer times R) | w1,w2,... (default: from the preset)', metavar: 'equal|exp:R|W,...', group: G.layers }),
  normalizeLayers: opt.maybeBool({ help: 'divide each layer cost by its target mean square (default: on for random weights)', group: G.costs, advanced: true }),
  styleBlendWeights: opt.numbers({ minimum: 0, help: 'weights of several style images (default: equal)', group: G.images }),
  styleScale: opt.number({ default: 1, exclusiveMinimum: 0, help: 'style image size relative to the output', group: G.images }),
  originalColors: opt.bool({ help: "keep the content's colours (transfer luminance only); the same as --color-control luminance", group: G.images }),
  contentMask: opt.string({ help: 'colour mask splitting the output into regions, each styled by its own style image (see --region-styles)', metavar: 'FILE', path: 'image', group: G.control }),
  styleMasks: opt.strings({ help: "one mask per style image: the region of a style image drawn from is its mask's pixels of the region's colour", path: 'images', group: G.control }),
  regionStyles: opt.string({ help: "which style image styles which mask colour, N 1-based (default: the mask's colours in reading order take the style images in order)", metavar: 'COLOR=N,...', group: G.control }),
  maskPropagation: opt.choice(MASK_PROPAGATIONS, { default: 'resize', help: "masks at each layer: resize (average over each position's cell) or inside (only positions whose receptive field lies inside the region)", group: G.control }),
  colorControl: opt.choice(COLOR_CONTROLS, { help: "luminance: transfer luminance only, keep the content's colours; histogram: match each style image's colour mean and covariance to the content's first; histogram-full: then each channel's full histogram too (default: none)", group: G.control }),
  styleLayersPerImage: opt.string({ help: 'one style layer list per style image, separated by ";" (e.g. fine strokes from one image, coarse structure from another); replaces --style-layers', metavar: 'L,...;L,...', group: G.control }),
  keepCoarse: opt.bool({ help: "with --scales: each finer scale's content target is the previous scale's result, upsampled, as is its start (keeps the coarse stylisation's structure while finer strokes are added) instead of the content image", group: G.control }),
  init: opt.string({ default: 'content', help: 'starting image: content | noise | FILE', metavar: 'content|noise|FILE', group: G.optim }),
  optimizer: opt.choice(OPTIMIZERS, { default: 'lbfgs', help: 'L-BFGS as torch.optim.LBFGS (no line search), or Adam', group: G.optim }),
  learningRate: opt.number({ minimum: 0, help: 'step size (default: 1 for L-BFGS, 0.02 for Adam on [0,1] pixels)', aliases: ['lr'], group: G.optim }),
  keepInRange: opt.bool({ help: 'experimental: keep every iterate within [0, 1] (projected L-BFGS: directions stop at the box, steps are clipped to it) instead of clamping only the result', group: G.optim, advanced: true }),
  tolerance: opt.number({ default: 0, minimum: 0, help: 'stop a scale early when the cost fell by less than this fraction over its last 10 evaluations (0: never)', group: G.optim }),
  lbfgsHistory: opt.int({ minimum: 1, help: 'L-BFGS history size (default: 100 pairs, fewer where they would take more than 1 GB: 56 at 1024x768, 14 at 2048x1536)', aliases: ['lbfgs_num_correction'], group: G.optim, advanced: true }),
  scales: opt.int({ minimum: 1, help: 'coarse-to-fine scales, most iterations at low resolution (default: 1 up to 1024 px, else from about 512 px)', group: G.optim }),
  weights: opt.string({ default: 'auto', help: 'VGG-19 weights: auto | vgg19 | random | FILE.pth', metavar: 'auto|vgg19|random|FILE', path: 'model', group: G.network }),
  pooling: opt.choice(POOLINGS, { help: 'VGG pooling (default: avg for random weights, max for pretrained)', group: G.network, advanced: true }),
  seed: opt.int({ default: 0, help: 'random seed (noise init, random weights)', group: G.network }),
  saveEvery: opt.int({ default: 0, minimum: 0, help: 'write an intermediate frame every N evaluations', aliases: ['save_iter'], group: G.output }),
  tileSize: opt.int({ default: 1024, minimum: 64, help: 'above this many pixels squared, evaluate in overlapping windows of at most that size (exact; bounds memory)', group: G.perf, advanced: true }),
  threads: opt.int({ minimum: 1, help: 'compute threads (default: all cores)', group: G.perf, advanced: true }),
});

/** Rules across options; those needing the number of style images are checked by stylize(). */
function checkStyleOptions(o: Static<typeof styleOptions>): void {
  checkLayerChoices(o);
  if (o.originalColors && o.colorControl !== undefined && o.colorControl !== 'luminance') {
    throw new OptionError(`--original-colors is --color-control luminance; it cannot be combined with --color-control ${o.colorControl}`, 'colorControl');
  }
  if (!o.contentMask) {
    if (o.regionStyles !== undefined) throw new OptionError('--region-styles needs --content-mask', 'regionStyles');
    if (o.styleMasks !== undefined) throw new OptionError('--style-masks needs --content-mask', 'styleMasks');
  }
}

export const styleCommand = defineCommand({
  name: 'style',
  summary: 'Neural style transfer (Gatys et al.) on VGG-19.',
  usage: 'ai-art style CONTENT STYLE [STYLE...] -o OUT [options]',
  description:
    'Optimises an image G so that J(G) = α·J_content + β·J_style + γ·J_tv on VGG-19 features. Ctrl-C stops after the current step and saves the last frame (exit code 130).',
  positionals: [
    { name: 'CONTENT', help: 'the picture to restyle' },
    { name: 'STYLE...', help: 'one or more style pictures (blended with --style-blend-weights)', variadic: true },
  ],
  options: styleOptions,
  cliFlags: ['json', 'quiet'],
  groups: Object.values(G),
  check: checkStyleOptions,
});
export type StyleOptions = OptionsOf<typeof styleCommand>;

export const EXPLORE_LAYERS = ['conv2_2', 'conv3_1', 'conv3_2', 'conv4_1', 'conv4_3', 'conv4_4', 'conv5_1', 'conv5_4'];

export const exploreCommand = defineCommand({
  name: 'explore',
  summary: "The seed's per-layer experiments, laid out as a labelled contact sheet.",
  usage: 'ai-art explore strokes STYLE | content CONTENT [--layers L1,L2,...] -o sheet.png',
  description:
    'strokes: for each layer alone, style cost only, starting from noise: the "brush strokes" that layer learned. content: content cost only, per layer, to see which layer reconstructs and which abstracts.',
  positionals: [
    { name: 'strokes|content', help: 'which experiment' },
    { name: 'IMAGE', help: 'the style (strokes) or content (content) picture' },
  ],
  options: options({
    layers: opt.strings({ default: EXPLORE_LAYERS, help: 'VGG-19 layers, one picture each' }),
    output: opt.string({ default: 'sheet.png', help: 'contact sheet (.png)', aliases: ['o'], path: 'output' }),
    size: opt.int({ default: 128, minimum: 16, help: 'longest side of each picture' }),
    iterations: opt.int({ default: 100, minimum: 1, help: 'L-BFGS evaluations per layer' }),
    weights: opt.string({ default: 'auto', help: 'VGG-19 weights: auto | vgg19 | random | FILE.pth', path: 'model' }),
    seed: opt.int({ default: 0, help: 'noise seed' }),
  }),
  cliFlags: ['quiet'],
});
export type ExploreOptions = OptionsOf<typeof exploreCommand>;

export const demoCommand = defineCommand({
  name: 'demo',
  summary: 'Style transfer on built-in pictures, offline (the quick start).',
  usage: 'ai-art demo [-o DIR] [--size N] [--iterations N]',
  description: 'Draws a landscape and two style pictures, stylises the landscape with each on a seeded random VGG-19, and writes the results and a contact sheet.',
  options: options({
    output: opt.string({ default: 'ai-art-demo', help: 'output folder', aliases: ['o'], path: 'dir' }),
    size: opt.int({ default: 160, minimum: 16, help: 'longest side of the results' }),
    iterations: opt.int({ default: 100, minimum: 1, help: 'L-BFGS evaluations per style' }),
  }),
  cliFlags: ['json', 'quiet'],
});
