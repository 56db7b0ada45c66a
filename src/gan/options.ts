/**
 * CycleGAN / pix2pix options with the official names, defaults and per-model defaults
 * (junyanz/pytorch-CycleGAN-and-pix2pix: options/*.py and each model's
 * modify_commandline_options). Every flag is accepted as written there (`--lambda_A`) and in
 * kebab-case (`--lambda-a`); a few pre-2019 spellings (`--niter`, `--which_epoch`) are aliases so
 * old command lines keep working. Fields of the typed result keep the official names, so code
 * reading `opt.n_epochs_decay` reads like the reference it follows.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { helpText, parseArgs, UsageError, type OptSpec, type ParsedValue } from '../cli/args.js';

export { UsageError };

export type GanModel = 'cycle_gan' | 'pix2pix' | 'test';
export type GanPhaseKind = 'train' | 'test';
export type NetG = 'resnet_9blocks' | 'resnet_6blocks' | 'unet_256' | 'unet_128';
export type NetD = 'basic' | 'n_layers' | 'pixel';
export type NormKind = 'instance' | 'batch' | 'none';
export type InitType = 'normal' | 'xavier' | 'kaiming' | 'orthogonal';
export type DatasetMode = 'unaligned' | 'aligned' | 'single';
export type Direction = 'AtoB' | 'BtoA';
export type Preprocess = 'resize_and_crop' | 'crop' | 'scale_width' | 'scale_width_and_crop' | 'none';
export type GanMode = 'lsgan' | 'vanilla' | 'wgangp';
export type LrPolicy = 'linear' | 'step' | 'plateau' | 'cosine';

export const NET_G: readonly NetG[] = ['resnet_9blocks', 'resnet_6blocks', 'unet_256', 'unet_128'];
export const NET_D: readonly NetD[] = ['basic', 'n_layers', 'pixel'];
export const NORMS: readonly NormKind[] = ['instance', 'batch', 'none'];
export const INIT_TYPES: readonly InitType[] = ['normal', 'xavier', 'kaiming', 'orthogonal'];
export const DATASET_MODES: readonly DatasetMode[] = ['unaligned', 'aligned', 'single'];
export const PREPROCESS: readonly Preprocess[] = [
  'resize_and_crop',
  'crop',
  'scale_width',
  'scale_width_and_crop',
  'none',
];
export const GAN_MODES: readonly GanMode[] = ['lsgan', 'vanilla', 'wgangp'];
export const LR_POLICIES: readonly LrPolicy[] = ['linear', 'step', 'plateau', 'cosine'];

/** Options shared by training and testing (official BaseOptions, plus seed and strict). */
export interface GanBaseOptions {
  isTrain: boolean;
  phase: string;
  dataroot: string;
  name: string;
  gpu_ids: string;
  checkpoints_dir: string;
  model: GanModel;
  input_nc: number;
  output_nc: number;
  ngf: number;
  ndf: number;
  netD: NetD;
  netG: NetG;
  n_layers_D: number;
  norm: NormKind;
  init_type: InitType;
  init_gain: number;
  no_dropout: boolean;
  dataset_mode: DatasetMode;
  direction: Direction;
  serial_batches: boolean;
  num_threads: number;
  batch_size: number;
  load_size: number;
  crop_size: number;
  /** Infinity when not limited. */
  max_dataset_size: number;
  preprocess: Preprocess;
  no_flip: boolean;
  display_winsize: number;
  epoch: string;
  load_iter: number;
  verbose: boolean;
  suffix: string;
  /** Not in the reference (which is unseeded): seeds data order, augmentation, image pool, init and dropout. */
  seed: number;
  /** Not in the reference: an unreadable image stops the run instead of being skipped with a warning. */
  strict: boolean;
}

export interface GanTrainOptions extends GanBaseOptions {
  isTrain: true;
  display_freq: number;
  print_freq: number;
  update_html_freq: number;
  no_html: boolean;
  save_latest_freq: number;
  save_epoch_freq: number;
  save_by_iter: boolean;
  continue_train: boolean;
  epoch_count: number;
  n_epochs: number;
  n_epochs_decay: number;
  beta1: number;
  lr: number;
  gan_mode: GanMode;
  pool_size: number;
  lr_policy: LrPolicy;
  lr_decay_iters: number;
  /** CycleGAN only (other models: the official default, unused). */
  lambda_A: number;
  lambda_B: number;
  lambda_identity: number;
  /** pix2pix only. */
  lambda_L1: number;
}

export interface GanTestOptions extends GanBaseOptions {
  isTrain: false;
  results_dir: string;
  aspect_ratio: number;
  eval: boolean;
  num_test: number;
  /** --model test: loads [epoch]_net_G[model_suffix].pth. */
  model_suffix: string;
}

export type GanOptions = GanTrainOptions | GanTestOptions;

/** An OptSpec with the Python type the reference declares, for printing opt.txt as it does. */
interface GanSpec extends OptSpec {
  py?: 'int' | 'float' | 'str' | 'bool';
  /** Accepted for compatibility, has no effect here; a note says so when given. */
  ignored?: string;
}

const IGNORED_DISPLAY = 'there is no visdom display; see web/index.html under the checkpoint folder';

const BASE: GanSpec[] = [
  {
    name: 'dataroot',
    type: 'string',
    help: 'path to images (should have subfolders trainA, trainB, valA, valB, etc)',
    metavar: 'DIR',
  },
  {
    name: 'name',
    type: 'string',
    default: 'experiment_name',
    help: 'name of the experiment. It decides where to store samples and models',
  },
  {
    name: 'gpu_ids',
    type: 'string',
    default: '0',
    help: 'accepted for compatibility; ai-art runs on the CPU',
    ignored: 'ai-art runs on the CPU through ONNX Runtime',
  },
  {
    name: 'checkpoints_dir',
    type: 'string',
    default: './checkpoints',
    help: 'models are saved here',
    metavar: 'DIR',
  },
  {
    name: 'model',
    type: 'string',
    default: 'cycle_gan',
    choices: ['cycle_gan', 'cyclegan', 'pix2pix', 'test'],
    help: 'chooses which model to use',
  },
  {
    name: 'input_nc',
    type: 'int',
    default: 3,
    help: '# of input image channels: 3 for RGB and 1 for grayscale',
  },
  {
    name: 'output_nc',
    type: 'int',
    default: 3,
    help: '# of output image channels: 3 for RGB and 1 for grayscale',
  },
  { name: 'ngf', type: 'int', default: 64, help: '# of gen filters in the last conv layer' },
  { name: 'ndf', type: 'int', default: 64, help: '# of discrim filters in the first conv layer' },
  {
    name: 'netD',
    type: 'string',
    default: 'basic',
    choices: NET_D,
    aliases: ['which_model_netD'],
    help: 'discriminator architecture; basic is a 70x70 PatchGAN',
  },
  {
    name: 'netG',
    type: 'string',
    default: 'resnet_9blocks',
    choices: NET_G,
    aliases: ['which_model_netG'],
    help: 'generator architecture',
  },
  { name: 'n_layers_D', type: 'int', default: 3, help: 'only used if netD==n_layers' },
  {
    name: 'norm',
    type: 'string',
    default: 'instance',
    choices: NORMS,
    help: 'instance normalization or batch normalization',
  },
  {
    name: 'init_type',
    type: 'string',
    default: 'normal',
    choices: INIT_TYPES,
    help: 'network initialization',
  },
  {
    name: 'init_gain',
    type: 'number',
    default: 0.02,
    help: 'scaling factor for normal, xavier and orthogonal.',
  },
  { name: 'no_dropout', type: 'boolean', default: false, help: 'no dropout for the generator' },
  {
    name: 'dataset_mode',
    type: 'string',
    default: 'unaligned',
    choices: DATASET_MODES,
    help: 'chooses how datasets are loaded',
  },
  {
    name: 'direction',
    type: 'string',
    default: 'AtoB',
    choices: ['AtoB', 'BtoA'],
    aliases: ['which_direction'],
    help: 'AtoB or BtoA',
  },
  {
    name: 'serial_batches',
    type: 'boolean',
    default: false,
    help: 'if true, takes images in order to make batches, otherwise takes them randomly',
  },
  {
    name: 'num_threads',
    type: 'int',
    default: 4,
    aliases: ['nThreads'],
    help: '# of worker threads decoding and augmenting images (0: on the main thread)',
  },
  { name: 'batch_size', type: 'int', default: 1, aliases: ['batchSize'], help: 'input batch size' },
  { name: 'load_size', type: 'int', default: 286, aliases: ['loadSize'], help: 'scale images to this size' },
  { name: 'crop_size', type: 'int', default: 256, aliases: ['fineSize'], help: 'then crop to this size' },
  {
    name: 'max_dataset_size',
    type: 'int',
    default: Infinity,
    help: 'maximum number of samples allowed per dataset',
  },
  {
    name: 'preprocess',
    type: 'string',
    default: 'resize_and_crop',
    choices: PREPROCESS,
    aliases: ['resize_or_crop'],
    help: 'scaling and cropping of images at load time',
  },
  {
    name: 'no_flip',
    type: 'boolean',
    default: false,
    help: 'if specified, do not flip the images for data augmentation',
  },
  {
    name: 'display_winsize',
    type: 'int',
    default: 256,
    help: 'display window size for both visdom and HTML',
  },
  {
    name: 'epoch',
    type: 'string',
    default: 'latest',
    aliases: ['which_epoch'],
    help: 'which epoch to load? set to latest to use latest cached model',
  },
  {
    name: 'load_iter',
    type: 'int',
    default: 0,
    help: 'which iteration to load? if load_iter > 0, models are loaded by iter_[load_iter]; otherwise by [epoch]',
  },
  {
    name: 'verbose',
    type: 'boolean',
    default: false,
    help: 'if specified, print more debugging information',
  },
  {
    name: 'suffix',
    type: 'string',
    default: '',
    help: 'customized suffix: opt.name = opt.name + suffix: e.g., {model}_{netG}_size{load_size}',
  },
  {
    name: 'use_wandb',
    type: 'boolean',
    default: false,
    help: 'accepted for compatibility; ignored',
    ignored: 'there is no wandb logging; losses go to loss_log.jsonl',
  },
  {
    name: 'wandb_project_name',
    type: 'string',
    default: 'CycleGAN-and-pix2pix',
    help: 'accepted for compatibility; ignored',
    ignored: 'there is no wandb logging',
  },
  {
    name: 'seed',
    type: 'int',
    default: 0,
    help: 'seed for data order, augmentation, image pool, init and dropout (ai-art addition)',
  },
  {
    name: 'strict',
    type: 'boolean',
    default: false,
    help: 'stop at an unreadable image instead of skipping it with a warning (ai-art addition)',
  },
];

const TRAIN: GanSpec[] = [
  {
    name: 'display_freq',
    type: 'int',
    default: 400,
    help: 'frequency (in images) of saving training results to web/',
  },
  {
    name: 'display_ncols',
    type: 'int',
    default: 4,
    help: 'accepted for compatibility; ignored',
    ignored: IGNORED_DISPLAY,
  },
  {
    name: 'display_id',
    type: 'int',
    default: 1,
    help: 'accepted for compatibility; ignored',
    ignored: IGNORED_DISPLAY,
  },
  {
    name: 'display_server',
    type: 'string',
    default: 'http://localhost',
    help: 'accepted for compatibility; ignored',
    ignored: IGNORED_DISPLAY,
  },
  {
    name: 'display_env',
    type: 'string',
    default: 'main',
    help: 'accepted for compatibility; ignored',
    ignored: IGNORED_DISPLAY,
  },
  {
    name: 'display_port',
    type: 'int',
    default: 8097,
    help: 'accepted for compatibility; ignored',
    ignored: IGNORED_DISPLAY,
  },
  {
    name: 'update_html_freq',
    type: 'int',
    default: 1000,
    help: 'frequency of saving training results to html',
  },
  { name: 'print_freq', type: 'int', default: 100, help: 'frequency of showing training results on console' },
  {
    name: 'no_html',
    type: 'boolean',
    default: false,
    help: 'do not save intermediate training results to [checkpoints_dir]/[name]/web/',
  },
  { name: 'save_latest_freq', type: 'int', default: 5000, help: 'frequency of saving the latest results' },
  {
    name: 'save_epoch_freq',
    type: 'int',
    default: 5,
    help: 'frequency of saving checkpoints at the end of epochs',
  },
  { name: 'save_by_iter', type: 'boolean', default: false, help: 'whether saves model by iteration' },
  {
    name: 'continue_train',
    type: 'boolean',
    default: false,
    help: 'continue training: load the latest model',
  },
  { name: 'epoch_count', type: 'int', default: 1, help: 'the starting epoch count' },
  { name: 'phase', type: 'string', default: 'train', help: 'train, val, test, etc' },
  {
    name: 'n_epochs',
    type: 'int',
    default: 100,
    aliases: ['niter'],
    help: 'number of epochs with the initial learning rate',
  },
  {
    name: 'n_epochs_decay',
    type: 'int',
    default: 100,
    aliases: ['niter_decay'],
    help: 'number of epochs to linearly decay learning rate to zero',
  },
  { name: 'beta1', type: 'number', default: 0.5, help: 'momentum term of adam' },
  { name: 'lr', type: 'number', default: 0.0002, help: 'initial learning rate for adam' },
  {
    name: 'gan_mode',
    type: 'string',
    default: 'lsgan',
    choices: GAN_MODES,
    help: 'the type of GAN objective',
  },
  {
    name: 'pool_size',
    type: 'int',
    default: 50,
    help: 'the size of image buffer that stores previously generated images',
  },
  {
    name: 'lr_policy',
    type: 'string',
    default: 'linear',
    choices: [...LR_POLICIES, 'lambda'],
    help: 'learning rate policy',
  },
  {
    name: 'lr_decay_iters',
    type: 'int',
    default: 50,
    help: 'multiply by a gamma every lr_decay_iters iterations',
  },
];

const TEST: GanSpec[] = [
  { name: 'results_dir', type: 'string', default: './results/', help: 'saves results here.', metavar: 'DIR' },
  { name: 'aspect_ratio', type: 'number', default: 1.0, help: 'aspect ratio of result images' },
  { name: 'phase', type: 'string', default: 'test', help: 'train, val, test, etc' },
  { name: 'eval', type: 'boolean', default: false, help: 'use eval mode during test time.' },
  { name: 'num_test', type: 'int', default: 50, aliases: ['how_many'], help: 'how many test images to run' },
];

const CYCLEGAN_TRAIN: GanSpec[] = [
  { name: 'lambda_A', type: 'number', default: 10.0, help: 'weight for cycle loss (A -> B -> A)' },
  { name: 'lambda_B', type: 'number', default: 10.0, help: 'weight for cycle loss (B -> A -> B)' },
  {
    name: 'lambda_identity',
    type: 'number',
    default: 0.5,
    help: 'weight of the identity mapping loss, relative to the cycle loss',
  },
];
const PIX2PIX_TRAIN: GanSpec[] = [
  { name: 'lambda_L1', type: 'number', default: 100.0, help: 'weight for L1 loss' },
];
const TEST_MODEL: GanSpec[] = [
  {
    name: 'model_suffix',
    type: 'string',
    default: '',
    help: 'In checkpoints_dir, [epoch]_net_G[model_suffix].pth will be loaded as the generator.',
  },
];

const MODEL_ONLY: Record<string, { specs: GanSpec[]; model: GanModel; phase: GanPhaseKind }> = {};
for (const s of CYCLEGAN_TRAIN)
  MODEL_ONLY[s.name] = { specs: CYCLEGAN_TRAIN, model: 'cycle_gan', phase: 'train' };
for (const s of PIX2PIX_TRAIN)
  MODEL_ONLY[s.name] = { specs: PIX2PIX_TRAIN, model: 'pix2pix', phase: 'train' };
for (const s of TEST_MODEL) MODEL_ONLY[s.name] = { specs: TEST_MODEL, model: 'test', phase: 'test' };

/** Per-model default changes, as each model's modify_commandline_options. */
function modelDefaults(model: GanModel, isTrain: boolean): Record<string, ParsedValue> {
  switch (model) {
    case 'cycle_gan':
      return { no_dropout: true };
    case 'pix2pix':
      return isTrain
        ? { norm: 'batch', netG: 'unet_256', dataset_mode: 'aligned', pool_size: 0, gan_mode: 'vanilla' }
        : { norm: 'batch', netG: 'unet_256', dataset_mode: 'aligned' };
    case 'test':
      return { dataset_mode: 'single' };
  }
}

function specsFor(phase: GanPhaseKind, model: GanModel): GanSpec[] {
  const common = phase === 'train' ? [...BASE, ...TRAIN] : [...BASE, ...TEST];
  const extra =
    phase === 'train'
      ? model === 'cycle_gan'
        ? CYCLEGAN_TRAIN
        : model === 'pix2pix'
          ? PIX2PIX_TRAIN
          : []
      : model === 'test'
        ? TEST_MODEL
        : [];
  return [...common, ...extra];
}

/** Every flag a command of this phase accepts (model-specific ones included), for the parser and help. */
export function ganOptionSpecs(phase: GanPhaseKind, model?: GanModel): OptSpec[] {
  if (model) return specsFor(phase, model);
  return phase === 'train'
    ? [...BASE, ...TRAIN, ...CYCLEGAN_TRAIN, ...PIX2PIX_TRAIN]
    : [...BASE, ...TEST, ...TEST_MODEL];
}

export function ganHelp(usage: string, phase: GanPhaseKind, model?: GanModel): string {
  return helpText(usage, ganOptionSpecs(phase, model));
}

export interface ParsedGanOptions<O extends GanOptions = GanOptions> {
  opt: O;
  /** Every option's value as the reference's `vars(opt)` would hold it (before test.py's hard-coded overrides). */
  values: Map<string, ParsedValue>;
  /** Defaults after the model's changes (for opt.txt's `[default: ...]`). */
  defaults: Map<string, ParsedValue>;
  /** Things the user should know (ignored flags, renamed values); nothing fatal. */
  notes: string[];
  positionals: string[];
}

export interface ParseGanOptions {
  /** Fixes the model (a `cyclegan train` subcommand); --model may still name it, but not another. */
  model?: GanModel;
  /** A run that needs no dataset (e.g. a command that only converts checkpoints). */
  datarootOptional?: boolean;
}

function normalizeModel(v: string): GanModel {
  return v === 'cyclegan' ? 'cycle_gan' : (v as GanModel);
}

/**
 * Parses argv as the official train.py / test.py would: base options, the phase's options,
 * then the chosen model's defaults and its own flags. Throws UsageError with a message a person
 * can act on.
 */
export function parseGanOptions(
  argv: readonly string[],
  phase: 'train',
  o?: ParseGanOptions,
): ParsedGanOptions<GanTrainOptions>;
export function parseGanOptions(
  argv: readonly string[],
  phase: 'test',
  o?: ParseGanOptions,
): ParsedGanOptions<GanTestOptions>;
export function parseGanOptions(
  argv: readonly string[],
  phase: GanPhaseKind,
  o?: ParseGanOptions,
): ParsedGanOptions;
export function parseGanOptions(
  argv: readonly string[],
  phase: GanPhaseKind,
  o: ParseGanOptions = {},
): ParsedGanOptions {
  const all = ganOptionSpecs(phase) as GanSpec[];
  const parsed = parseArgs(argv, all);
  const notes: string[] = [];

  const givenModel = parsed.given.has('model')
    ? normalizeModel(String(parsed.values.get('model')))
    : undefined;
  if (o.model && givenModel && givenModel !== o.model) {
    throw new UsageError(`--model ${givenModel} conflicts with this command, which trains/tests ${o.model}`);
  }
  const model: GanModel = givenModel ?? o.model ?? (phase === 'test' ? 'test' : 'cycle_gan');
  if (model === 'test' && phase === 'train')
    throw new UsageError(
      '--model test only generates images (one direction); train with --model cycle_gan or pix2pix',
    );

  for (const name of parsed.given) {
    const only = MODEL_ONLY[name];
    if (only && only.model !== model) {
      throw new UsageError(
        `--${name} belongs to --model ${only.model}${only.phase === 'train' ? ' training' : ''}; this run uses --model ${model}`,
      );
    }
  }

  const specs = specsFor(phase, model);
  const defaults = new Map<string, ParsedValue>();
  for (const s of specs) if (s.default !== undefined) defaults.set(s.name, s.default);
  // test_options.py: the model defaults to 'test' and load_size to crop_size's default.
  if (phase === 'test') {
    defaults.set('model', 'test');
    defaults.set('load_size', defaults.get('crop_size') as number);
  }
  for (const [k, v] of Object.entries(modelDefaults(model, phase === 'train'))) defaults.set(k, v);

  const values = new Map<string, ParsedValue>();
  for (const s of specs) {
    if (parsed.given.has(s.name)) values.set(s.name, parsed.values.get(s.name) as ParsedValue);
    else if (defaults.has(s.name)) values.set(s.name, defaults.get(s.name) as ParsedValue);
  }
  values.set('model', model);

  for (const s of specs) {
    if (s.ignored && parsed.given.has(s.name))
      notes.push(`--${s.name} is accepted for compatibility and ignored: ${s.ignored}`);
  }
  if (values.get('lr_policy') === 'lambda') {
    values.set('lr_policy', 'linear');
    notes.push("--lr_policy lambda is the pre-2020 name of 'linear'; using linear");
  }
  if (!values.has('dataroot') && !o.datarootOptional) {
    throw new UsageError(
      phase === 'train'
        ? '--dataroot is required: the folder holding trainA/ and trainB/ (unaligned, CycleGAN) or train/ with A|B pairs (aligned, pix2pix)'
        : '--dataroot is required: the folder holding testA/ (and testB/), test/ with A|B pairs, or (with --model test) the images themselves',
    );
  }
  if (!values.has('dataroot')) values.set('dataroot', '');

  const suffix = String(values.get('suffix') ?? '');
  if (suffix) values.set('name', `${values.get('name')}_${formatSuffix(suffix, values)}`);
  values.set('isTrain', phase === 'train');

  const opt = toTyped(values, phase);
  validate(opt, parsed.given, notes);
  return { opt, values, defaults, notes, positionals: parsed.positionals };
}

/** Python's str.format with `{key}` fields taken from the options, as the reference's --suffix. */
function formatSuffix(suffix: string, values: Map<string, ParsedValue>): string {
  return suffix.replace(/\{([^{}]*)\}/g, (_, key: string) => {
    const k = key.split(':')[0];
    if (!values.has(k)) throw new UsageError(`--suffix refers to {${k}}, which is not an option`);
    return pyStr(values.get(k) as ParsedValue, specType(k));
  });
}

function num(values: Map<string, ParsedValue>, k: string): number {
  return values.get(k) as number;
}
function str(values: Map<string, ParsedValue>, k: string): string {
  return String(values.get(k));
}
function bool(values: Map<string, ParsedValue>, k: string): boolean {
  return values.get(k) === true;
}

function toTyped(v: Map<string, ParsedValue>, phase: GanPhaseKind): GanOptions {
  const base: Omit<GanBaseOptions, 'isTrain'> = {
    phase: str(v, 'phase'),
    dataroot: str(v, 'dataroot'),
    name: str(v, 'name'),
    gpu_ids: str(v, 'gpu_ids'),
    checkpoints_dir: str(v, 'checkpoints_dir'),
    model: str(v, 'model') as GanModel,
    input_nc: num(v, 'input_nc'),
    output_nc: num(v, 'output_nc'),
    ngf: num(v, 'ngf'),
    ndf: num(v, 'ndf'),
    netD: str(v, 'netD') as NetD,
    netG: str(v, 'netG') as NetG,
    n_layers_D: num(v, 'n_layers_D'),
    norm: str(v, 'norm') as NormKind,
    init_type: str(v, 'init_type') as InitType,
    init_gain: num(v, 'init_gain'),
    no_dropout: bool(v, 'no_dropout'),
    dataset_mode: str(v, 'dataset_mode') as DatasetMode,
    direction: str(v, 'direction') as Direction,
    serial_batches: bool(v, 'serial_batches'),
    num_threads: num(v, 'num_threads'),
    batch_size: num(v, 'batch_size'),
    load_size: num(v, 'load_size'),
    crop_size: num(v, 'crop_size'),
    max_dataset_size: num(v, 'max_dataset_size'),
    preprocess: str(v, 'preprocess') as Preprocess,
    no_flip: bool(v, 'no_flip'),
    display_winsize: num(v, 'display_winsize'),
    epoch: str(v, 'epoch'),
    load_iter: num(v, 'load_iter'),
    verbose: bool(v, 'verbose'),
    suffix: str(v, 'suffix'),
    seed: num(v, 'seed'),
    strict: bool(v, 'strict'),
  };
  if (phase === 'train') {
    return {
      ...base,
      isTrain: true,
      display_freq: num(v, 'display_freq'),
      print_freq: num(v, 'print_freq'),
      update_html_freq: num(v, 'update_html_freq'),
      no_html: bool(v, 'no_html'),
      save_latest_freq: num(v, 'save_latest_freq'),
      save_epoch_freq: num(v, 'save_epoch_freq'),
      save_by_iter: bool(v, 'save_by_iter'),
      continue_train: bool(v, 'continue_train'),
      epoch_count: num(v, 'epoch_count'),
      n_epochs: num(v, 'n_epochs'),
      n_epochs_decay: num(v, 'n_epochs_decay'),
      beta1: num(v, 'beta1'),
      lr: num(v, 'lr'),
      gan_mode: str(v, 'gan_mode') as GanMode,
      pool_size: num(v, 'pool_size'),
      lr_policy: str(v, 'lr_policy') as LrPolicy,
      lr_decay_iters: num(v, 'lr_decay_iters'),
      lambda_A: (v.get('lambda_A') as number | undefined) ?? 10,
      lambda_B: (v.get('lambda_B') as number | undefined) ?? 10,
      lambda_identity: (v.get('lambda_identity') as number | undefined) ?? 0.5,
      lambda_L1: (v.get('lambda_L1') as number | undefined) ?? 100,
    };
  }
  // test.py hard-codes these after printing the options.
  return {
    ...base,
    isTrain: false,
    batch_size: 1,
    serial_batches: true,
    no_flip: true,
    results_dir: str(v, 'results_dir'),
    aspect_ratio: num(v, 'aspect_ratio'),
    eval: bool(v, 'eval'),
    num_test: num(v, 'num_test'),
    model_suffix: (v.get('model_suffix') as string | undefined) ?? '',
  };
}

/** Generator input sides must be multiples of this (stride-2 stages; U-Nets concatenate skips). */
export function sizeMultiple(netG: NetG): number {
  return netG === 'unet_256' ? 256 : netG === 'unet_128' ? 128 : 4;
}

function validate(opt: GanOptions, given: ReadonlySet<string>, notes: string[]): void {
  const bad = (msg: string): never => {
    throw new UsageError(msg);
  };
  const atLeast = (name: keyof GanTrainOptions | keyof GanTestOptions, min: number): void => {
    const v = (opt as unknown as Record<string, number>)[name];
    if (v !== undefined && !(v >= min)) bad(`--${name} must be at least ${min}, got ${v}`);
  };
  for (const k of [
    'batch_size',
    'load_size',
    'crop_size',
    'ngf',
    'ndf',
    'n_layers_D',
    'display_winsize',
    'max_dataset_size',
  ] as const)
    atLeast(k, 1);
  atLeast('num_threads', 0);
  atLeast('load_iter', 0);
  for (const k of ['input_nc', 'output_nc'] as const) {
    if (opt[k] !== 1 && opt[k] !== 3) bad(`--${k} must be 1 (grayscale) or 3 (RGB), got ${opt[k]}`);
  }
  if (!(opt.init_gain > 0)) bad(`--init_gain must be positive, got ${opt.init_gain}`);
  const crops = opt.preprocess === 'resize_and_crop' || opt.preprocess === 'scale_width_and_crop';
  if (crops && opt.crop_size > opt.load_size) {
    bad(
      `--crop_size ${opt.crop_size} is larger than --load_size ${opt.load_size}: with --preprocess ${opt.preprocess} images are ` +
        `scaled to load_size and then cropped to crop_size, so crop_size must not exceed load_size`,
    );
  }
  const m = sizeMultiple(opt.netG);
  const sized = opt.preprocess.includes('crop')
    ? { flag: 'crop_size', v: opt.crop_size }
    : opt.preprocess === 'scale_width'
      ? { flag: 'load_size', v: opt.load_size }
      : undefined;
  if (sized && sized.v % m !== 0) {
    const msg = `--netG ${opt.netG} needs image sides that are multiples of ${m}, but --${sized.flag} is ${sized.v}`;
    if (opt.netG.startsWith('unet'))
      bad(`${msg}; use --${sized.flag} ${Math.max(m, Math.round(sized.v / m) * m)} or a resnet generator`);
    notes.push(`${msg}: generated images will not match the input size`);
  }
  if (opt.preprocess === 'none' && opt.netG.startsWith('unet')) {
    notes.push(
      `--preprocess none only rounds sizes to multiples of 4; --netG ${opt.netG} needs every image side to be a multiple of ${m}`,
    );
  }
  if (opt.model === 'test' && opt.dataset_mode !== 'single')
    bad(`--model test reads one folder of images: use --dataset_mode single (got ${opt.dataset_mode})`);
  if (opt.isTrain) {
    for (const k of [
      'display_freq',
      'print_freq',
      'update_html_freq',
      'save_latest_freq',
      'save_epoch_freq',
      'lr_decay_iters',
      'epoch_count',
    ] as const)
      atLeast(k, 1);
    for (const k of ['n_epochs', 'n_epochs_decay', 'pool_size'] as const) atLeast(k, 0);
    if (opt.n_epochs + opt.n_epochs_decay < 1)
      bad('--n_epochs plus --n_epochs_decay must be at least 1: there is nothing to train');
    if (opt.epoch_count > opt.n_epochs + opt.n_epochs_decay) {
      bad(
        `--epoch_count ${opt.epoch_count} is past the last epoch (${opt.n_epochs + opt.n_epochs_decay} = n_epochs + n_epochs_decay)`,
      );
    }
    if (!(opt.lr > 0)) bad(`--lr must be positive, got ${opt.lr}`);
    if (!(opt.beta1 >= 0 && opt.beta1 < 1)) bad(`--beta1 must be in [0, 1), got ${opt.beta1}`);
    if (opt.lr_policy === 'cosine' && opt.n_epochs < 1)
      bad('--lr_policy cosine anneals over --n_epochs, which must be at least 1');
    if (opt.dataset_mode === 'single')
      bad('--dataset_mode single has no target images; it is for --model test');
    if (opt.model === 'cycle_gan') {
      for (const k of ['lambda_A', 'lambda_B', 'lambda_identity'] as const)
        if (!(opt[k] >= 0)) bad(`--${k} must not be negative, got ${opt[k]}`);
      if (opt.lambda_identity > 0 && opt.input_nc !== opt.output_nc) {
        bad(
          `the identity loss compares G_A(B) with B, so it needs --input_nc equal to --output_nc (got ${opt.input_nc} and ${opt.output_nc}); use --lambda_identity 0`,
        );
      }
    }
    if (opt.model === 'pix2pix') {
      if (!(opt.lambda_L1 >= 0)) bad(`--lambda_L1 must not be negative, got ${opt.lambda_L1}`);
      if (opt.dataset_mode === 'unaligned')
        notes.push('pix2pix learns from pairs; --dataset_mode unaligned pairs images at random');
    }
  } else {
    atLeast('num_test', 1);
    if (!(opt.aspect_ratio > 0)) bad(`--aspect_ratio must be positive, got ${opt.aspect_ratio}`);
  }
  if (given.has('gpu_ids') && opt.gpu_ids.split(',').some((s) => !/^-?\d+$/.test(s.trim())))
    bad(`--gpu_ids takes numbers such as 0 or 0,1 or -1, got '${opt.gpu_ids}'`);
}

// ---------------------------------------------------------------------------------------------
// opt.txt, as BaseOptions.print_options writes it

const PY_TYPE = new Map<string, GanSpec['py']>();
for (const s of [...BASE, ...TRAIN, ...TEST, ...CYCLEGAN_TRAIN, ...PIX2PIX_TRAIN, ...TEST_MODEL]) {
  PY_TYPE.set(
    s.name,
    s.type === 'int' ? 'int' : s.type === 'number' ? 'float' : s.type === 'boolean' ? 'bool' : 'str',
  );
}
function specType(name: string): GanSpec['py'] {
  return PY_TYPE.get(name) ?? 'str';
}

/** Python's repr of a float: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expS] = x.toExponential().split('e');
  const e = Number(expS);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  let out: string;
  if (e < -4 || e >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    out = `${m}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  } else if (e < 0) {
    out = `0.${'0'.repeat(-e - 1)}${digits}`;
  } else if (digits.length <= e + 1) {
    out = `${digits}${'0'.repeat(e + 1 - digits.length)}.0`;
  } else {
    out = `${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`;
  }
  return neg ? `-${out}` : out;
}

function pyStr(v: ParsedValue, py: GanSpec['py']): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return py === 'float' || !Number.isFinite(v) ? pyFloat(v) : String(v);
  if (Array.isArray(v)) return `[${v.map((s) => `'${s}'`).join(', ')}]`;
  return v;
}

/** The text print_options prints and saves: sorted keys, `[default: ...]` where changed. */
export function formatOptions(parsed: Pick<ParsedGanOptions, 'values' | 'defaults'>): string {
  const keys = [...parsed.values.keys()].sort();
  let msg = '----------------- Options ---------------\n';
  for (const k of keys) {
    const py = k === 'isTrain' ? 'bool' : specType(k);
    const v = pyStr(parsed.values.get(k) as ParsedValue, py);
    const d = parsed.defaults.get(k);
    const comment = d !== undefined && pyStr(d, py) !== v ? `\t[default: ${pyStr(d, py)}]` : '';
    msg += `${k.padStart(25)}: ${v.padEnd(30)}${comment}\n`;
  }
  msg += '----------------- End -------------------';
  return msg;
}

/** The experiment folder, [checkpoints_dir]/[name]. */
export function experimentDir(opt: Pick<GanBaseOptions, 'checkpoints_dir' | 'name'>): string {
  return path.join(opt.checkpoints_dir, opt.name);
}

/**
 * Writes [checkpoints_dir]/[name]/[phase]_opt.txt (the reference's name and format) and
 * [phase]_opt.json (the same values, typed, for programs); returns the two paths.
 */
export async function saveOptions(parsed: ParsedGanOptions): Promise<{ txt: string; json: string }> {
  const dir = experimentDir(parsed.opt);
  await mkdir(dir, { recursive: true });
  const txt = path.join(dir, `${parsed.opt.phase}_opt.txt`);
  const json = path.join(dir, `${parsed.opt.phase}_opt.json`);
  await writeFile(txt, `${formatOptions(parsed)}\n`);
  const obj: Record<string, ParsedValue | null> = {};
  for (const k of [...parsed.values.keys()].sort()) {
    const v = parsed.values.get(k) as ParsedValue;
    obj[k] = typeof v === 'number' && !Number.isFinite(v) ? null : v;
  }
  await writeFile(json, `${JSON.stringify(obj, null, 2)}\n`);
  return { txt, json };
}
