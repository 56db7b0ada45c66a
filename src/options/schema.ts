/**
 * Option builders: each option of each command is declared once, as a TypeBox schema carrying
 * its command-line spelling, help line and form hints as JSON Schema annotations (`x-*`).
 *
 * TypeBox rather than zod: its schemas *are* JSON Schema (no conversion step), which Fastify
 * validates natively for the studio's HTTP API and which the studio's forms read as they are,
 * while `Static<>` still gives the library its option types.
 */
import Type, { type Static, type TArray, type TBoolean, type TEnum, type TInteger, type TNumber, type TObject, type TOptional, type TProperties, type TSchema, type TString } from 'typebox';

export type { Static, TObject, TProperties, TSchema };

/** What the studio's form shows for a string option that names something on disk. */
export type PathKind = 'file' | 'dir' | 'image' | 'images' | 'model' | 'output';

export interface OptionMeta {
  /** One line of help. */
  help: string;
  /** The command-line name when it differs from the key in kebab-case (the references' spelling). */
  flag?: string;
  /** Other accepted names (old spellings, short forms such as `o`). */
  aliases?: readonly string[];
  /** Heading under which `--help` and the studio list the option. */
  group?: string;
  /** Folded away in the studio's form. */
  advanced?: boolean;
  /** Shown in help instead of the type. */
  metavar?: string;
  /** Accepted for compatibility with the reference and ignored; the note says why. */
  ignored?: string;
}

interface NumberBounds {
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
}

/** JSON Schema annotation keys (unknown keywords are allowed by JSON Schema and kept by TypeBox). */
export const META_KEYS = {
  flag: 'x-flag',
  aliases: 'x-aliases',
  group: 'x-group',
  advanced: 'x-advanced',
  metavar: 'x-metavar',
  ignored: 'x-ignored',
  path: 'x-path',
  list: 'x-list',
} as const;

function annotations(m: OptionMeta & { default?: unknown; path?: PathKind }): Record<string, unknown> {
  const a: Record<string, unknown> = { description: m.help };
  if (m.default !== undefined) a.default = m.default;
  if (m.flag) a[META_KEYS.flag] = m.flag;
  if (m.aliases?.length) a[META_KEYS.aliases] = [...m.aliases];
  if (m.group) a[META_KEYS.group] = m.group;
  if (m.advanced) a[META_KEYS.advanced] = true;
  if (m.metavar) a[META_KEYS.metavar] = m.metavar;
  if (m.ignored) a[META_KEYS.ignored] = m.ignored;
  if (m.path) a[META_KEYS.path] = m.path;
  return a;
}

type WithDefault<M, V> = M & { default: V };
type Maybe<T extends TSchema> = TOptional<T>;

function optional<T extends TSchema>(t: T, hasDefault: boolean): T | Maybe<T> {
  return hasDefault ? t : Type.Optional(t);
}

/** A whole number. Without a default the option may be left out (its absence means something). */
function int(m: WithDefault<OptionMeta & NumberBounds, number>): TInteger;
function int(m: OptionMeta & NumberBounds): Maybe<TInteger>;
function int(m: OptionMeta & NumberBounds & { default?: number }): TInteger | Maybe<TInteger> {
  return optional(Type.Integer({ ...bounds(m), ...annotations(m) }), m.default !== undefined);
}

function number(m: WithDefault<OptionMeta & NumberBounds, number>): TNumber;
function number(m: OptionMeta & NumberBounds): Maybe<TNumber>;
function number(m: OptionMeta & NumberBounds & { default?: number }): TNumber | Maybe<TNumber> {
  return optional(Type.Number({ ...bounds(m), ...annotations(m) }), m.default !== undefined);
}

function bounds(m: NumberBounds): NumberBounds {
  const b: NumberBounds = {};
  if (m.minimum !== undefined) b.minimum = m.minimum;
  if (m.maximum !== undefined) b.maximum = m.maximum;
  if (m.exclusiveMinimum !== undefined) b.exclusiveMinimum = m.exclusiveMinimum;
  return b;
}

interface StringMeta extends OptionMeta {
  path?: PathKind;
  pattern?: string;
  /** Must be given (no default), e.g. an output path. */
  required?: boolean;
}

function string(m: WithDefault<StringMeta, string>): TString;
function string(m: StringMeta & { required: true }): TString;
function string(m: StringMeta): Maybe<TString>;
function string(m: StringMeta & { default?: string }): TString | Maybe<TString> {
  const extra = m.pattern ? { pattern: m.pattern } : {};
  return optional(Type.String({ ...extra, ...annotations(m) }), m.default !== undefined || m.required === true);
}

/** A switch: `--flag`, `--no-flag`, `--flag=false`. Defaults to false unless stated. */
function bool(m: OptionMeta & { default?: boolean }): TBoolean {
  return Type.Boolean(annotations({ ...m, default: m.default ?? false }));
}

/** A switch whose absence means "decide from the other options" (e.g. --normalize-layers). */
function maybeBool(m: OptionMeta): Maybe<TBoolean> {
  return Type.Optional(Type.Boolean(annotations(m)));
}

/** One of a fixed list, taken from the module that implements the choices. */
function choice<V extends string>(values: readonly V[], m: WithDefault<OptionMeta, NoInfer<V>>): TEnum<V[]>;
function choice<V extends string>(values: readonly V[], m: OptionMeta): Maybe<TEnum<V[]>>;
function choice<V extends string>(values: readonly V[], m: OptionMeta & { default?: V }): TEnum<V[]> | Maybe<TEnum<V[]>> {
  return optional(Type.Enum([...values], annotations(m)), m.default !== undefined);
}

/** A comma-separated list on the command line, an array everywhere else. */
function numbers(m: OptionMeta & NumberBounds): Maybe<TArray<TNumber>> {
  return Type.Optional(Type.Array(Type.Number({ ...bounds(m) }), { ...annotations(m), [META_KEYS.list]: true }));
}
function strings(m: WithDefault<OptionMeta & { path?: PathKind }, string[]>): TArray<TString>;
function strings(m: OptionMeta & { path?: PathKind }): Maybe<TArray<TString>>;
function strings(m: OptionMeta & { default?: string[]; path?: PathKind }): TArray<TString> | Maybe<TArray<TString>> {
  return optional(Type.Array(Type.String(), { ...annotations(m), [META_KEYS.list]: true }), m.default !== undefined);
}

export const opt = { int, number, string, bool, maybeBool, choice, numbers, strings };

/**
 * Options whose command-line flag is the key as written (the official GAN code's `--netG`,
 * `--lambda_A`), rather than the key in kebab-case.
 */
export function asWritten<P extends TProperties>(props: P): P {
  const out: TProperties = {};
  for (const [k, s] of Object.entries(props)) {
    const copy = Object.create(Object.getPrototypeOf(s) as object, Object.getOwnPropertyDescriptors(s)) as Record<string, unknown>;
    copy[META_KEYS.flag] ??= k;
    out[k] = copy as unknown as TSchema;
  }
  return out as P;
}

/** Builds a command's options object: unknown keys are refused. */
export function options<P extends TProperties>(props: P): TObject<P> {
  return Type.Object(props, { additionalProperties: false });
}

// ---------------------------------------------------------------------------------------------
// Reading the annotations back (parser, help, docs, studio forms)

export type OptionKind = 'int' | 'number' | 'string' | 'boolean' | 'choice' | 'numbers' | 'strings';

export interface OptionInfo {
  key: string;
  /** Canonical command-line name, without dashes. */
  flag: string;
  aliases: string[];
  kind: OptionKind;
  help: string;
  group: string;
  advanced: boolean;
  metavar?: string;
  ignored?: string;
  default?: unknown;
  choices?: string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  path?: PathKind;
  required: boolean;
  schema: TSchema;
}

type Json = Record<string, unknown>;

export function kebab(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

function kindOf(s: Json): OptionKind {
  if (Array.isArray(s.enum)) return 'choice';
  if (s.type === 'integer') return 'int';
  if (s.type === 'number') return 'number';
  if (s.type === 'boolean') return 'boolean';
  if (s.type === 'array') return (s.items as Json).type === 'number' ? 'numbers' : 'strings';
  return 'string';
}

export function describe(key: string, schema: TSchema, required: boolean): OptionInfo {
  const s = schema as unknown as Json;
  const items = (s.items ?? {}) as Json;
  const num = (k: string, from: Json = s): number | undefined => (typeof from[k] === 'number' ? (from[k] as number) : undefined);
  return {
    key,
    flag: (s[META_KEYS.flag] as string | undefined) ?? kebab(key),
    aliases: (s[META_KEYS.aliases] as string[] | undefined) ?? [],
    kind: kindOf(s),
    help: String(s.description ?? ''),
    group: (s[META_KEYS.group] as string | undefined) ?? 'options',
    advanced: s[META_KEYS.advanced] === true,
    metavar: s[META_KEYS.metavar] as string | undefined,
    ignored: s[META_KEYS.ignored] as string | undefined,
    default: s.default,
    choices: Array.isArray(s.enum) ? (s.enum as string[]) : undefined,
    minimum: num('minimum') ?? num('minimum', items),
    maximum: num('maximum') ?? num('maximum', items),
    exclusiveMinimum: num('exclusiveMinimum') ?? num('exclusiveMinimum', items),
    path: s[META_KEYS.path] as PathKind | undefined,
    required: required && s.default === undefined,
    schema,
  };
}

/** Every option of an options object, in declaration order. */
export function describeAll(obj: TObject): OptionInfo[] {
  const req = new Set((obj as unknown as { required?: string[] }).required ?? []);
  return Object.entries(obj.properties).map(([k, s]) => describe(k, s, req.has(k)));
}
