/**
 * The named pretrained weights ai-art knows: torchvision's VGG-19 and the official
 * CycleGAN and pix2pix model zoos, each with the network it needs.
 *
 * Hashes: torchvision publishes the first 8 hex digits of each file's sha256 in
 * its name (vgg19-dcbb9e9d.pth), and that prefix is checked. The CycleGAN/pix2pix
 * zoos publish no hashes (and serve over plain HTTP), so those files are trusted
 * on first use: the sha256 of the first good download is recorded and every later
 * download or import of the same name must match it. A user who knows the hash can
 * pin it in advance (pull/import with `sha256`).
 */

export type GeneratorNet = 'resnet_9blocks' | 'unet_256';

export interface GeneratorArch {
  kind: 'cyclegan' | 'pix2pix';
  netG: GeneratorNet;
  ngf: number;
  norm: 'instance' | 'batch';
  /** Whether the network was built with dropout layers (they hold no weights). */
  dropout: boolean;
  inputNc: number;
  outputNc: number;
}

export interface Vgg19Arch {
  /** torchvision's VGG features (the classifier is never read). */
  kind: 'vgg19' | 'vgg16';
}

/** pytorch/examples' TransformerNet (fast style transfer), input and output RGB in 0-255. */
export interface TransformerNetArch {
  kind: 'transformer_net';
  width: 'full' | 'half';
}

/** An ONNX model with one NCHW RGB image input and one image output, values in 0-255 or 0-1. */
export interface OnnxImageArch {
  kind: 'onnx_image';
  valueRange: 255 | 1;
}

export type Architecture = GeneratorArch | Vgg19Arch | TransformerNetArch | OnnxImageArch;

export interface HubEntry {
  /** Canonical name: 'vgg19', 'cyclegan/horse2zebra', 'pix2pix/edges2shoes'. */
  name: string;
  /** Other accepted names (the bare zoo name when only one zoo has it). */
  aliases: readonly string[];
  url: string;
  /** File name on the server and in the cache. */
  fileName: string;
  /** Folder inside the cache directory (keeps the zoos' equal file names apart). */
  cacheSubdir: string;
  /** Leading hex digits of the sha256 the publisher states. */
  sha256Prefix?: string;
  /** A full sha256 known in advance. */
  sha256?: string;
  /** Approximate size, for listings before the file is here. */
  approxBytes: number;
  arch: Architecture;
  description: string;
  /** Also look for the file in PyTorch's hub cache (torchvision downloads land there). */
  inTorchHub: boolean;
  /**
   * A key and shape every genuine copy has, checked on download and import; for an ONNX file,
   * a graph input and its declared shape.
   */
  probe: { key: string; shape: readonly number[] };
  /** The file's format (default pth). */
  format?: 'pth' | 'onnx';
  /** `url` is a zip holding this file as `member`; the zip is kept in cacheSubdir as `fileName`. */
  archive?: { fileName: string; member: string };
}

const CYCLEGAN_BASE = 'http://efrosgans.eecs.berkeley.edu/cyclegan/pretrained_models/';
const PIX2PIX_BASE = 'http://efrosgans.eecs.berkeley.edu/pix2pix/models-pytorch/';

/** CycleGAN zoo: G_A only, resnet_9blocks, ngf 64, instance norm, trained with --no_dropout. */
const CYCLEGAN: readonly [string, string][] = [
  ['apple2orange', 'apples to oranges'],
  ['orange2apple', 'oranges to apples'],
  ['summer2winter_yosemite', 'Yosemite summer to winter'],
  ['winter2summer_yosemite', 'Yosemite winter to summer'],
  ['horse2zebra', 'horses to zebras'],
  ['zebra2horse', 'zebras to horses'],
  ['monet2photo', 'Monet paintings to photos'],
  ['style_monet', 'photos to Monet style'],
  ['style_cezanne', 'photos to Cezanne style'],
  ['style_ukiyoe', 'photos to Ukiyo-e style'],
  ['style_vangogh', 'photos to Van Gogh style'],
  ['sat2map', 'satellite images to maps'],
  ['map2sat', 'maps to satellite images'],
  ['cityscapes_photo2label', 'Cityscapes photos to label maps'],
  ['cityscapes_label2photo', 'Cityscapes label maps to photos'],
  ['facades_photo2label', 'facade photos to label maps'],
  ['facades_label2photo', 'facade label maps to photos'],
  ['iphone2dslr_flower', 'iPhone flower photos to DSLR shallow depth of field'],
];

/** pix2pix zoo: unet_256, ngf 64, batch norm, with dropout. */
const PIX2PIX: readonly [string, string][] = [
  ['edges2shoes', 'edge maps to shoe photos'],
  ['sat2map', 'satellite images to maps'],
  ['map2sat', 'maps to satellite images'],
  ['facades_label2photo', 'facade label maps to photos'],
  ['day2night', 'daytime to night-time scenes'],
];

function zoo(
  kind: 'cyclegan' | 'pix2pix',
  list: readonly [string, string][],
  others: readonly [string, string][],
): HubEntry[] {
  const otherNames = new Set(others.map(([n]) => n));
  return list.map(([n, what]) => ({
    name: `${kind}/${n}`,
    aliases: otherNames.has(n) ? [] : [n],
    url: (kind === 'cyclegan' ? CYCLEGAN_BASE : PIX2PIX_BASE) + `${n}.pth`,
    fileName: `${n}.pth`,
    cacheSubdir: kind,
    approxBytes: kind === 'cyclegan' ? 45_600_000 : 217_700_000,
    arch:
      kind === 'cyclegan'
        ? { kind, netG: 'resnet_9blocks', ngf: 64, norm: 'instance', dropout: false, inputNc: 3, outputNc: 3 }
        : { kind, netG: 'unet_256', ngf: 64, norm: 'batch', dropout: true, inputNc: 3, outputNc: 3 },
    description: `${kind === 'cyclegan' ? 'CycleGAN' : 'pix2pix'}: ${what}`,
    inTorchHub: false,
    probe:
      kind === 'cyclegan'
        ? { key: 'model.1.weight', shape: [64, 3, 7, 7] }
        : { key: 'model.model.0.weight', shape: [64, 3, 4, 4] },
  }));
}

/** pytorch/examples fast_neural_style/download_saved_models.py's zip of four TransformerNet checkpoints. */
const FAST_NEURAL_STYLE_ZIP = 'https://www.dropbox.com/s/lrvwfehqdcxoza8/saved_models.zip?dl=1';

function fastNeuralStyle(): HubEntry[] {
  return [
    ['mosaic', 'mosaic'],
    ['candy', 'candy'],
    ['rain_princess', 'Rain Princess (Leonid Afremov)'],
    ['udnie', 'Udnie (Francis Picabia)'],
  ].map(([n, what]) => ({
    name: `fast/${n}`,
    aliases: [n],
    url: FAST_NEURAL_STYLE_ZIP,
    fileName: `${n}.pth`,
    cacheSubdir: 'fast_neural_style',
    archive: { fileName: 'saved_models.zip', member: `saved_models/${n}.pth` },
    approxBytes: 6_700_000,
    arch: { kind: 'transformer_net', width: 'full' },
    description: `fast style transfer (pytorch/examples TransformerNet): ${what}`,
    inTorchHub: false,
    probe: { key: 'conv1.conv2d.weight', shape: [32, 3, 9, 9] },
  }));
}

const ONNX_ZOO_STYLE = 'https://github.com/onnx/models/raw/main/validated/vision/style_transfer/fast_neural_style/model/';

/** The ONNX zoo's opset-9 exports of the same networks (and pointilism), 1x3x224x224 declared, 0-255. */
function onnxZooStyle(): HubEntry[] {
  // sha256 from the Git LFS pointers in onnx/models (validated/vision/style_transfer/fast_neural_style/model).
  const models: [string, string, string][] = [
    ['mosaic-9', 'fa646dedade881243f8d5a2ceb7de2b93675b21fc24f7482894ac4851a9a0a47', 'mosaic'],
    ['candy-9', '9d11a3529d1e547da6ae07201d93484dbab2ec0a3614535752c8f40f0fe2968a', 'candy'],
    ['rain-princess-9', '4162912e6f75fedef6f810ae989b9e10d3d5d43308dab34b027c850cf255e152', 'Rain Princess'],
    ['udnie-9', '8656b6ce7dec8f22ee13c2d557d6b67bd6f550dde88d0f2e7c9972aeb765cc0d', 'Udnie'],
    ['pointilism-9', '5ee2b8d4d6bc60a777f54e0fe96a1b717360a004b79d56c67390d4a975b14d98', 'pointillism'],
  ];
  return models.map(([n, sha256, what]) => ({
    name: `onnx-zoo/${n}`,
    aliases: n === 'pointilism-9' ? [n, 'pointilism'] : [n],
    url: `${ONNX_ZOO_STYLE}${n}.onnx`,
    fileName: `${n}.onnx`,
    cacheSubdir: 'onnx_zoo',
    sha256,
    approxBytes: 6_728_029,
    arch: { kind: 'onnx_image', valueRange: 255 },
    description: `fast style transfer (ONNX model zoo, opset 9): ${what}`,
    inTorchHub: false,
    probe: { key: 'input1', shape: [1, 3, 224, 224] },
    format: 'onnx',
  }));
}

export const REGISTRY: readonly HubEntry[] = [
  {
    name: 'vgg19',
    aliases: ['vgg19-dcbb9e9d'],
    url: 'https://download.pytorch.org/models/vgg19-dcbb9e9d.pth',
    fileName: 'vgg19-dcbb9e9d.pth',
    cacheSubdir: 'torchvision',
    sha256Prefix: 'dcbb9e9d',
    approxBytes: 574_673_361,
    arch: { kind: 'vgg19' },
    description: 'torchvision VGG-19 (ImageNet), for neural style transfer',
    inTorchHub: true,
    probe: { key: 'features.0.weight', shape: [64, 3, 3, 3] },
  },
  {
    name: 'vgg16',
    aliases: ['vgg16-397923af'],
    url: 'https://download.pytorch.org/models/vgg16-397923af.pth',
    fileName: 'vgg16-397923af.pth',
    cacheSubdir: 'torchvision',
    sha256Prefix: '397923af',
    approxBytes: 553_433_881,
    arch: { kind: 'vgg16' },
    description: 'torchvision VGG-16 (ImageNet), the loss network of fast style transfer',
    inTorchHub: true,
    // conv4_1: in VGG-19 index 17 is a ReLU, so this tells the two apart.
    probe: { key: 'features.17.weight', shape: [512, 256, 3, 3] },
  },
  ...zoo('cyclegan', CYCLEGAN, PIX2PIX),
  ...zoo('pix2pix', PIX2PIX, CYCLEGAN),
  ...fastNeuralStyle(),
  ...onnxZooStyle(),
];

