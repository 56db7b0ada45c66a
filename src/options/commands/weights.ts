/** `ai-art models` and `ai-art export`: the weights hub and ONNX export. */
import { NET_D } from '../../models/define.js';
import { NORM_TYPES } from '../../models/norm_layer.js';
import { defineCommand } from '../command.js';
import { asWritten, opt, options } from '../schema.js';

export const modelsCommand = defineCommand({
  name: 'models',
  summary: 'Pretrained weights: torchvision VGG-19 and the official CycleGAN/pix2pix zoos.',
  usage: 'ai-art models list | pull NAME | import FILE [--as NAME] | path NAME',
  positionals: [
    { name: 'list|pull|import|path', help: 'what to do' },
    { name: 'NAME|FILE', help: 'the model (pull, path) or file (import)', optional: true },
  ],
  options: options({
    as: opt.string({ help: 'import: the name to register the file under' }),
    sha256: opt.string({ help: 'pull/import: expected sha256 (or a prefix of at least 8 hex digits)' }),
    force: opt.bool({ help: 'pull: download again even when a verified copy is present' }),
    timeout: opt.number({ default: 30, exclusiveMinimum: 0, help: 'pull: seconds without data before giving up' }),
  }),
  cliFlags: ['json'],
});

export const exportCommand = defineCommand({
  name: 'export',
  summary: 'Write a network as a standalone ONNX model that plain onnxruntime runs.',
  usage: 'ai-art export onnx MODEL -o FILE.onnx [--size HxW]   (MODEL: vgg19, vgg19-random, a zoo name or a .pth)',
  positionals: [
    { name: 'onnx', help: 'the format' },
    { name: 'MODEL', help: 'vgg19, vgg19-random, a zoo name or a .pth checkpoint' },
  ],
  options: options(
    asWritten({
      output: opt.string({ required: true, help: 'the .onnx file to write', aliases: ['o'], metavar: 'FILE', path: 'output' }),
      size: opt.string({ default: '256', pattern: '^\\d+(x\\d+)?$', help: 'input size HxW (or N for NxN)', metavar: 'HxW' }),
      upto: opt.string({ default: 'relu5_4', help: 'VGG-19: last layer to keep' }),
      netD: opt.choice(NET_D, { help: 'discriminator checkpoints: the architecture', aliases: ['netd'] }),
      n_layers_D: opt.int({ default: 3, minimum: 1, help: 'discriminator: layers for n_layers' }),
      norm: opt.choice(NORM_TYPES, { help: 'network normalisation (generators: inferred)' }),
      batchStats: opt.bool({ flag: 'batch-stats', help: 'batch norm with batch statistics (the official test without --eval)' }),
    }),
  ),
});
