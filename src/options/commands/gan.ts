/**
 * `ai-art cyclegan|pix2pix train|test`, `translate` and `combine`: the official
 * junyanz/pytorch-CycleGAN-and-pix2pix options (options/base_options.py, train_options.py,
 * test_options.py and each model's modify_commandline_options), with their names, defaults and
 * help. Each is accepted as written there (`--lambda_A`) and in kebab-case; a few pre-2019
 * spellings (`--niter`, `--which_epoch`) are aliases so old command lines keep working.
 */
import { DATASET_MODES } from '../../gan/data/dataset.js';
import { PREPROCESS } from '../../gan/data/transform.js';
import { GAN_MODES } from '../../gan/losses.js';
import { LR_POLICIES } from '../../gan/schedule.js';
import { NET_D, NET_G } from '../../models/define.js';
import { INIT_TYPES } from '../../models/init.js';
import { NORM_TYPES } from '../../models/norm_layer.js';
import { defineCommand } from '../command.js';
import { asWritten, opt, options, type TProperties, type TSchema } from '../schema.js';

export const GAN_MODELS = ['cycle_gan', 'pix2pix', 'test'] as const;
export type GanModel = (typeof GAN_MODELS)[number];
export type GanPhaseKind = 'train' | 'test';

const IGNORED_DISPLAY = 'there is no visdom display; see web/index.html under the checkpoint folder';
const compat = (why: string) => ({ help: 'accepted for compatibility; ignored', ignored: why, group: 'compatibility (ignored)', advanced: true });

const G = { data: 'data', net: 'networks', train: 'training', save: 'saving and display', test: 'testing', extra: 'ai-art additions' };

/** base_options.py */
export const BASE = asWritten({
  dataroot: opt.string({ help: 'path to images (should have subfolders trainA, trainB, valA, valB, etc)', metavar: 'DIR', path: 'dir', group: G.data }),
  name: opt.string({ default: 'experiment_name', help: 'name of the experiment. It decides where to store samples and models', group: G.data }),
  gpu_ids: opt.string({ default: '0', ...compat('ai-art runs on the CPU through ONNX Runtime'), help: 'accepted for compatibility; ai-art runs on the CPU' }),
  checkpoints_dir: opt.string({ default: './checkpoints', help: 'models are saved here', metavar: 'DIR', path: 'dir', group: G.data }),
  model: opt.choice(['cycle_gan', 'cyclegan', 'pix2pix', 'test'], { default: 'cycle_gan', help: 'chooses which model to use', group: G.net }),
  input_nc: opt.int({ default: 3, minimum: 1, maximum: 3, help: '# of input image channels: 3 for RGB and 1 for grayscale', group: G.net }),
  output_nc: opt.int({ default: 3, minimum: 1, maximum: 3, help: '# of output image channels: 3 for RGB and 1 for grayscale', group: G.net }),
  ngf: opt.int({ default: 64, minimum: 1, help: '# of gen filters in the last conv layer', group: G.net }),
  ndf: opt.int({ default: 64, minimum: 1, help: '# of discrim filters in the first conv layer', group: G.net }),
  netD: opt.choice(NET_D, { default: 'basic', aliases: ['which_model_netD'], help: 'discriminator architecture; basic is a 70x70 PatchGAN', group: G.net }),
  netG: opt.choice(NET_G, { default: 'resnet_9blocks', aliases: ['which_model_netG'], help: 'generator architecture', group: G.net }),
  n_layers_D: opt.int({ default: 3, minimum: 1, help: 'only used if netD==n_layers', group: G.net }),
  norm: opt.choice(NORM_TYPES, { default: 'instance', help: 'instance normalization or batch normalization', group: G.net }),
  init_type: opt.choice(INIT_TYPES, { default: 'normal', help: 'network initialization', group: G.net }),
  init_gain: opt.number({ default: 0.02, exclusiveMinimum: 0, help: 'scaling factor for normal, xavier and orthogonal.', group: G.net }),
  no_dropout: opt.bool({ help: 'no dropout for the generator', group: G.net }),
  dataset_mode: opt.choice(DATASET_MODES, { default: 'unaligned', help: 'chooses how datasets are loaded', group: G.data }),
  direction: opt.choice(['AtoB', 'BtoA'], { default: 'AtoB', aliases: ['which_direction'], help: 'AtoB or BtoA', group: G.data }),
  serial_batches: opt.bool({ help: 'if true, takes images in order to make batches, otherwise takes them randomly', group: G.data }),
  num_threads: opt.int({ default: 4, minimum: 0, aliases: ['nThreads'], help: '# of worker threads decoding and augmenting images (0: on the main thread)', group: G.data }),
  batch_size: opt.int({ default: 1, minimum: 1, aliases: ['batchSize'], help: 'input batch size', group: G.data }),
  load_size: opt.int({ default: 286, minimum: 1, aliases: ['loadSize'], help: 'scale images to this size', group: G.data }),
  crop_size: opt.int({ default: 256, minimum: 1, aliases: ['fineSize'], help: 'then crop to this size', group: G.data }),
  max_dataset_size: opt.int({ minimum: 1, help: 'maximum number of samples allowed per dataset (default: all)', group: G.data }),
  preprocess: opt.choice(PREPROCESS, { default: 'resize_and_crop', aliases: ['resize_or_crop'], help: 'scaling and cropping of images at load time', group: G.data }),
  no_flip: opt.bool({ help: 'if specified, do not flip the images for data augmentation', group: G.data }),
  display_winsize: opt.int({ default: 256, minimum: 1, help: 'display window size for both visdom and HTML', group: G.save }),
  epoch: opt.string({ default: 'latest', aliases: ['which_epoch'], help: 'which epoch to load? set to latest to use latest cached model', group: G.save }),
  load_iter: opt.int({ default: 0, minimum: 0, help: 'which iteration to load? if load_iter > 0, models are loaded by iter_[load_iter]; otherwise by [epoch]', group: G.save }),
  verbose: opt.bool({ help: 'if specified, print more debugging information', group: G.save }),
  suffix: opt.string({ default: '', help: 'customized suffix: opt.name = opt.name + suffix: e.g., {model}_{netG}_size{load_size}', group: G.save }),
  use_wandb: opt.bool(compat('there is no wandb logging; losses go to loss_log.jsonl')),
  wandb_project_name: opt.string({ default: 'CycleGAN-and-pix2pix', ...compat('there is no wandb logging') }),
  seed: opt.int({ default: 0, help: 'seed for data order, augmentation, image pool, init and dropout (ai-art addition)', group: G.extra }),
  strict: opt.bool({ help: 'stop at an unreadable image instead of skipping it with a warning (ai-art addition)', group: G.extra }),
});

/** Not an option of the reference's runs (so not in opt.txt): how this machine runs them. */
export const RUNTIME = asWritten({
  threads: opt.int({ minimum: 1, help: 'ONNX Runtime threads per session (default: all cores)', group: G.extra }),
});

/** train_options.py */
export const TRAIN = asWritten({
  display_freq: opt.int({ default: 400, minimum: 1, help: 'frequency (in images) of saving training results to web/', group: G.save }),
  display_ncols: opt.int({ default: 4, ...compat(IGNORED_DISPLAY) }),
  display_id: opt.int({ default: 1, ...compat(IGNORED_DISPLAY) }),
  display_server: opt.string({ default: 'http://localhost', ...compat(IGNORED_DISPLAY) }),
  display_env: opt.string({ default: 'main', ...compat(IGNORED_DISPLAY) }),
  display_port: opt.int({ default: 8097, ...compat(IGNORED_DISPLAY) }),
  update_html_freq: opt.int({ default: 1000, minimum: 1, help: 'frequency of saving training results to html', group: G.save }),
  print_freq: opt.int({ default: 100, minimum: 1, help: 'frequency of showing training results on console', group: G.save }),
  no_html: opt.bool({ help: 'do not save intermediate training results to [checkpoints_dir]/[name]/web/', group: G.save }),
  save_latest_freq: opt.int({ default: 5000, minimum: 1, help: 'frequency of saving the latest results', group: G.save }),
  save_epoch_freq: opt.int({ default: 5, minimum: 1, help: 'frequency of saving checkpoints at the end of epochs', group: G.save }),
  save_by_iter: opt.bool({ help: 'whether saves model by iteration', group: G.save }),
  continue_train: opt.bool({ help: 'continue training: load the latest model', group: G.train }),
  epoch_count: opt.int({ default: 1, minimum: 1, help: 'the starting epoch count', group: G.train }),
  phase: opt.string({ default: 'train', help: 'train, val, test, etc', group: G.data }),
  n_epochs: opt.int({ default: 100, minimum: 0, aliases: ['niter'], help: 'number of epochs with the initial learning rate', group: G.train }),
  n_epochs_decay: opt.int({ default: 100, minimum: 0, aliases: ['niter_decay'], help: 'number of epochs to linearly decay learning rate to zero', group: G.train }),
  beta1: opt.number({ default: 0.5, minimum: 0, maximum: 0.999999, help: 'momentum term of adam', group: G.train }),
  lr: opt.number({ default: 0.0002, exclusiveMinimum: 0, help: 'initial learning rate for adam', group: G.train }),
  gan_mode: opt.choice(GAN_MODES, { default: 'lsgan', help: 'the type of GAN objective', group: G.train }),
  pool_size: opt.int({ default: 50, minimum: 0, help: 'the size of image buffer that stores previously generated images', group: G.train }),
  lr_policy: opt.choice([...LR_POLICIES, 'lambda'], { default: 'linear', help: "learning rate policy ('lambda' is the pre-2020 name of linear)", group: G.train }),
  lr_decay_iters: opt.int({ default: 50, minimum: 1, help: 'multiply by a gamma every lr_decay_iters iterations', group: G.train }),
});

/** test_options.py (load_size defaults to crop_size's default there). */
export const TEST = asWritten({
  results_dir: opt.string({ default: './results/', help: 'saves results here.', metavar: 'DIR', path: 'dir', group: G.test }),
  aspect_ratio: opt.number({ default: 1.0, exclusiveMinimum: 0, help: 'aspect ratio of result images', group: G.test }),
  phase: opt.string({ default: 'test', help: 'train, val, test, etc', group: G.data }),
  eval: opt.bool({ help: 'use eval mode during test time.', group: G.test }),
  num_test: opt.int({ default: 50, minimum: 1, aliases: ['how_many'], help: 'how many test images to run', group: G.test }),
});

/** cycle_gan_model.py */
export const CYCLEGAN_TRAIN = asWritten({
  lambda_A: opt.number({ default: 10.0, minimum: 0, help: 'weight for cycle loss (A -> B -> A)', group: G.train }),
  lambda_B: opt.number({ default: 10.0, minimum: 0, help: 'weight for cycle loss (B -> A -> B)', group: G.train }),
  lambda_identity: opt.number({ default: 0.5, minimum: 0, help: 'weight of the identity mapping loss, relative to the cycle loss', group: G.train }),
});
/** pix2pix_model.py */
export const PIX2PIX_TRAIN = asWritten({
  lambda_L1: opt.number({ default: 100.0, minimum: 0, help: 'weight for L1 loss', group: G.train }),
});
/** test_model.py */
export const TEST_MODEL = asWritten({
  model_suffix: opt.string({ default: '', help: 'In checkpoints_dir, [epoch]_net_G[model_suffix].pth will be loaded as the generator.', group: G.test }),
});

/** The same schema with another default, as a model's modify_commandline_options sets it. */
function withDefault<T extends TSchema>(s: T, value: unknown): T {
  const copy = Object.create(Object.getPrototypeOf(s) as object, Object.getOwnPropertyDescriptors(s)) as T & { default: unknown };
  copy.default = value;
  return copy;
}

function withDefaults<P extends TProperties>(props: P, changes: Record<string, unknown>): P {
  const out: TProperties = { ...props };
  for (const [k, v] of Object.entries(changes)) if (out[k]) out[k] = withDefault(out[k], v);
  return out as P;
}

/** Each model's modify_commandline_options (and test_options.py's own). */
export function modelDefaults(model: GanModel, phase: GanPhaseKind): Record<string, unknown> {
  const base: Record<string, unknown> = phase === 'test' ? { model: 'test', load_size: 256 } : {};
  switch (model) {
    case 'cycle_gan':
      return { ...base, no_dropout: true };
    case 'pix2pix':
      return phase === 'train'
        ? { ...base, norm: 'batch', netG: 'unet_256', dataset_mode: 'aligned', pool_size: 0, gan_mode: 'vanilla' }
        : { ...base, norm: 'batch', netG: 'unet_256', dataset_mode: 'aligned' };
    case 'test':
      return { ...base, dataset_mode: 'single' };
  }
}

/** The options a model's train.py / test.py run registers, with that model's defaults. */
export function ganProps(phase: GanPhaseKind, model: GanModel): TProperties {
  const own = phase === 'train' ? (model === 'cycle_gan' ? CYCLEGAN_TRAIN : model === 'pix2pix' ? PIX2PIX_TRAIN : {}) : model === 'test' ? TEST_MODEL : {};
  const props = { ...BASE, ...(phase === 'train' ? TRAIN : TEST), ...own, ...RUNTIME };
  return withDefaults(props, modelDefaults(model, phase));
}

/** Every flag of a phase, whichever model it belongs to (the parser knows them all, to say which model a flag belongs to). */
export function allGanProps(phase: GanPhaseKind): TProperties {
  return phase === 'train' ? { ...BASE, ...TRAIN, ...CYCLEGAN_TRAIN, ...PIX2PIX_TRAIN, ...RUNTIME } : { ...BASE, ...TEST, ...TEST_MODEL, ...RUNTIME };
}

/** Which model a model-specific flag belongs to. */
export const MODEL_ONLY: Record<string, { model: GanModel; phase: GanPhaseKind }> = Object.fromEntries([
  ...Object.keys(CYCLEGAN_TRAIN).map((k) => [k, { model: 'cycle_gan', phase: 'train' }] as const),
  ...Object.keys(PIX2PIX_TRAIN).map((k) => [k, { model: 'pix2pix', phase: 'train' }] as const),
  ...Object.keys(TEST_MODEL).map((k) => [k, { model: 'test', phase: 'test' }] as const),
]);

const CMD = { cycle_gan: 'cyclegan', pix2pix: 'pix2pix', test: 'test' } as const;
const TRAIN_DESC =
  'Options as the official train.py (names as there or kebab-case). Ctrl-C saves the latest checkpoint; --continue_train resumes it exactly.';
const TEST_DESC = 'Options as the official test.py. Results go to [results_dir]/[name]/[phase]_[epoch]/index.html.';
const GROUPS = [G.data, G.net, G.train, G.test, G.save, G.extra];

function ganCommand(model: 'cycle_gan' | 'pix2pix', phase: GanPhaseKind) {
  const what = model === 'cycle_gan' ? 'a CycleGAN (unpaired trainA/ and trainB/)' : 'a pix2pix model (A|B pairs in train/)';
  return defineCommand({
    name: `${CMD[model]} ${phase}`,
    summary: phase === 'train' ? `Train ${what} as the official train.py.` : `Run a trained ${CMD[model]} model on test pictures and write an HTML page, as the official test.py.`,
    usage: `ai-art ${CMD[model]} ${phase} --dataroot DIR --name NAME [options]`,
    description: phase === 'train' ? TRAIN_DESC : TEST_DESC,
    options: options(withDefaults(ganProps(phase, model), { model })),
    cliFlags: ['json', 'quiet'],
    groups: GROUPS,
  });
}

export const cycleganTrainCommand = ganCommand('cycle_gan', 'train');
export const cycleganTestCommand = ganCommand('cycle_gan', 'test');
export const pix2pixTrainCommand = ganCommand('pix2pix', 'train');
export const pix2pixTestCommand = ganCommand('pix2pix', 'test');

export const translateCommand = defineCommand({
  name: 'translate',
  summary: 'Translate images with a CycleGAN or pix2pix generator.',
  usage: 'ai-art translate INPUT... --model NAME_OR_FILE -o DIR',
  description:
    'The architecture (--netG, --ngf, --norm, dropout) is read off the checkpoint; flags that contradict it are named in the error. ResNet generators take any size; U-Nets take multiples of 2^depth (--pad fits them).',
  positionals: [{ name: 'INPUT...', help: 'image files or folders', variadic: true }],
  options: options(asWritten({
    model: opt.string({ required: true, help: 'zoo name (horse2zebra, style_monet, pix2pix/facades_label2photo, ...) or a *_net_G*.pth', aliases: ['m'], path: 'model' }),
    output: opt.string({ default: 'translated', help: 'output folder', aliases: ['o', 'results_dir'], path: 'dir' }),
    netG: opt.string({ help: 'generator architecture (inferred from the checkpoint; checked when given)', advanced: true }),
    ngf: opt.int({ minimum: 1, help: 'generator filters (inferred; checked when given)', advanced: true }),
    norm: opt.choice(NORM_TYPES, { help: 'normalisation (inferred; checked when given)', advanced: true }),
    no_dropout: opt.maybeBool({ help: 'the generator has no dropout (inferred for ResNets)', advanced: true }),
    eval: opt.bool({ help: 'as official --eval: running batch-norm statistics, no dropout' }),
    pad: opt.bool({ help: 'U-Nets: reflect-pad to the size the network takes and crop back' }),
    seed: opt.int({ default: 0, help: 'dropout seed (without --eval)' }),
    threads: opt.int({ minimum: 1, help: 'compute threads', advanced: true }),
  })),
  cliFlags: ['json', 'quiet'],
});

export const combineCommand = defineCommand({
  name: 'combine',
  summary: 'A|B pairs for pix2pix, as the official datasets/combine_A_and_B.py.',
  usage: 'ai-art combine --fold_A DIR --fold_B DIR --fold_AB DIR [options]',
  description: 'Pairs pictures of the same name from fold_A and fold_B into A|B pictures (aligned datasets for pix2pix).',
  options: options(asWritten({
    fold_A: opt.string({ required: true, metavar: 'DIR', path: 'dir', help: 'input folder for domain A, with split folders (train/, val/, test/)' }),
    fold_B: opt.string({ required: true, metavar: 'DIR', path: 'dir', help: 'input folder for domain B, with the same split folders' }),
    fold_AB: opt.string({ required: true, aliases: ['o', 'output'], metavar: 'DIR', path: 'dir', help: 'output folder' }),
    num_imgs: opt.int({ default: 1000000, minimum: 1, help: 'at most this many pictures per split' }),
    use_AB: opt.bool({ help: 'pair name_A.ext with name_B.ext and write name.ext' }),
    no_multiprocessing: opt.bool({ help: 'one picture at a time' }),
  })),
  cliFlags: ['json', 'quiet'],
});
