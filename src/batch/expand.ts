/**
 * Tasks into jobs. A job's output name is derived from what determines its pixels: the bytes of
 * its inputs, the model and the canonical options (sorted keys, defaults filled). So a re-run
 * skips what exists, and a job delivered twice writes the same file twice, never two different
 * results.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { TaskOptions } from './task_options.js';
import { JobFileError, type JobFile, type Task } from './jobfile.js';
import { chunkRanges, probeVideo, type VideoInfo } from './video.js';

export const IMAGE_EXT = /\.(png|jpe?g|webp|tiff?|gif|bmp|avif)$/i;
export const VIDEO_EXT = /\.(mp4|mov|mkv|webm|avi|m4v)$/i;

interface JobBase {
  /** Stable id: the hash in the output name. */
  id: string;
  /** Absolute output file. */
  output: string;
  /** Index of the task in the job file. */
  task: number;
  options: TaskOptions;
  /** Ids of jobs that must be done first (a video's chunks before its assembly). */
  after?: string[];
}
export interface StyleJob extends JobBase {
  kind: 'style';
  content: string;
  style: string;
  /** Position in the task's grid: content row, style column. */
  row: number;
  col: number;
}
export interface TranslateJob extends JobBase {
  kind: 'translate';
  input: string;
  model: string;
}
export interface FastJob extends JobBase {
  kind: 'fast';
  input: string;
  model: string;
}
/** Frames [start, start + count) of a video through a translate or fast model, to a lossless chunk. */
export interface ChunkJob extends JobBase {
  kind: 'chunk';
  of: 'translate' | 'fast';
  input: string;
  model: string;
  start: number;
  count: number;
  video: VideoInfo;
  /** The assembled video: once it exists, the chunk is not needed. */
  final: string;
}
/** A video's chunks joined in order, with its audio. */
export interface AssembleJob extends JobBase {
  kind: 'assemble';
  of: 'translate' | 'fast';
  input: string;
  model: string;
  chunks: string[];
  video: VideoInfo;
}
export type JobSpec = StyleJob | TranslateJob | FastJob | ChunkJob | AssembleJob;

/** What the results page needs to lay a task out. */
export interface TaskLayout {
  kind: Task['kind'];
  /** Style: content labels (rows) and style labels (columns); others: input labels. */
  rows: string[];
  cols: string[];
}

export interface Expanded {
  jobs: JobSpec[];
  layout: TaskLayout[];
}

/** Files (and the images or videos directly inside folders), in a stable order. */
export function listInputs(inputs: readonly string[], videos: boolean, where: string): string[] {
  const ok = (f: string) => IMAGE_EXT.test(f) || (videos && VIDEO_EXT.test(f));
  const out: string[] = [];
  for (const p of inputs) {
    if (fs.statSync(p).isDirectory()) {
      const files = fs.readdirSync(p).filter(ok).sort();
      if (files.length === 0) throw new JobFileError(`${where}: ${p}: no ${videos ? 'images or videos' : 'images'} in this folder`);
      out.push(...files.map((f) => path.join(p, f)));
    } else out.push(p);
  }
  return out;
}

const digests = new Map<string, string>();
/** sha256 of a file's bytes (memoised per path within a process). */
export function fileDigest(file: string): string {
  let d = digests.get(file);
  if (!d) {
    const h = createHash('sha256');
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
    } finally {
      fs.closeSync(fd);
    }
    d = h.digest('hex');
    digests.set(file, d);
  }
  return d;
}

/** JSON with sorted keys at every level: the same value always gives the same text. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export function shortHash(v: unknown, n = 12): string {
  return createHash('sha256').update(canonicalJson(v)).digest('hex').slice(0, n);
}

function stem(file: string): string {
  return path.basename(file, path.extname(file)).replace(/[^\w.-]+/g, '_');
}

/** A zoo name as it is, a file by its bytes. */
function modelKey(model: string): string {
  return path.isAbsolute(model) ? `sha256:${fileDigest(model)}` : model;
}

export async function expandJobs(jf: JobFile): Promise<Expanded> {
  const jobs = new Map<string, JobSpec>();
  const layout: TaskLayout[] = [];
  const add = (j: JobSpec) => {
    if (!jobs.has(j.id)) jobs.set(j.id, j);
  };
  for (const [task, t] of jf.tasks.entries()) {
    const where = `tasks[${task}].${t.kind}`;
    if (t.kind === 'style') {
      const contents = listInputs(t.contents, false, `${where}.contents`);
      const styles = listInputs(t.styles, false, `${where}.styles`);
      layout.push({ kind: 'style', rows: contents.map((f) => path.basename(f)), cols: styles.map((f) => path.basename(f)) });
      contents.forEach((content, row) =>
        styles.forEach((style, col) => {
          const id = shortHash({ kind: 'style', content: fileDigest(content), style: fileDigest(style), options: t.options });
          const output = path.join(jf.output, 'style', `${stem(content)}__${stem(style)}.${id}.png`);
          add({ kind: 'style', id, output, task, options: t.options, content, style, row, col });
        }),
      );
    } else {
      const inputs = listInputs(t.inputs, true, `${where}.inputs`);
      layout.push({ kind: t.kind, rows: inputs.map((f) => path.basename(f)), cols: [t.model] });
      for (const input of inputs) {
        const id = shortHash({ kind: t.kind, input: fileDigest(input), model: modelKey(t.model), options: t.options });
        const base = { task, options: t.options, input, model: t.model };
        if (!VIDEO_EXT.test(input)) {
          add({ kind: t.kind, id, output: path.join(jf.output, t.kind, `${stem(input)}__${stem(t.model)}.${id}.png`), ...base });
          continue;
        }
        let video: VideoInfo;
        try {
          video = await probeVideo(input);
        } catch (e) {
          throw new JobFileError(`${where}.inputs: ${(e as Error).message}`);
        }
        // Chunks hold intermediate frames; their names carry the video's id and their range.
        const chunkDir = path.join(jf.output, t.kind, '.chunks', id);
        const output = path.join(jf.output, t.kind, `${stem(input)}__${stem(t.model)}.${id}.mp4`);
        const chunks = chunkRanges(video.frames, jf.chunkFrames).map(([start, count]): ChunkJob => ({
          kind: 'chunk', of: t.kind, id: `${id}-${start}`, output: path.join(chunkDir, `${String(start).padStart(8, '0')}.mkv`), start, count, video, final: output, ...base,
        }));
        chunks.forEach(add);
        add({ kind: 'assemble', of: t.kind, id, output, chunks: chunks.map((c) => c.output), after: chunks.map((c) => c.id), video, ...base });
      }
    }
  }
  return { jobs: [...jobs.values()], layout };
}

/** Whether a job's work is already on disk (a chunk's also once its video is assembled). */
export function isDone(j: JobSpec): boolean {
  return fs.existsSync(j.output) || (j.kind === 'chunk' && fs.existsSync(j.final));
}

/** A short label for logs and progress. */
export function jobLabel(j: JobSpec): string {
  if (j.kind === 'style') return `${path.basename(j.content)} x ${path.basename(j.style)}`;
  const what = j.kind === 'chunk' ? ` frames ${j.start}..${j.start + j.count - 1}` : j.kind === 'assemble' ? ' assembly' : '';
  return `${path.basename(j.input)}${what} (${path.basename(j.model)})`;
}
