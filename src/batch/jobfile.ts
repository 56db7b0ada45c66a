/**
 * The job file: JSON or YAML with the same fields. Everything is checked before anything runs;
 * errors name the entry and field (`tasks[1].translate.model: ...`). Relative paths resolve
 * against the job file's folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { defaultHub } from '../weights/index.js';
import { checkTaskOptions, JobFileError, type TaskOptions } from './task_options.js';

export { JobFileError } from './task_options.js';

export interface StyleTask {
  kind: 'style';
  contents: string[];
  styles: string[];
  options: TaskOptions;
}
export interface TranslateTask {
  kind: 'translate';
  inputs: string[];
  /** A zoo name, or an absolute path to a .pth. */
  model: string;
  options: TaskOptions;
}
export interface FastTask {
  kind: 'fast';
  inputs: string[];
  model: string;
  options: TaskOptions;
}
export type Task = StyleTask | TranslateTask | FastTask;

export interface JobFile {
  /** Absolute path of the file read ('' for an object given directly). */
  file: string;
  /** Absolute output folder. */
  output: string;
  tasks: Task[];
  /** Tries per job on the queue (1 = no retry). */
  attempts: number;
  /** Frames per chunk of a video: the unit a worker takes. */
  chunkFrames: number;
}

const TOP_KEYS = new Set(['output', 'tasks', 'attempts', 'chunkFrames']);
const TASK_FIELDS: Record<Task['kind'], { lists: string[]; strings: string[] }> = {
  style: { lists: ['contents', 'styles'], strings: [] },
  translate: { lists: ['inputs'], strings: ['model'] },
  fast: { lists: ['inputs'], strings: ['model'] },
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads and checks a job file; throws JobFileError naming the field at fault. */
export function readJobFile(file: string): JobFile {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (e) {
    throw new JobFileError(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = /\.ya?ml$/i.test(abs) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new JobFileError(`${file}: not valid ${/\.ya?ml$/i.test(abs) ? 'YAML' : 'JSON'}: ${(e as Error).message.split('\n')[0]}`);
  }
  try {
    return checkJobFile(doc, path.dirname(abs), abs);
  } catch (e) {
    if (e instanceof JobFileError) throw new JobFileError(`${file}: ${e.message}`);
    throw e;
  }
}

/** Checks a parsed job file; relative paths resolve against `baseDir`. */
export function checkJobFile(doc: unknown, baseDir: string, file = ''): JobFile {
  if (!isObject(doc)) throw new JobFileError('the job file must be an object with "output" and "tasks"');
  for (const k of Object.keys(doc)) if (!TOP_KEYS.has(k)) throw new JobFileError(`${k}: unknown field (known: ${[...TOP_KEYS].join(', ')})`);
  if (typeof doc.output !== 'string' || doc.output === '') throw new JobFileError('output: must be a folder name');
  const attempts = doc.attempts ?? 3;
  if (typeof attempts !== 'number' || !Number.isInteger(attempts) || attempts < 1) throw new JobFileError(`attempts: must be a whole number ≥ 1, got ${JSON.stringify(attempts)}`);
  const chunkFrames = doc.chunkFrames ?? 120;
  if (typeof chunkFrames !== 'number' || !Number.isInteger(chunkFrames) || chunkFrames < 1) throw new JobFileError(`chunkFrames: must be a whole number ≥ 1, got ${JSON.stringify(chunkFrames)}`);
  if (!Array.isArray(doc.tasks) || doc.tasks.length === 0) throw new JobFileError('tasks: must be a non-empty list');
  const tasks = doc.tasks.map((t: unknown, i: number) => checkTask(t, `tasks[${i}]`, baseDir));
  return { file, output: path.resolve(baseDir, doc.output), tasks, attempts, chunkFrames };
}

function checkTask(t: unknown, where: string, baseDir: string): Task {
  if (!isObject(t)) throw new JobFileError(`${where}: must be an object like {"style": {...}}`);
  const keys = Object.keys(t);
  if (keys.length !== 1 || !(keys[0] in TASK_FIELDS)) {
    throw new JobFileError(`${where}: must have exactly one of ${Object.keys(TASK_FIELDS).join(', ')}; got ${keys.join(', ') || 'nothing'}`);
  }
  const kind = keys[0] as Task['kind'];
  const body = t[kind];
  const at = `${where}.${kind}`;
  if (!isObject(body)) throw new JobFileError(`${at}: must be an object`);
  const { lists, strings } = TASK_FIELDS[kind];
  for (const k of Object.keys(body)) {
    if (![...lists, ...strings, 'options'].includes(k)) throw new JobFileError(`${at}.${k}: unknown field (known: ${[...lists, ...strings, 'options'].join(', ')})`);
  }
  const paths: Record<string, string[]> = {};
  for (const k of lists) paths[k] = checkPaths(body[k], `${at}.${k}`, baseDir);
  const str: Record<string, string> = {};
  for (const k of strings) {
    const v = body[k];
    if (typeof v !== 'string' || v === '') throw new JobFileError(`${at}.${k}: must be a name or a file path`);
    str[k] = v;
  }
  const options = checkTaskOptions(kind, body.options, `${at}.options`, kind === 'style' ? {} : { model: str.model, output: '-' });
  if (kind === 'style') return { kind, contents: paths.contents, styles: paths.styles, options };
  const model = modelPath(str.model, `${at}.model`, baseDir);
  return { kind, inputs: paths.inputs, model, options };
}

/** A model is a zoo name unless it looks like a file; a name must be in the zoo, a file must exist. */
function modelPath(model: string, where: string, baseDir: string): string {
  const local = path.resolve(baseDir, model);
  if (!/\.(pth|pt|model|ckpt|onnx|t7)$/i.test(model) && !fs.existsSync(local)) {
    try {
      defaultHub().lookup(model);
    } catch (e) {
      throw new JobFileError(`${where}: ${(e as Error).message}`);
    }
    return model;
  }
  if (!fs.existsSync(local)) throw new JobFileError(`${where}: ${model}: no such file`);
  return local;
}

function checkPaths(v: unknown, where: string, baseDir: string): string[] {
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length === 0) throw new JobFileError(`${where}: must be a non-empty list of files or folders`);
  return list.map((p: unknown, i: number) => {
    if (typeof p !== 'string' || p === '') throw new JobFileError(`${where}[${i}]: must be a file or folder path`);
    const abs = path.resolve(baseDir, p);
    if (!fs.existsSync(abs)) throw new JobFileError(`${where}[${i}]: ${p}: no such file or folder`);
    return abs;
  });
}
