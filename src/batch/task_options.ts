/**
 * A task's `options`: the same names as its command's flags, checked one by one against the
 * command's flag declarations, then as a whole by the command's own validation. Each task kind
 * has one entry in TASK_OPTIONS; when the options module's schemas (issue #11) land, this file is
 * the one seam to replace.
 */
import { parseArgs, UsageError, Opts, type OptSpec, type ParsedValue } from '../cli/args.js';
import { STYLE_OPTIONS, styleOptionsFrom } from '../cli/style.js';
import { resolveSettings } from '../style/options.js';
import type { StylizeOptions } from '../style/stylize.js';
import { checkContentOptions } from '../fast/stylize.js';

/** Canonical flag name → value, every declared default filled in. */
export type FlagValues = Record<string, ParsedValue>;

export class JobFileError extends Error {
  override name = 'JobFileError';
}

export interface TaskOptionsKind {
  /** Flags a task may set (the command's, less the per-run and per-worker ones). */
  specs: OptSpec[];
  /** Whole-set validation; throws with `--flag` in the message so it can be mapped to a field. */
  check?(values: FlagValues): void;
}

// Output paths, progress and threads are the batch's or the worker's to choose, not a task's.
const NOT_PER_TASK = new Set(['output', 'json', 'quiet', 'help', 'threads', 'save-every']);

const TRANSLATE_SPECS: OptSpec[] = [
  { name: 'netG', type: 'string', help: 'generator architecture (checked against the checkpoint)' },
  { name: 'ngf', type: 'int', help: 'generator filters (checked)' },
  { name: 'norm', type: 'string', choices: ['instance', 'batch', 'none'], help: 'normalisation (checked)' },
  { name: 'no_dropout', type: 'boolean', help: 'the generator has no dropout' },
  { name: 'eval', type: 'boolean', help: 'running batch-norm statistics, no dropout' },
  { name: 'pad', type: 'boolean', help: 'U-Nets: reflect-pad and crop back' },
  { name: 'seed', type: 'int', help: 'dropout seed', default: 0 },
];

// `fast stylize`'s per-picture flags; temporal smoothing carries state from frame to frame, so
// it cannot run on chunks that workers process independently, and is not offered here.
const FAST_SPECS: OptSpec[] = [
  { name: 'content-scale', type: 'number', help: 'divide width and height by this first (as pytorch/examples)' },
  { name: 'size', type: 'int', help: 'resize so the longest side is N pixels' },
  { name: 'value-range', type: 'string', choices: ['255', '1'], help: 'ONNX models: values they take and give' },
];

export const TASK_OPTIONS: Record<'style' | 'translate' | 'fast', TaskOptionsKind> = {
  style: {
    specs: STYLE_OPTIONS.filter((s) => !NOT_PER_TASK.has(s.name)),
    check(values) {
      const o = toStylize(values);
      resolveSettings(o, 1, o.weights === 'random');
    },
  },
  translate: { specs: TRANSLATE_SPECS },
  fast: {
    specs: FAST_SPECS,
    check(values) {
      checkContentOptions({ contentScale: values['content-scale'] as number | undefined, size: values.size as number | undefined });
    },
  },
};

/** Flag values as the style command's library options. */
export function toStylize(values: FlagValues): Omit<StylizeOptions, 'content' | 'styles'> {
  return styleOptionsFrom(new Opts(parseArgs(toArgv(values), STYLE_OPTIONS)));
}

/** Flag values back to a command line for the command's own parser. */
export function toArgv(values: FlagValues): string[] {
  const argv: string[] = [];
  for (const [k, v] of Object.entries(values)) {
    if (typeof v === 'boolean') argv.push(`--${k}=${v}`);
    else argv.push(`--${k}=${Array.isArray(v) ? v.join(',') : String(v)}`);
  }
  return argv;
}

function kebab(k: string): string {
  return k.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

function findSpec(specs: readonly OptSpec[], key: string): OptSpec | undefined {
  const forms = new Set([key, key.replace(/_/g, '-'), kebab(key), key.replace(/-/g, '_')]);
  return specs.find((s) => [s.name, ...(s.aliases ?? [])].some((n) => forms.has(n) || forms.has(n.replace(/_/g, '-'))));
}

function describe(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : JSON.stringify(v);
}

/**
 * Checks `options` of one task (at `where`, e.g. `tasks[0].style.options`) and returns canonical
 * flag values with defaults filled. Errors name the field: `tasks[0].style.options.size: ...`.
 */
export function checkTaskOptions(kind: keyof typeof TASK_OPTIONS, raw: unknown, where: string): FlagValues {
  const { specs, check } = TASK_OPTIONS[kind];
  if (raw === undefined) raw = {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new JobFileError(`${where}: must be an object of flag names and values`);
  const values: FlagValues = {};
  for (const s of specs) if (s.default !== undefined) values[s.name] = s.default;
  for (const [key, v] of Object.entries(raw as Record<string, unknown>)) {
    const field = `${where}.${key}`;
    if (NOT_PER_TASK.has(kebab(key))) throw new JobFileError(`${field}: not a task option (set by the batch or the worker)`);
    const spec = findSpec(specs, key);
    if (!spec) throw new JobFileError(`${field}: unknown option for ${kind}${specs.length ? ` (known: ${specs.map((s) => s.name).join(', ')})` : ''}`);
    let text: string;
    if (spec.type === 'boolean') {
      if (typeof v !== 'boolean') throw new JobFileError(`${field}: must be true or false, got ${describe(v)}`);
      values[spec.name] = v;
      continue;
    } else if (spec.type === 'list' && Array.isArray(v)) text = v.map(String).join(',');
    else if (typeof v === 'number' && (spec.type === 'number' || spec.type === 'int' || spec.type === 'list')) text = String(v);
    else if (typeof v === 'string' && spec.type !== 'number' && spec.type !== 'int') text = v;
    else throw new JobFileError(`${field}: must be ${spec.type === 'int' ? 'a whole number' : spec.type === 'number' ? 'a number' : spec.type === 'list' ? 'a list' : 'a string'}, got ${describe(v)}`);
    try {
      const parsed = parseArgs([`--${spec.name}=${text}`], [spec]);
      values[spec.name] = parsed.values.get(spec.name)!;
    } catch (e) {
      if (e instanceof UsageError) throw new JobFileError(`${field}: ${e.message.replace(/^option --\S+ /, '')}`);
      throw e;
    }
  }
  if (check) {
    try {
      check(values);
    } catch (e) {
      const msg = (e as Error).message;
      const m = /^(?:option )?--([\w-]+):? (.*)$/.exec(msg);
      throw new JobFileError(m ? `${where}.${m[1]}: ${m[2]}` : `${where}: ${msg}`);
    }
  }
  return sortKeys(values);
}

function sortKeys(v: FlagValues): FlagValues {
  return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)));
}
