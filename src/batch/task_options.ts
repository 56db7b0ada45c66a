/**
 * A task's `options`: the command's own options (src/options), by key (`contentWeight`), flag
 * (`content-weight`), snake_case or alias, resolved by the command's `resolve` (defaults filled,
 * schema and cross-option checks) with errors pointing at the job file's field.
 */
import Type from 'typebox';
import { fastStylizeCommand, styleCommand, translateCommand } from '../options/commands/index.js';
import type { Command } from '../options/command.js';
import { OptionError } from '../options/errors.js';
import { kebab, type OptionInfo } from '../options/schema.js';

/** Option key → value, every default filled in: the canonical form that names outputs. */
export type TaskOptions = Record<string, unknown>;

export class JobFileError extends Error {
  override name = 'JobFileError';
}

export type TaskKind = 'style' | 'translate' | 'fast';

export const TASK_COMMANDS: Record<TaskKind, Command> = {
  style: styleCommand as unknown as Command,
  translate: translateCommand as unknown as Command,
  fast: fastStylizeCommand as unknown as Command,
};

/**
 * Options a task may not set: where outputs go and how many threads run are the batch's and the
 * worker's; a style job has one style, so no blend; the model is the task's own field. Fast's
 * temporal smoothing carries state from frame to frame, which chunks that workers process
 * independently cannot, and chunks are encoded by the batch (video batching and encoder flags
 * are the command's own).
 */
const NOT_PER_TASK: Record<TaskKind, Set<string>> = {
  style: new Set(['output', 'threads', 'saveEvery', 'styleBlendWeights']),
  translate: new Set(['output', 'threads', 'model']),
  fast: new Set(['output', 'threads', 'model', 'temporalSmoothing', 'batch', 'crf', 'ffmpeg', 'ffprobe']),
};

function whyNot(key: string): string {
  if (key === 'model') return "the task's own field";
  if (key === 'styleBlendWeights') return 'a style job has one style';
  if (['output', 'threads', 'saveEvery'].includes(key)) return 'set by the batch or the worker';
  return 'video chunks are processed independently and encoded by the batch';
}

/** The options a task kind takes, as the command declares them. */
export function taskOptionInfo(kind: TaskKind): OptionInfo[] {
  return TASK_COMMANDS[kind].info.filter((i) => !NOT_PER_TASK[kind].has(i.key));
}

function findOption(kind: TaskKind, name: string): OptionInfo | undefined {
  const forms = new Set([name, kebab(name), name.replace(/_/g, '-'), name.replace(/-/g, '_')]);
  return TASK_COMMANDS[kind].info.find((i) => [i.key, i.flag, kebab(i.key), ...i.aliases].some((n) => forms.has(n) || forms.has(n.replace(/_/g, '-'))));
}

/**
 * Checks `options` of one task (at `where`, e.g. `tasks[0].style.options`) and returns them
 * resolved. Errors name the field as written: `tasks[0].style.options.size: must be ...`.
 */
export function checkTaskOptions(kind: TaskKind, raw: unknown, where: string, fixed: Record<string, unknown> = {}): TaskOptions {
  const cmd = TASK_COMMANDS[kind];
  if (raw === undefined) raw = {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new JobFileError(`${where}: must be an object of option names and values`);
  const input: Record<string, unknown> = {};
  const written = new Map<string, string>();
  for (const [name, v] of Object.entries(raw as Record<string, unknown>)) {
    const field = `${where}.${name}`;
    const info = findOption(kind, name);
    if (!info) {
      const known = taskOptionInfo(kind).map((i) => i.flag);
      throw new JobFileError(`${field}: unknown option for ${kind}${known.length ? ` (known: ${known.join(', ')})` : ''}`);
    }
    if (NOT_PER_TASK[kind].has(info.key)) throw new JobFileError(`${field}: not a task option (${whyNot(info.key)})`);
    // Lists may be written as on the command line: "conv1_1,conv2_1".
    let value = v;
    if (typeof v === 'string' && (info.kind === 'strings' || info.kind === 'numbers')) {
      const parts = v.split(',').map((s) => s.trim()).filter(Boolean);
      value = info.kind === 'numbers' ? parts.map(Number) : parts;
    }
    input[info.key] = value;
    written.set(info.key, name);
  }
  try {
    // `fixed`: the task's own fields that the command takes as options (translate's model).
    const resolved = cmd.resolve({ ...input, ...fixed }) as TaskOptions;
    // Only what the task may set names its outputs (the defaults of the rest are the command's).
    for (const k of Object.keys(resolved)) if (NOT_PER_TASK[kind].has(k)) delete resolved[k];
    return resolved;
  } catch (e) {
    const msg = (e as Error).message;
    // Messages name the flag (`--size must be ...`, `--style-layers: unknown ...`); the job file
    // names the field as the user wrote it.
    const m = /^--([\w-]+):? (.*)$/s.exec(msg);
    const key = e instanceof OptionError && e.option ? e.option : m ? cmd.info.find((i) => i.flag === m[1])?.key : undefined;
    const name = key ? (written.get(key) ?? cmd.info.find((i) => i.key === key)?.flag ?? key) : undefined;
    throw new JobFileError(name ? `${where}.${name}: ${m ? m[2] : msg}` : `${where}: ${msg}`);
  }
}

/**
 * The job file's JSON Schema, built from the commands' option schemas (for editors and the
 * studio; `checkJobFile` gives the field-named errors).
 */
export function jobFileSchema(): Record<string, unknown> {
  const paths = Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1 })]);
  const taskOptions = (kind: TaskKind) =>
    Type.Object(Object.fromEntries(taskOptionInfo(kind).map((i) => [i.key, Type.Optional(i.schema)])), { additionalProperties: false });
  const task = (kind: TaskKind, fields: Record<string, ReturnType<typeof Type.String> | typeof paths>) =>
    Type.Object({ [kind]: Type.Object({ ...fields, options: Type.Optional(taskOptions(kind)) }, { additionalProperties: false }) }, { additionalProperties: false });
  const schema = Type.Object(
    {
      output: Type.String({ description: 'output folder, relative to the job file' }),
      attempts: Type.Optional(Type.Integer({ minimum: 1, default: 3, description: 'tries per job on the queue' })),
      chunkFrames: Type.Optional(Type.Integer({ minimum: 1, default: 120, description: 'frames per video chunk' })),
      tasks: Type.Array(
        Type.Union([
          task('style', { contents: paths, styles: paths }),
          task('translate', { inputs: paths, model: Type.String() }),
          task('fast', { inputs: paths, model: Type.String() }),
        ]),
        { minItems: 1 },
      ),
    },
    { additionalProperties: false },
  );
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
}
