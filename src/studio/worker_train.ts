/**
 * Training jobs in the job worker: `cyclegan train`, `pix2pix train` and `fast train` through
 * the library (trainGan, trainFast), in the run folder the server chose. Aborting ends the run
 * after its current step with a checkpoint (the trainers' own stop); a run folder that holds
 * one continues from it, so Resume is the same job queued again.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { trainFast } from '../fast/train.js';
import type { FastTrainInput } from '../fast/train_options.js';
import { stateFileName } from '../gan/checkpoint.js';
import { trainGan } from '../gan/train.js';
import type { GanOptionInput } from '../gan/runner/setup.js';
import { writeFileAtomic } from '../images/save.js';
import type { FastModelEntry } from './routes/fast.js';
import type { JobFiles, JobRecord, TrainJobProgress, WorkerMessage } from './types.js';

type Send = (m: WorkerMessage) => Promise<void>;

/** Progress arrives every step; the server needs a few updates a second at most. */
function throttled(send: Send): (p: TrainJobProgress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 400) return;
    last = now;
    void send({ type: 'train', progress: p });
  };
}

/** The finished model joins the fast-style page's list as an upload would (fast/<sha256>.pth and its entry). */
async function registerFastModel(model: string, dir: string, run: string, steps: number): Promise<string> {
  const id = createHash('sha256')
    .update(await readFile(model))
    .digest('hex');
  await mkdir(dir, { recursive: true });
  await copyFile(model, path.join(dir, `${id}.pth.tmp`));
  await rename(path.join(dir, `${id}.pth.tmp`), path.join(dir, `${id}.pth`));
  const entry: FastModelEntry = {
    model: `upload:${id}`,
    label: `${run} (trained here)`,
    description: `TransformerNet trained in the studio: run ${run}, ${steps} steps`,
    format: 'pth',
    cached: true,
    source: 'upload',
  };
  await writeFileAtomic(path.join(dir, `${id}.json`), Buffer.from(JSON.stringify(entry)));
  return entry.model;
}

export async function runTraining(
  job: JobRecord,
  files: JobFiles,
  signal: AbortSignal,
  send: Send,
): Promise<void> {
  const t = files.train;
  if (!t) throw new Error('a training job without its folders');
  const options = (job.request.train?.options ?? {}) as Record<string, string | number | boolean | undefined>;
  const warn = (message: string) => void send({ type: 'notice', message });
  const progress = throttled(send);
  if (job.kind === 'fast-train') {
    if (!t.styleImage) throw new Error('the style picture is gone from the uploads');
    const input = {
      ...options,
      dataset: t.dataset,
      styleImage: t.styleImage,
      saveModelDir: t.runDir,
    } as FastTrainInput;
    const r = await trainFast(input, {
      signal,
      log: () => undefined,
      warn,
      onProgress: (p) =>
        progress({
          epoch: p.epoch,
          epochs: p.epochs,
          step: p.step,
          steps: p.steps,
          losses: { ...p.losses },
          itPerSec: p.itPerSec,
        }),
    });
    const registered =
      r.model && t.fastModels
        ? await registerFastModel(r.model, t.fastModels, path.basename(t.runDir), r.steps)
        : null;
    const report = { ...r, model: registered, modelFile: r.model } as unknown as Record<string, unknown>;
    await send({ type: 'done', report, interrupted: r.interrupted });
    return;
  }
  // A run folder with a saved trainer state continues from it (Resume, or a server restart mid-run).
  const resume = existsSync(path.join(t.runDir, stateFileName('latest')));
  const input: GanOptionInput = {
    ...options,
    dataroot: t.dataset,
    checkpoints_dir: path.dirname(t.runDir),
    name: path.basename(t.runDir),
    model: job.kind === 'pix2pix-train' ? 'pix2pix' : 'cycle_gan',
    ...(resume ? { continue_train: true } : {}),
  };
  const threads = typeof options.threads === 'number' ? options.threads : undefined;
  const r = await trainGan(input, {
    signal,
    threads,
    log: () => undefined,
    warn,
    onProgress: (p) =>
      progress({
        epoch: p.epoch,
        epochs: p.lastEpoch,
        step: p.totalIters,
        losses: { ...p.losses },
        itPerSec: p.itPerSec,
      }),
  });
  await send({ type: 'done', report: r as unknown as Record<string, unknown>, interrupted: r.interrupted });
}
