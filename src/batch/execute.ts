/**
 * Runs one job in the current process and writes its output atomically. The same function
 * serves the local pool's child processes and BullMQ's sandboxed processors, so both give the
 * same files.
 */
import fs from 'node:fs';
import { loadImage, saveImage } from '../images/index.js';
import { stylize } from '../style/stylize.js';
import { Translator, resolveGenerator } from '../gan/translate.js';
import type { NormType } from '../models/norm_layer.js';
import { toStylize, type FlagValues } from './task_options.js';
import type { JobSpec, TranslateJob } from './expand.js';

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
  if (fs.existsSync(job.output)) {
    log(`exists: ${job.output}`);
    return done(false);
  }
  switch (job.kind) {
    case 'style': {
      const { image, report } = await stylize(
        { ...toStylize(job.options), content: job.content, styles: [job.style], threads: ctx.threads },
        { signal: ctx.signal, notice: (m) => log(`note: ${m}`) },
      );
      if (report.interrupted) throw new JobAbortedError('stopped');
      log(`${report.evaluations} evaluations in ${report.seconds.toFixed(2)} s`);
      await saveImage(image, job.output, { mkdirs: true });
      break;
    }
    case 'translate': {
      const tr = await translator(job, ctx.threads);
      const out = await tr.translate(await loadImage(job.input), job.input);
      if (ctx.signal?.aborted) throw new JobAbortedError('stopped');
      await saveImage(out, job.output, { mkdirs: true });
      break;
    }
    case 'fast':
      throw new Error('fast tasks are not available in this build');
  }
  log(`wrote ${job.output}`);
  return done(true);
}

// A worker process serves many jobs of one model: the generator is read and compiled once.
const translators = new Map<string, Promise<Translator>>();
function translator(job: TranslateJob, threads: number | undefined): Promise<Translator> {
  const key = JSON.stringify([job.model, job.options, threads]);
  let t = translators.get(key);
  if (!t) {
    t = makeTranslator(job.model, job.options, threads);
    translators.set(key, t);
    t.catch(() => translators.delete(key));
  }
  return t;
}

async function makeTranslator(model: string, o: FlagValues, threads: number | undefined): Promise<Translator> {
  const gen = await resolveGenerator(model, {
    ...(o.netG !== undefined ? { netG: String(o.netG) } : {}),
    ...(o.ngf !== undefined ? { ngf: Number(o.ngf) } : {}),
    ...(o.norm !== undefined ? { norm: o.norm as NormType } : {}),
    ...(o.no_dropout !== undefined ? { no_dropout: o.no_dropout === true } : {}),
  });
  return new Translator(gen, { eval: o.eval === true, pad: o.pad === true, seed: Number(o.seed ?? 0), threads });
}
