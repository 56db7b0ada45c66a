/**
 * The command line from a command's schema. Each option answers to its flag, its aliases, and
 * their snake_case, kebab-case and lower-case spellings, so the references' names
 * (`--lambda_A`, `--content-weight`, `--image_size`) all work. Values are converted by the
 * option's kind; ranges and choices are left to `Command.resolve`, which checks every caller.
 */
import type { CliFlag, Command } from './command.js';
import { suggest } from './command.js';
import { UsageError } from './errors.js';
import type { OptionInfo, TProperties } from './schema.js';

export interface ParsedArgv {
  /** Values by option key, only those given. */
  values: Record<string, unknown>;
  /** Keys given explicitly. */
  given: Set<string>;
  positionals: string[];
  help: boolean;
  json: boolean;
  quiet: boolean;
}

/** The flags every command line takes besides the command's options. */
export const CLI_FLAGS: Record<CliFlag | 'help', { aliases: string[]; help: string }> = {
  help: { aliases: ['h'], help: 'show this help' },
  json: { aliases: [], help: 'print one JSON line with the result at the end (for scripts)' },
  quiet: { aliases: ['q'], help: 'no progress bar' },
};

export function spellings(name: string): string[] {
  return [...new Set([name, name.replace(/-/g, '_'), name.replace(/_/g, '-'), name.toLowerCase().replace(/_/g, '-')])];
}

type Target = { info: OptionInfo } | { cli: CliFlag | 'help' };

export function parseArgv<P extends TProperties>(cmd: Command<P>, argv: readonly string[]): ParsedArgv {
  const byFlag = new Map<string, Target>();
  for (const info of cmd.info) for (const n of [info.flag, ...info.aliases]) for (const sp of spellings(n)) byFlag.set(sp, { info });
  for (const f of ['help', ...(cmd.cliFlags ?? [])] as const) for (const n of [f, ...CLI_FLAGS[f].aliases]) byFlag.set(n, { cli: f });

  const out: ParsedArgv = { values: {}, given: new Set(), positionals: [], help: false, json: false, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-' || /^-\d/.test(a)) {
      out.positionals.push(a);
      continue;
    }
    let flag = a.replace(/^--?/, '');
    let inline: string | undefined;
    const eq = flag.indexOf('=');
    if (eq >= 0) {
      inline = flag.slice(eq + 1);
      flag = flag.slice(0, eq);
    }
    let target = byFlag.get(flag);
    let negated = false;
    if (!target && flag.startsWith('no-')) {
      const t = byFlag.get(flag.slice(3));
      if (t && 'info' in t && t.info.kind === 'boolean') {
        target = t;
        negated = true;
      }
    }
    if (!target) throw new UsageError(`unknown option ${a}${suggest(flag, [...byFlag.keys()]).replace('mean ', 'mean --')}`);
    if ('cli' in target) {
      out[target.cli] = inline === undefined ? true : parseBool(`--${target.cli}`, inline);
      continue;
    }
    const info = target.info;
    if (info.kind === 'boolean') {
      out.values[info.key] = inline === undefined ? !negated : parseBool(`--${info.flag}`, inline);
      out.given.add(info.key);
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined) throw new UsageError(`option --${info.flag} needs a value`);
    out.values[info.key] = convert(info, raw);
    out.given.add(info.key);
  }
  return out;
}

function parseBool(flag: string, raw: string): boolean {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new UsageError(`option ${flag} takes true or false, got '${raw}'`);
}

function toNumber(info: OptionInfo, raw: string, whole: boolean): number {
  const v = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(v) || (whole && !Number.isInteger(v)))
    throw new UsageError(`option --${info.flag} takes ${whole ? 'a whole number' : 'a number'}, got '${raw}'`);
  return v;
}

function convert(info: OptionInfo, raw: string): unknown {
  switch (info.kind) {
    case 'int':
      return toNumber(info, raw, true);
    case 'number':
      return toNumber(info, raw, false);
    case 'choice':
      if (!info.choices?.includes(raw)) throw new UsageError(`option --${info.flag} must be one of ${(info.choices ?? []).join(', ')}; got '${raw}'`);
      return raw;
    case 'strings':
      return raw.split(',').map((s) => s.trim()).filter(Boolean);
    case 'numbers':
      return raw.split(',').map((s) => s.trim()).filter(Boolean).map((s) => toNumber(info, s, false));
    default:
      return raw;
  }
}
