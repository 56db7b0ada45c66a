/**
 * A small typed flag parser. Each option has one canonical name and aliases, so the
 * official spellings (`--lambda_A`, `--content-weight`) and kebab/snake variants all work.
 */
export type OptType = 'string' | 'number' | 'int' | 'boolean' | 'list';

export interface OptSpec {
  /** Canonical name as written on the command line, without dashes. */
  name: string;
  type: OptType;
  help: string;
  aliases?: string[];
  default?: string | number | boolean | string[];
  choices?: readonly string[];
  /** Shown in help instead of the type. */
  metavar?: string;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export type ParsedValue = string | number | boolean | string[];
export interface Parsed {
  /** Values by canonical name (defaults filled in). */
  values: Map<string, ParsedValue>;
  /** Canonical names given explicitly on the command line. */
  given: Set<string>;
  positionals: string[];
}

/** Spellings accepted for a name: as written, snake_case and kebab-case. */
function spellings(name: string): string[] {
  return [...new Set([name, name.replace(/-/g, '_'), name.replace(/_/g, '-'), name.toLowerCase().replace(/_/g, '-')])];
}

export function parseArgs(argv: readonly string[], specs: readonly OptSpec[]): Parsed {
  const byFlag = new Map<string, OptSpec>();
  for (const s of specs) for (const n of [s.name, ...(s.aliases ?? [])]) for (const sp of spellings(n)) byFlag.set(sp, s);
  const values = new Map<string, ParsedValue>();
  const given = new Set<string>();
  const positionals: string[] = [];
  for (const s of specs) if (s.default !== undefined) values.set(s.name, s.default);

  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-' || /^-\d/.test(a)) {
      positionals.push(a);
      continue;
    }
    let flag = a.replace(/^--?/, '');
    let inline: string | undefined;
    const eq = flag.indexOf('=');
    if (eq >= 0) {
      inline = flag.slice(eq + 1);
      flag = flag.slice(0, eq);
    }
    let spec = byFlag.get(flag);
    let negated = false;
    if (!spec && flag.startsWith('no-')) {
      const s = byFlag.get(flag.slice(3));
      if (s?.type === 'boolean') {
        spec = s;
        negated = true;
      }
    }
    if (!spec) throw new UsageError(`unknown option ${a}${suggest(flag, byFlag)}`);
    if (spec.type === 'boolean') {
      let v = !negated;
      if (inline !== undefined) v = parseBool(spec, inline);
      values.set(spec.name, v);
      given.add(spec.name);
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined) throw new UsageError(`option --${spec.name} needs a value`);
    values.set(spec.name, convert(spec, raw));
    given.add(spec.name);
  }
  return { values, given, positionals };
}

function parseBool(spec: OptSpec, raw: string): boolean {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new UsageError(`option --${spec.name} takes true or false, got '${raw}'`);
}

function convert(spec: OptSpec, raw: string): ParsedValue {
  if (spec.choices && !spec.choices.includes(raw)) {
    throw new UsageError(`option --${spec.name} must be one of ${spec.choices.join(', ')}; got '${raw}'`);
  }
  switch (spec.type) {
    case 'number': {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v)) throw new UsageError(`option --${spec.name} takes a number, got '${raw}'`);
      return v;
    }
    case 'int': {
      const v = Number(raw);
      if (!Number.isInteger(v)) throw new UsageError(`option --${spec.name} takes a whole number, got '${raw}'`);
      return v;
    }
    case 'list':
      return raw.split(',').map((s) => s.trim()).filter(Boolean);
    default:
      return raw;
  }
}

function suggest(flag: string, byFlag: Map<string, OptSpec>): string {
  let best = '';
  let bestD = 3;
  for (const k of byFlag.keys()) {
    const d = distance(flag, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best ? ` (did you mean --${best}?)` : '';
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

export function helpText(usage: string, specs: readonly OptSpec[], description = ''): string {
  const rows = specs.map((s) => {
    const names = [`--${s.name}`, ...(s.aliases ?? []).map((a) => `--${a}`)].join(', ');
    const arg = s.type === 'boolean' ? '' : ` ${s.metavar ?? (s.choices ? s.choices.join('|') : s.type.toUpperCase())}`;
    const def = s.default !== undefined && s.default !== false ? ` (default: ${Array.isArray(s.default) ? s.default.join(',') : s.default})` : '';
    return [`  ${names}${arg}`, `${s.help}${def}`];
  });
  const w = Math.min(44, Math.max(...rows.map((r) => r[0].length)) + 2);
  const body = rows.map(([l, r]) => (l.length >= w ? `${l}\n${' '.repeat(w)}${r}` : l.padEnd(w) + r)).join('\n');
  return `usage: ${usage}\n${description ? `\n${description}\n` : ''}\noptions:\n${body}\n`;
}

/** Typed accessors over parsed values. */
export class Opts {
  constructor(readonly p: Parsed) {}
  has(name: string): boolean {
    return this.p.given.has(name);
  }
  str(name: string): string | undefined {
    const v = this.p.values.get(name);
    return v === undefined ? undefined : String(v);
  }
  num(name: string): number | undefined {
    const v = this.p.values.get(name);
    return typeof v === 'number' ? v : undefined;
  }
  bool(name: string): boolean {
    return this.p.values.get(name) === true;
  }
  list(name: string): string[] | undefined {
    const v = this.p.values.get(name);
    return Array.isArray(v) ? v : undefined;
  }
}
