/**
 * A command: its options schema plus what the command line, `--help`, the docs and the studio
 * need to know about it. `resolve` is the one place where defaults are filled in and values
 * checked, for the library, the CLI, job files and HTTP requests alike.
 */
import Value from 'typebox/value';
import { describeAll, type OptionInfo, type Static, type TObject, type TProperties } from './schema.js';
import { OptionError } from './errors.js';

export interface Positional {
  name: string;
  help: string;
  /** Takes every remaining argument. */
  variadic?: boolean;
  optional?: boolean;
}

/** Flags the command line adds to a command's own options; they never reach the library. */
export type CliFlag = 'json' | 'quiet';

export interface CommandSpec<P extends TProperties> {
  /** As typed after `ai-art`, e.g. `style` or `cyclegan train`. */
  name: string;
  summary: string;
  usage: string;
  description?: string;
  positionals?: readonly Positional[];
  options: TObject<P>;
  cliFlags?: readonly CliFlag[];
  /** Rules that tie several options together; throw OptionError. Runs after the schema check. */
  check?(o: Static<TObject<P>>): void;
  /** Headings in the order help and forms show them (others follow in declaration order). */
  groups?: readonly string[];
}

export interface Command<P extends TProperties = TProperties> extends CommandSpec<P> {
  readonly info: readonly OptionInfo[];
  /** Fills defaults and validates; the result is complete. Throws OptionError naming the option. */
  resolve(input: unknown): Static<TObject<P>>;
  /** The options' JSON Schema (with `x-*` annotations for forms). */
  jsonSchema(): Record<string, unknown>;
}

export type OptionsOf<C> = C extends Command<infer P> ? Static<TObject<P>> : never;
/** What a library caller may pass: every option with a default may be left out. */
export type InputOf<C> = Partial<OptionsOf<C>>;

export function defineCommand<P extends TProperties>(spec: CommandSpec<P>): Command<P> {
  const info = describeAll(spec.options);
  const byKey = new Map(info.map((i) => [i.key, i]));
  return {
    ...spec,
    info,
    resolve(input: unknown): Static<TObject<P>> {
      if (input === null || typeof input !== 'object' || Array.isArray(input))
        throw new OptionError(`${spec.name}: options must be an object`);
      const given = input as Record<string, unknown>;
      for (const k of Object.keys(given)) {
        if (!byKey.has(k)) throw new OptionError(`${spec.name}: unknown option '${k}'${suggest(k, [...byKey.keys()])}`, k);
      }
      const o: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(given)) if (v !== undefined) o[k] = structuredClone(v);
      for (const i of info) if (o[i.key] === undefined && i.default !== undefined) o[i.key] = structuredClone(i.default);
      const missing = info.filter((i) => i.required && o[i.key] === undefined);
      if (missing.length === 1) throw new OptionError(`missing ${flagName(missing[0])}: ${missing[0].help}`, missing[0].key);
      if (missing.length > 1) throw new OptionError(`missing ${missing.map(flagName).join(', ')}`, missing[0].key);
      for (const i of info) {
        if (o[i.key] === undefined) continue;
        if (!Value.Check(i.schema, o[i.key])) throw new OptionError(`${flagName(i)} ${allowed(i)}, got ${show(o[i.key])}`, i.key);
      }
      const typed = o as Static<TObject<P>>;
      spec.check?.(typed);
      return typed;
    },
    jsonSchema(): Record<string, unknown> {
      return JSON.parse(JSON.stringify(spec.options)) as Record<string, unknown>;
    },
  };
}

export function flagName(i: Pick<OptionInfo, 'flag'>): string {
  return `--${i.flag}`;
}

function show(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : Array.isArray(v) ? `[${v.map(show).join(', ')}]` : String(v);
}

function range(i: OptionInfo): string {
  const lo = i.exclusiveMinimum !== undefined ? `> ${i.exclusiveMinimum}` : i.minimum !== undefined ? `≥ ${i.minimum}` : '';
  const hi = i.maximum !== undefined ? `≤ ${i.maximum}` : '';
  return [lo, hi].filter(Boolean).join(' and ');
}

/** What an option accepts, as a phrase: "must be a whole number ≥ 16". */
export function allowed(i: OptionInfo): string {
  const r = range(i);
  switch (i.kind) {
    case 'choice':
      return `must be one of ${(i.choices ?? []).join(', ')}`;
    case 'boolean':
      return 'must be true or false';
    case 'int':
      return `must be a whole number${r ? ` ${r}` : ''}`;
    case 'number':
      return `must be a number${r ? ` ${r}` : ''}`;
    case 'numbers':
      return `must be a list of numbers${r ? ` each ${r}` : ''}`;
    case 'strings':
      return 'must be a list of names';
    default:
      return 'must be text';
  }
}

export function suggest(word: string, names: readonly string[]): string {
  let best = '';
  let bestD = 3;
  for (const k of names) {
    const d = distance(word, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best ? ` (did you mean ${best}?)` : '';
}

function distance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}
