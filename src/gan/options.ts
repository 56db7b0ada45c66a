/**
 * CycleGAN / pix2pix options as the official train.py / test.py parse them: base options, the
 * phase's options, then the chosen model's defaults and its own flags. The options themselves
 * are declared once, in src/options/commands/gan.ts; this module turns a command line into the
 * typed options the trainer and tester take, with the official names (so code reading
 * `opt.n_epochs_decay` reads like the reference it follows) and opt.txt as the reference writes it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgv } from '../options/argv.js';
import { defineCommand, type Command } from '../options/command.js';
import {
  allGanProps,
  BASE,
  CYCLEGAN_TRAIN,
  ganProps,
  MODEL_ONLY,
  PIX2PIX_TRAIN,
  TEST,
  TEST_MODEL,
  TRAIN,
  type GanModel,
  type GanPhaseKind,
} from '../options/commands/gan.js';
import { UsageError } from '../options/errors.js';
import { options, type Static, type TObject, type TProperties } from '../options/schema.js';
import type { NetG } from '../models/define.js';
import type { LrPolicy } from './schedule.js';

export { UsageError };
export type { GanModel, GanPhaseKind };
export type { NetG, NetD } from '../models/define.js';
export type { NormType as NormKind } from '../models/norm_layer.js';
export type { InitType } from '../models/init.js';
export type { DatasetMode } from './data/dataset.js';
export type { Preprocess } from './data/transform.js';
export type { GanMode } from './losses.js';
export type { LrPolicy };

type OptionsOfProps<P extends TProperties> = Static<TObject<P>>;

/** Options shared by training and testing (official BaseOptions, plus seed and strict). */
export type GanBaseOptions = Omit<OptionsOfProps<typeof BASE>, 'model' | 'max_dataset_size' | 'dataroot'> & {
  isTrain: boolean;
  phase: string;
  model: GanModel;
  dataroot: string;
  /** Infinity when not limited. */
  max_dataset_size: number;
};

export type GanTrainOptions = GanBaseOptions &
  Omit<OptionsOfProps<typeof TRAIN>, 'lr_policy'> &
  OptionsOfProps<typeof CYCLEGAN_TRAIN> &
  OptionsOfProps<typeof PIX2PIX_TRAIN> & {
    isTrain: true;
    lr_policy: LrPolicy;
  };

export type GanTestOptions = GanBaseOptions &
  OptionsOfProps<typeof TEST> &
  OptionsOfProps<typeof TEST_MODEL> & {
    isTrain: false;
  };

export type GanOptions = GanTrainOptions | GanTestOptions;

/** Python types as the reference declares them, for printing opt.txt as it does. */
type PyType = 'int' | 'float' | 'str' | 'bool';

const parsers = new Map<string, Command>();
/** The command that reads a phase's flags (all models'), or a model's run with its defaults. */
function commandFor(phase: GanPhaseKind, model?: GanModel): Command {
  const key = `${phase}:${model ?? '*'}`;
  let c = parsers.get(key);
  if (!c) {
    c = defineCommand({ name: `${model ?? 'gan'} ${phase}`, summary: '', usage: '', options: options(model ? ganProps(phase, model) : allGanProps(phase)), cliFlags: ['json', 'quiet'] });
    parsers.set(key, c);
  }
  return c;
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
  /** How this machine runs it: not an option of the reference (not in opt.txt). */
  threads?: number;
  /** Command-line flags (--help, --json, --quiet). */
  cli: { help: boolean; json: boolean; quiet: boolean };
}

export type ParsedValue = string | number | boolean | string[];

export interface ParseGanOptions {
  /** Fixes the model (a `cyclegan train` subcommand); --model may still name it, but not another. */
  model?: GanModel;
  /** A run that needs no dataset (e.g. a command that only converts checkpoints). */
  datarootOptional?: boolean;
  /** `--model test` may stand in for the fixed model: the official way to test one generator alone. */
  allowOneWay?: boolean;
}

function normalizeModel(v: string): GanModel {
  return v === 'cyclegan' ? 'cycle_gan' : (v as GanModel);
}

const RUNTIME_KEYS = new Set(['threads']);

/**
 * Parses argv as the official train.py / test.py would. Throws UsageError (OptionError for a
 * value out of range) with a message a person can act on.
 */
export function parseGanOptions(argv: readonly string[], phase: 'train', o?: ParseGanOptions): ParsedGanOptions<GanTrainOptions>;
export function parseGanOptions(argv: readonly string[], phase: 'test', o?: ParseGanOptions): ParsedGanOptions<GanTestOptions>;
export function parseGanOptions(argv: readonly string[], phase: GanPhaseKind, o?: ParseGanOptions): ParsedGanOptions;
export function parseGanOptions(argv: readonly string[], phase: GanPhaseKind, o: ParseGanOptions = {}): ParsedGanOptions {
  const parsed = parseArgv(commandFor(phase), argv);
  const notes: string[] = [];

  const givenModel = parsed.given.has('model') ? normalizeModel(String(parsed.values.model)) : undefined;
  if (o.model && givenModel && givenModel !== o.model && !(o.allowOneWay && givenModel === 'test')) {
    throw new UsageError(`--model ${givenModel} conflicts with this command, which trains/tests ${o.model}`);
  }
  const model: GanModel = givenModel ?? o.model ?? (phase === 'test' ? 'test' : 'cycle_gan');
  if (model === 'test' && phase === 'train')
    throw new UsageError('--model test only generates images (one direction); train with --model cycle_gan or pix2pix');

  for (const name of parsed.given) {
    const only = MODEL_ONLY[name];
    if (only && only.model !== model) {
      throw new UsageError(
        `--${name} belongs to --model ${only.model}${only.phase === 'train' ? ' training' : ''}; this run uses --model ${model}`,
      );
    }
  }

  const cmd = commandFor(phase, model);
  const r = cmd.resolve({ ...parsed.values, model }) as Record<string, ParsedValue | undefined>;
  const defaults = new Map<string, ParsedValue>();
  const values = new Map<string, ParsedValue>();
  for (const i of cmd.info) {
    if (RUNTIME_KEYS.has(i.key)) continue;
    const d = i.key === 'max_dataset_size' ? Infinity : (i.default as ParsedValue | undefined);
    if (d !== undefined) defaults.set(i.key, d);
    const v = r[i.key] ?? d;
    if (v !== undefined) values.set(i.key, v);
    if (i.ignored && parsed.given.has(i.key)) notes.push(`--${i.flag} is accepted for compatibility and ignored: ${i.ignored}`);
  }
  values.set('model', model);

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
  return {
    opt,
    values,
    defaults,
    notes,
    positionals: parsed.positionals,
    threads: r.threads as number | undefined,
    cli: { help: parsed.help, json: parsed.json, quiet: parsed.quiet },
  };
}

/** A model's training options with every default as its schema declares it (for steps built in code). */
export function ganTrainDefaults(model: 'cycle_gan' | 'pix2pix'): GanTrainOptions {
  return parseGanOptions([], 'train', { model, datarootOptional: true }).opt;
}

/** Python's str.format with `{key}` fields taken from the options, as the reference's --suffix. */
function formatSuffix(suffix: string, values: Map<string, ParsedValue>): string {
  return suffix.replace(/\{([^{}]*)\}/g, (_, key: string) => {
    const k = key.split(':')[0];
    if (!values.has(k)) throw new UsageError(`--suffix refers to {${k}}, which is not an option`);
    return pyStr(values.get(k) as ParsedValue, specType(k));
  });
}

/** The model's own options default as its schema says when the run's model does not register them. */
function schemaDefault(props: TProperties, key: string): ParsedValue {
  return (props[key] as unknown as { default: ParsedValue }).default;
}

function toTyped(v: Map<string, ParsedValue>, phase: GanPhaseKind): GanOptions {
  const o = Object.fromEntries(v) as Record<string, ParsedValue>;
  const fill = (props: TProperties): Record<string, ParsedValue> =>
    Object.fromEntries(Object.keys(props).map((k) => [k, o[k] ?? schemaDefault(props, k)]));
  if (phase === 'train') return { ...o, ...fill(CYCLEGAN_TRAIN), ...fill(PIX2PIX_TRAIN), isTrain: true } as unknown as GanTrainOptions;
  // test.py hard-codes these after printing the options.
  return { ...o, ...fill(TEST_MODEL), isTrain: false, batch_size: 1, serial_batches: true, no_flip: true } as unknown as GanTestOptions;
}

/** Generator input sides must be multiples of this (stride-2 stages; U-Nets concatenate skips). */
export function sizeMultiple(netG: NetG): number {
  return netG === 'unet_256' ? 256 : netG === 'unet_128' ? 128 : 4;
}

function validate(opt: GanOptions, given: ReadonlySet<string>, notes: string[]): void {
  const bad = (msg: string): never => {
    throw new UsageError(msg);
  };
  for (const k of ['input_nc', 'output_nc'] as const) {
    if (opt[k] !== 1 && opt[k] !== 3) bad(`--${k} must be 1 (grayscale) or 3 (RGB), got ${opt[k]}`);
  }
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
    if (opt.n_epochs + opt.n_epochs_decay < 1)
      bad('--n_epochs plus --n_epochs_decay must be at least 1: there is nothing to train');
    if (opt.epoch_count > opt.n_epochs + opt.n_epochs_decay) {
      bad(
        `--epoch_count ${opt.epoch_count} is past the last epoch (${opt.n_epochs + opt.n_epochs_decay} = n_epochs + n_epochs_decay)`,
      );
    }
    if (opt.lr_policy === 'cosine' && opt.n_epochs < 1)
      bad('--lr_policy cosine anneals over --n_epochs, which must be at least 1');
    if (opt.dataset_mode === 'single')
      bad('--dataset_mode single has no target images; it is for --model test');
    if (opt.model === 'cycle_gan') {
      if (opt.lambda_identity > 0 && opt.input_nc !== opt.output_nc) {
        bad(
          `the identity loss compares G_A(B) with B, so it needs --input_nc equal to --output_nc (got ${opt.input_nc} and ${opt.output_nc}); use --lambda_identity 0`,
        );
      }
    }
    if (opt.model === 'pix2pix') {
      if (opt.dataset_mode === 'unaligned')
        notes.push('pix2pix learns from pairs; --dataset_mode unaligned pairs images at random');
    }
  }
  if (given.has('gpu_ids') && opt.gpu_ids.split(',').some((s) => !/^-?\d+$/.test(s.trim())))
    bad(`--gpu_ids takes numbers such as 0 or 0,1 or -1, got '${opt.gpu_ids}'`);
}

// ---------------------------------------------------------------------------------------------
// opt.txt, as BaseOptions.print_options writes it

const PY_TYPE = new Map<string, PyType>(
  [...commandFor('train').info, ...commandFor('test').info].map((i) => [
    i.key,
    i.kind === 'int' ? 'int' : i.kind === 'number' ? 'float' : i.kind === 'boolean' ? 'bool' : 'str',
  ]),
);
function specType(name: string): PyType {
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

function pyStr(v: ParsedValue, py: PyType): string {
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
