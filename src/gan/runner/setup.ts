/** What training and testing share: options from a program, and loading networks with helpful errors. */
import path from 'node:path';
import { inferGenerator, netGName } from '../../models/networks.js';
import type { Module } from '../../nn/index.js';
import { readModuleStateDict } from '../../weights/index.js';
import { CheckpointError, loadNetworks, netFileName } from '../checkpoint.js';
import {
  parseGanOptions,
  type GanModel,
  type GanOptions,
  type GanPhaseKind,
  type ParsedGanOptions,
} from '../options.js';

/** Options as a program gives them: official names (or kebab-case), values as on the command line. */
export type GanOptionInput = Record<string, string | number | boolean | undefined>;

export function isParsed<O extends GanOptions>(
  x: ParsedGanOptions<O> | GanOptionInput,
): x is ParsedGanOptions<O> {
  return typeof x === 'object' && x !== null && 'opt' in x && x.values instanceof Map;
}

/**
 * The command line an options object stands for, so a program gets exactly the parsing,
 * model defaults and validation the CLI gets. `false` booleans are written as `--flag=false`.
 */
export function optionArgv(input: GanOptionInput): string[] {
  const argv: string[] = [];
  for (const [k, v] of Object.entries(input)) {
    if (v === undefined) continue;
    if (typeof v === 'boolean') argv.push(v ? `--${k}` : `--${k}=false`);
    else argv.push(`--${k}`, String(v));
  }
  return argv;
}

export function resolveOptions<O extends GanOptions>(
  input: ParsedGanOptions<O> | GanOptionInput,
  phase: GanPhaseKind,
  model?: GanModel,
): ParsedGanOptions<O> {
  if (isParsed<O>(input)) return input;
  return parseGanOptions(optionArgv(input), phase, model ? { model } : {}) as ParsedGanOptions<O>;
}

/** What a generator checkpoint's keys say about its architecture, as flags; '' if it is not one. */
async function describeGenerator(file: string): Promise<string> {
  try {
    const inf = inferGenerator(await readModuleStateDict(file));
    const flags = [`--netG ${netGName(inf.arch)}`, `--ngf ${inf.ngf}`, `--norm ${inf.norm}`];
    if (inf.use_dropout === false) flags.push('--no_dropout');
    if (inf.input_nc !== 3) flags.push(`--input_nc ${inf.input_nc}`);
    if (inf.output_nc !== 3) flags.push(`--output_nc ${inf.output_nc}`);
    return `${path.basename(file)} looks like ${flags.join(' ')}`;
  } catch {
    return '';
  }
}

/**
 * loadNetworks, and when a generator does not fit, a hint saying which flags its keys and
 * shapes point to (the architecture options are not stored in a plain state_dict).
 */
export async function loadNets(
  dir: string,
  label: string,
  nets: Record<string, Module>,
  given: string,
  notice?: (msg: string) => void,
): Promise<Record<string, string>> {
  try {
    return await loadNetworks(dir, label, nets, { notice, hint: `These options say ${given}.` });
  } catch (e) {
    if (!(e instanceof CheckpointError) || !/does not fit/.test(e.message)) throw e;
    const hints: string[] = [];
    for (const name of Object.keys(nets)) {
      if (!name.startsWith('G')) continue;
      const h = await describeGenerator(path.join(dir, netFileName(label, name)));
      if (h) hints.push(h);
    }
    if (!hints.length) throw e;
    throw new CheckpointError(`${e.message}\n${hints.join('\n')}`, { cause: e });
  }
}

/** The architecture flags in effect, for error messages. */
export function archFlags(opt: GanOptions, withD: boolean): string {
  const f = [`--netG ${opt.netG}`, `--ngf ${opt.ngf}`, `--norm ${opt.norm}`];
  if (opt.no_dropout) f.push('--no_dropout');
  if (withD) f.push(`--netD ${opt.netD}`, `--ndf ${opt.ndf}`, `--n_layers_D ${opt.n_layers_D}`);
  if (opt.input_nc !== 3 || opt.output_nc !== 3)
    f.push(`--input_nc ${opt.input_nc} --output_nc ${opt.output_nc}`);
  return f.join(' ');
}

/** The label the official setup() loads: iter_[load_iter] when load_iter > 0, else --epoch. */
export function loadLabel(opt: Pick<GanOptions, 'load_iter' | 'epoch'>): string {
  return opt.load_iter > 0 ? `iter_${opt.load_iter}` : opt.epoch;
}
