/** `ai-art fast train`: pytorch/examples fast_neural_style's `neural_style.py train` flags, kebab-case as there. */
import { defineCommand, type InputOf, type OptionsOf } from '../command.js';
import { OptionError } from '../errors.js';
import { opt, options } from '../schema.js';

const G = { data: 'data', loss: 'loss', train: 'training', save: 'saving', perf: 'performance' };

export const TRANSFORMER_WIDTHS = ['full', 'half'] as const;

export const fastTrainCommand = defineCommand({
  name: 'fast train',
  summary: 'Train a fast style transfer network (TransformerNet) for one style, as pytorch/examples fast_neural_style.',
  usage: 'ai-art fast train --dataset DIR --style-image FILE --save-model-dir DIR [options]',
  description:
    'Content on VGG-16 relu2_2, style (Gram matrices) on relu1_2, relu2_2, relu3_3, relu4_3, Adam. A run whose checkpoint folder holds a checkpoint resumes from it exactly; Ctrl-C saves one first (exit code 130). See docs/fast-train.md.',
  options: options({
    dataset: opt.string({ required: true, metavar: 'DIR', path: 'dir', help: 'folder tree of training pictures (COCO 2014 train in the references)', group: G.data }),
    styleImage: opt.string({ required: true, metavar: 'FILE', path: 'image', help: 'the style picture', group: G.data }),
    saveModelDir: opt.string({ required: true, metavar: 'DIR', path: 'dir', help: 'where the trained model (STYLE.pth) goes', group: G.save }),
    checkpointModelDir: opt.string({ metavar: 'DIR', path: 'dir', help: 'checkpoints, loss log and plot, sample grids; a run resumes from here (default: SAVE_MODEL_DIR/checkpoints)', group: G.save }),
    epochs: opt.int({ default: 2, minimum: 1, help: 'passes over the dataset', group: G.train }),
    batchSize: opt.int({ default: 4, minimum: 1, help: 'pictures per step', group: G.train }),
    imageSize: opt.int({ default: 256, minimum: 16, help: 'training pictures are resized and center-cropped to this square', group: G.data }),
    styleSize: opt.int({ minimum: 16, metavar: 'N', help: 'resize the style picture to N x N (default: its own size)', group: G.data }),
    contentWeight: opt.number({ default: 1e5, exclusiveMinimum: 0, help: 'weight of the content (feature reconstruction) loss', group: G.loss }),
    styleWeight: opt.number({ default: 1e10, exclusiveMinimum: 0, help: 'weight of the style (Gram) loss', group: G.loss }),
    lr: opt.number({ default: 1e-3, exclusiveMinimum: 0, help: 'Adam learning rate', group: G.train }),
    logInterval: opt.int({ default: 500, minimum: 1, help: 'batches between loss lines', group: G.save }),
    checkpointInterval: opt.int({ default: 2000, minimum: 1, help: 'batches between checkpoints', group: G.save }),
    seed: opt.int({ default: 42, help: 'seeds the network initialisation (and random VGG weights)', group: G.train }),
    vgg: opt.string({ default: 'vgg16', metavar: 'vgg16|vgg19|random|FILE', path: 'model', help: 'loss network: torchvision VGG-16 (the references), VGG-19, seeded random weights (offline) or a .pth', group: G.loss }),
    width: opt.choice(TRANSFORMER_WIDTHS, { default: 'full', help: 'TransformerNet width: full (32-64-128) or half (16-32-64, several times cheaper)', group: G.train }),
    iterations: opt.int({ minimum: 1, metavar: 'N', help: 'stop after N steps in all (default: all epochs)', group: G.train }),
    holdBack: opt.int({ default: 4, minimum: 0, help: 'pictures at the end of the dataset kept out of training for sample grids and held-back costs', group: G.data, advanced: true }),
    decodeThreads: opt.int({ default: 1, minimum: 0, help: 'worker threads decoding pictures (0: on the main thread)', group: G.perf, advanced: true }),
    threads: opt.int({ minimum: 1, help: 'ONNX Runtime threads (default: all cores)', group: G.perf, advanced: true }),
  }),
  cliFlags: ['json', 'quiet'],
  groups: Object.values(G),
  check: (o) => {
    if (o.vgg === '') throw new OptionError('--vgg must name vgg16, vgg19, random or a .pth file', 'vgg');
  },
});
export type FastTrainOptions = OptionsOf<typeof fastTrainCommand>;
export type FastTrainInput = InputOf<typeof fastTrainCommand> & Pick<FastTrainOptions, 'dataset' | 'styleImage' | 'saveModelDir'>;
