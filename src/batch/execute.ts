/**
 * Runs one job in the current process and writes its output atomically. The same function
 * serves the local pool's child processes and BullMQ's sandboxed processors, so both give the
 * same files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadImage, optionsStamp, resizeRaw, saveImage, sizeForLongestSide, type RawImage } from '../images/index.js';
import { loadContent, loadFastModel, scaledSize, stylizeImage } from '../fast/index.js';
import { stylize } from '../style/stylize.js';
import { Translator, resolveGenerator } from '../gan/translate.js';
import type { OptionsOf } from '../options/command.js';
import type { StyleOptions } from '../options/commands/style.js';
import type { translateCommand } from '../options/commands/gan.js';
import type { FastStylizeOptions } from '../options/commands/fast.js';
import type { TaskOptions } from './task_options.js';

type TranslateOptions = OptionsOf<typeof translateCommand>;
type FastOptions = Pick<FastStylizeOptions, 'contentScale' | 'size' | 'valueRange'>;
import { isDone, type JobSpec } from './expand.js';
import { decodeFrames, joinChunks, writeChunk } from './video.js';

export interface JobContext {
  threads?: number;
  signal?: AbortSignal;
  /** One line per notable event, kept with the job (Redis job log, local log). */
  log?: (line: string) => void;
}

export interface JobResult {
  id: string;
  output: string;
  /** False when the output already existed (a re-run, or a second delivery). */
  written: boolean;
  seconds: number;
}

export class JobAbortedError extends Error {
  override name = 'JobAbortedError';
}

export async function runJob(job: JobSpec, ctx: JobContext = {}): Promise<JobResult> {
  const t0 = performance.now();
  const log = ctx.log ?? (() => undefined);
  const done = (written: boolean): JobResult => ({ id: job.id, output: job.output, written, seconds: (performance.now() - t0) / 1000 });
  if (isDone(job)) {
    log(`exists: ${job.output}`);
    return done(false);
  }
  switch (job.kind) {
    case 'style': {
      const { image, report } = await stylize(
        { ...(job.options as StyleOptions), content: job.content, styles: [job.style], threads: ctx.threads },
        { signal: ctx.signal, notice: (m) => log(`note: ${m}`) },
      );
      if (report.interrupted) throw new JobAbortedError('stopped');
      log(`${report.evaluations} evaluations in ${report.seconds.toFixed(2)} s`);
      await saveImage(image, job.output, { mkdirs: true, text: optionsStamp('style', job.options, { content: path.basename(job.content), styles: [path.basename(job.style)] }) });
      break;
    }
    case 'translate':
    case 'fast': {
      const frame = await frameFunction(job.kind, job.model, job.options, ctx.threads);
      // The fast command's own loading (pytorch/examples' --content-scale), then the network alone.
      const img = job.kind === 'fast' ? await loadContent(job.input) : await loadImage(job.input);
      const out = await frame(img, job.input);
      if (ctx.signal?.aborted) throw new JobAbortedError('stopped');
      await saveImage(out, job.output, { mkdirs: true, text: optionsStamp(job.kind === 'fast' ? 'fast stylize' : 'translate', { model: job.model, ...job.options }, { input: path.basename(job.input) }) });
      break;
    }
    case 'chunk': {
      const frame = await frameFunction(job.of, job.model, job.options, ctx.threads);
      const frames = await decodeFrames(job.input, job.video, job.start, job.count);
      const out: RawImage[] = [];
      for (const [i, f] of frames.entries()) {
        if (ctx.signal?.aborted) throw new JobAbortedError('stopped');
        out.push(await frame(f, `${job.input} frame ${job.start + i}`));
      }
      await writeChunk(job.output, out, job.video.rate);
      break;
    }
    case 'assemble': {
      const missing = job.chunks.filter((c) => !fs.existsSync(c));
      if (missing.length) throw new Error(`${missing.length} of ${job.chunks.length} chunks missing (first: ${missing[0]})`);
      await joinChunks(job.chunks, job.input, job.output, job.video.rate);
      // The chunks have served; a second delivery of this job finds the video and stops above.
      fs.rmSync(path.dirname(job.chunks[0]), { recursive: true, force: true });
      break;
    }
  }
  log(`wrote ${job.output}`);
  return done(true);
}

type FrameFunction = (img: RawImage, name: string) => Promise<RawImage>;

// A worker process serves many jobs of one model: the network is read and compiled once.
const models = new Map<string, Promise<FrameFunction>>();
function frameFunction(kind: 'translate' | 'fast', model: string, options: TaskOptions, threads: number | undefined): Promise<FrameFunction> {
  const key = JSON.stringify([kind, model, options, threads]);
  let t = models.get(key);
  if (!t) {
    t =
      kind === 'translate'
        ? makeTranslator(model, options as TranslateOptions, threads).then((tr) => (img, name) => tr.translate(img, name))
        : makeFast(model, options as FastOptions, threads);
    models.set(key, t);
    t.catch(() => models.delete(key));
  }
  return t;
}

/** Content options of `fast stylize` (--size, --content-scale) applied to a picture or a frame. */
function fastSize(img: RawImage, o: FastOptions): RawImage {
  if (o.size !== undefined) {
    const t = sizeForLongestSide(img.width, img.height, o.size);
    return resizeRaw(img, t.width, t.height);
  }
  if (o.contentScale !== undefined && o.contentScale !== 1) {
    const t = scaledSize(img.width, img.height, o.contentScale);
    return resizeRaw(img, t.width, t.height);
  }
  return img;
}

async function makeFast(model: string, o: FastOptions, threads: number | undefined): Promise<FrameFunction> {
  const valueRange = o.valueRange === undefined ? undefined : o.valueRange === '1' ? 1 : 255;
  const net = await loadFastModel(model, { threads, valueRange });
  return (img) => stylizeImage(net, fastSize(img, o));
}

async function makeTranslator(model: string, o: TranslateOptions, threads: number | undefined): Promise<Translator> {
  const gen = await resolveGenerator(model, {
    ...(o.netG !== undefined ? { netG: o.netG } : {}),
    ...(o.ngf !== undefined ? { ngf: o.ngf } : {}),
    ...(o.norm !== undefined ? { norm: o.norm } : {}),
    ...(o.no_dropout !== undefined ? { no_dropout: o.no_dropout } : {}),
  });
  return new Translator(gen, { eval: o.eval, pad: o.pad, seed: o.seed, threads });
}
