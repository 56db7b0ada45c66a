/**
 * `fast train`: pytorch/examples fast_neural_style's train() (neural_style.py) on ONNX Runtime.
 * Same options and defaults, same data order (sorted, unshuffled, last batch short), same
 * losses and Adam step (train_step.ts), the same console line every --log-interval batches and
 * a state_dict `ckpt_epoch_E_batch_id_B.pth` every --checkpoint-interval batches.
 *
 * Beyond the reference:
 * - each checkpoint also saves the full trainer state (weights, Adam moments, position in the
 *   data, the loss aggregates) as `latest` (src/gan/checkpoint.ts: all files or none), and a
 *   run whose checkpoint folder holds one continues from it automatically, with exactly the
 *   losses the uninterrupted run would have logged (after a crash or kill: from the last
 *   checkpoint; after Ctrl-C: from where it stopped, as it saves first);
 * - a JSON-lines loss log, a loss plot and a sample grid of held-back pictures each checkpoint;
 * - the held-back pictures' content and style costs, untrained and trained, in the result.
 */
import { access, constants, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { adamSnapshot, CheckpointError, loadCheckpoint, restoreAdam, saveCheckpoint, stateFileName, type StateValue } from '../gan/checkpoint.js';
import type { ImageBatch } from '../gan/step_common.js';
import { addPngText, contactSheetPng, lossPlot, optionsStamp, unstackNCHW } from '../images/index.js';
import { writeFileAtomic } from '../images/save.js';
import { TransformerNet } from '../models/transformer_net.js';
import { writePth } from '../weights/writer.js';
import type { DownloadProgress } from '../weights/index.js';
import { loadLossNetwork } from './loss_network.js';
import { BatchReader, listDataset, loadStyleImage } from './train_data.js';
import { FastTrainStep, styleTargets, type FastLosses, type LossWeights, type StyleTargets } from './train_step.js';
import { FastTrainError, resolveFastTrainOptions, type FastTrainInput, type FastTrainOptions } from './train_options.js';

export interface FastTrainProgress {
  /** Steps done in all (resumed ones included) and the run's last step. */
  step: number;
  steps: number;
  epoch: number;
  epochs: number;
  /** Batches done in this epoch and how many it has. */
  batch: number;
  batches: number;
  losses: FastLosses;
  /** Steps per second in this session. */
  itPerSec: number;
}

/** One line of loss.jsonl: the reference's aggregates over the epoch so far, and this step's values. */
export interface FastLogEntry {
  step: number;
  /** 1-based, as the reference prints it. */
  epoch: number;
  batch: number;
  /** Images seen in this epoch, and the dataset's size. */
  count: number;
  dataset: number;
  content: number;
  style: number;
  total: number;
  last: FastLosses;
  /** The run's last step (all epochs, or --iterations), and when this line was written (ISO 8601): for progress and ETA. */
  steps?: number;
  time?: string;
}

export interface FastTrainHooks {
  /** Aborting finishes the current step, saves the checkpoint and returns. */
  signal?: AbortSignal;
  onProgress?: (p: FastTrainProgress) => void;
  onLog?: (e: FastLogEntry) => void;
  /** The reference's console lines and notices. Default: stdout. */
  log?: (line: string) => void;
  warn?: (msg: string) => void;
  onDownload?: (p: DownloadProgress) => void;
}

export interface FastTrainResult {
  /** The final model, or null when interrupted. */
  model: string | null;
  checkpointDir: string;
  interrupted: boolean;
  steps: number;
  stepsThisRun: number;
  seconds: number;
  /** Median seconds per step in this session (the first, which includes ORT's warm-up, left out when there are more). */
  secondsPerStep: number;
  resumed?: { step: number; epoch: number; batch: number };
  /** Held-back pictures' costs (as the loss weighs them) before training and now. */
  heldBack: { images: number; before: FastLosses; after: FastLosses };
  lastLog?: FastLogEntry;
}

const LOG_FILE = 'loss.jsonl';

async function ensureWritableDir(dir: string, flag: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
    const probe = path.join(dir, `.ai-art-write-test-${process.pid}`);
    await writeFile(probe, '');
    await rm(probe);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied' : err.code === 'EEXIST' || err.code === 'ENOTDIR' ? 'a file is in the way' : err.message;
    throw new FastTrainError(`${flag} ${dir} is not a writable folder (${why})`);
  }
}

async function fileSha256(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

/** With random VGG weights each term is relative to its target's mean square, and the defaults give content and style equal say. */
function lossWeights(o: FastTrainOptions, random: boolean, t: StyleTargets): LossWeights {
  const w: LossWeights = { contentWeight: o.contentWeight, styleWeight: o.styleWeight };
  if (!random) return w;
  return {
    ...w,
    contentScale: 1 / (1e5 * (t.contentMeanSquare + 1e-12)),
    styleScales: t.gramMeanSquares.map((m) => 1 / (1e10 * (m + 1e-12))),
  };
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function readLog(file: string, upTo: number): Promise<FastLogEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return [];
  }
  const out: FastLogEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as FastLogEntry;
      if (typeof e.step === 'number' && e.step <= upTo) out.push(e);
    } catch {
      // a line cut by a kill mid-write
    }
  }
  return out;
}

export async function trainFast(input: FastTrainInput, hooks: FastTrainHooks = {}): Promise<FastTrainResult> {
  const o = resolveFastTrainOptions(input);
  const log = hooks.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const warn = hooks.warn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  const t0 = performance.now();
  const ckptDir = o.checkpointModelDir ?? path.join(o.saveModelDir, 'checkpoints');

  // Everything that can be refused is checked before any training.
  const data = await listDataset(o.dataset, o.holdBack);
  const style = await loadStyleImage(o.styleImage, o.styleSize);
  await ensureWritableDir(o.saveModelDir, '--save-model-dir');
  await ensureWritableDir(ckptDir, '--checkpoint-model-dir');
  const loss = await loadLossNetwork(o.vgg, o.seed, { onDownload: hooks.onDownload, signal: hooks.signal });

  const net = new TransformerNet({ width: o.width, seed: o.seed }).train();
  const targets = await styleTargets(loss.vgg, style, o.threads);
  const step = new FastTrainStep(net, loss.vgg, targets, lossWeights(o, loss.random, targets), { lr: o.lr, threads: o.threads });
  const reader = new BatchReader(o.imageSize, o.decodeThreads, warn);
  try {
    const n = data.train.length;
    const batches = Math.ceil(n / o.batchSize);
    const totalSteps = Math.min(o.epochs * batches, o.iterations ?? Infinity);
    // Every picture the run writes carries its options (PNG tEXt), as the CLI's other outputs do.
    const stamp = optionsStamp('fast train', o, { dataset: path.basename(o.dataset), styleImage: path.basename(o.styleImage) });
    const config: Record<string, StateValue> = {
      dataset_size: n,
      image_size: o.imageSize,
      batch_size: o.batchSize,
      width: o.width,
      vgg: loss.id,
      seed: o.seed,
      lr: o.lr,
      content_weight: o.contentWeight,
      style_weight: o.styleWeight,
      style_size: o.styleSize ?? null,
      style_sha256: await fileSha256(o.styleImage),
    };

    // Held-back pictures (or the first training ones when the dataset is too small to spare any).
    const sampleFiles = data.heldBack.length ? data.heldBack : data.train.slice(0, Math.min(4, n));
    const samples = await reader.read(sampleFiles);
    const evaluate = async (): Promise<{ losses: FastLosses; y: ImageBatch | null }> => {
      if (!samples) return { losses: { content: NaN, style: NaN, total: NaN }, y: null };
      const r = await step.evaluate(samples);
      return { losses: { content: r.content, style: r.style, total: r.total }, y: r.y };
    };

    // Position: the epoch (0-based, as the reference's loop) and batches done in it.
    let epoch = 0;
    let batchDone = 0;
    let done = 0;
    let agg = { content: 0, style: 0 };
    let before: FastLosses;
    let resumed: FastTrainResult['resumed'];
    const logFile = path.join(ckptDir, LOG_FILE);
    let entries: FastLogEntry[] = [];

    if (existsSync(path.join(ckptDir, stateFileName('latest')))) {
      let state;
      try {
        ({ state } = await loadCheckpoint(ckptDir, 'latest', { transformer: net }, { state: true }));
      } catch (e) {
        throw new FastTrainError(`cannot resume from ${ckptDir}: ${(e as Error).message}`);
      }
      if (!state) throw new CheckpointError(`${ckptDir}: no trainer state`);
      const saved = (state.extra?.config ?? {}) as Record<string, StateValue>;
      const diff = Object.keys(config).filter((k) => JSON.stringify(saved[k]) !== JSON.stringify(config[k]));
      if (diff.length)
        throw new FastTrainError(
          `${ckptDir} holds a checkpoint of another run (it differs in ${diff.map((k) => `${k}: ${JSON.stringify(saved[k])} there, ${JSON.stringify(config[k])} now`).join('; ')}); ` +
            'remove that folder or choose another --checkpoint-model-dir to start afresh',
        );
      const snap = state.optimizers.T;
      if (!snap) throw new FastTrainError(`${ckptDir}: the checkpoint has no optimizer state`);
      restoreAdam(step.optimizer.adam, snap, 'transformer optimizer');
      epoch = state.epoch;
      batchDone = state.epoch_iter;
      done = state.total_iters;
      const a = state.extra?.agg as { content: number; style: number } | undefined;
      agg = { content: a?.content ?? 0, style: a?.style ?? 0 };
      const b = state.extra?.held_back_before as { content: number; style: number; total: number } | undefined;
      before = b ?? (await evaluate()).losses;
      if (batchDone >= batches) {
        epoch++;
        batchDone = 0;
        agg = { content: 0, style: 0 };
      }
      resumed = { step: done, epoch: epoch + 1, batch: batchDone };
      entries = await readLog(logFile, done);
      await writeFileAtomic(logFile, Buffer.from(entries.map((e) => `${JSON.stringify(e)}\n`).join('')));
      log(`resuming from ${ckptDir} at step ${done} (epoch ${epoch + 1}, batch ${batchDone}/${batches})`);
    } else {
      before = (await evaluate()).losses;
      await writeFileAtomic(logFile, Buffer.alloc(0));
    }

    const saveState = async (): Promise<void> => {
      await saveCheckpoint(ckptDir, 'latest', { transformer: net }, {
        epoch,
        epoch_iter: batchDone,
        total_iters: done,
        optimizers: { T: adamSnapshot(step.optimizer.adam) },
        schedulers: {},
        rngs: {},
        pools: {},
        extra: { config, agg: { ...agg }, held_back_before: { ...before } },
      });
    };
    const checkpoint = async (): Promise<void> => {
      await writePth(path.join(ckptDir, `ckpt_epoch_${epoch}_batch_id_${batchDone}.pth`), net.stateDict());
      await saveState();
      const ev = await evaluate();
      if (entries.length) {
        const xs = entries.map((e) => e.step);
        const { png } = await lossPlot(
          (['content', 'style', 'total'] as const).map((k) => ({ name: k, values: entries.map((e) => e[k]), x: xs })),
          { title: `fast train: ${path.basename(o.styleImage)}`, xLabel: 'step', yLabel: 'loss (epoch average)', logY: true },
        );
        await writeFileAtomic(path.join(ckptDir, 'loss.png'), addPngText(png, stamp));
      }
      if (samples && ev.y) {
        const toRaw = (b: ImageBatch, scale: number) => unstackNCHW(b.data.map((v) => Math.min(1, Math.max(0, v / scale))), b.shape);
        const items = [
          ...toRaw(samples, 255).map((image) => ({ image, label: 'input' })),
          ...toRaw(ev.y, 255).map((image) => ({ image, label: `step ${done}` })),
        ];
        const png = await contactSheetPng(items, {
          columns: samples.shape[0],
          cellSize: Math.max(128, Math.min(256, o.imageSize)),
          title: `step ${done}: content ${ev.losses.content.toPrecision(3)}, style ${ev.losses.style.toPrecision(3)}`,
        });
        await writeFileAtomic(path.join(ckptDir, `samples_step_${done}.png`), addPngText(png, stamp));
      }
      log(`checkpoint at step ${done}: held-back content ${ev.losses.content.toPrecision(4)}, style ${ev.losses.style.toPrecision(4)} (untrained: ${before.content.toPrecision(4)}, ${before.style.toPrecision(4)})`);
    };

    const times: number[] = [];
    let stepsThisRun = 0;
    let interrupted = false;
    let computeStart = performance.now();
    const result = async (model: string | null): Promise<FastTrainResult> => ({
      model,
      checkpointDir: ckptDir,
      interrupted,
      steps: done,
      stepsThisRun,
      seconds: (performance.now() - t0) / 1000,
      secondsPerStep: median(times.length > 1 ? times.slice(1) : times),
      resumed,
      heldBack: { images: samples?.shape[0] ?? 0, before, after: (await evaluate()).losses },
      lastLog: entries.at(-1),
    });

    outer: for (; epoch < o.epochs && done < totalSteps; epoch++, batchDone = 0, agg = { content: 0, style: 0 }) {
      const fileBatch = (b: number) => data.train.slice(b * o.batchSize, (b + 1) * o.batchSize);
      let next: Promise<ImageBatch | null> | null = reader.read(fileBatch(batchDone));
      for (let b = batchDone; b < batches && done < totalSteps; b++) {
        const x = await next;
        next = b + 1 < batches ? reader.read(fileBatch(b + 1)) : null;
        if (!x) {
          batchDone = b + 1;
          continue;
        }
        const ts = performance.now();
        if (stepsThisRun === 0) computeStart = ts;
        const losses = await step.step(x);
        times.push((performance.now() - ts) / 1000);
        done++;
        stepsThisRun++;
        batchDone = b + 1;
        agg.content += losses.content;
        agg.style += losses.style;
        if (batchDone % o.logInterval === 0) {
          const e: FastLogEntry = {
            step: done,
            epoch: epoch + 1,
            batch: batchDone,
            count: Math.min(batchDone * o.batchSize, n),
            dataset: n,
            content: agg.content / batchDone,
            style: agg.style / batchDone,
            total: (agg.content + agg.style) / batchDone,
            last: losses,
            steps: totalSteps,
            time: new Date().toISOString(),
          };
          entries.push(e);
          await writeFile(logFile, `${JSON.stringify(e)}\n`, { flag: 'a' });
          hooks.onLog?.(e);
          log(`${new Date().toString()}\tEpoch ${e.epoch}:\t[${e.count}/${n}]\tcontent: ${e.content.toFixed(6)}\tstyle: ${e.style.toFixed(6)}\ttotal: ${e.total.toFixed(6)}`);
        }
        if (batchDone % o.checkpointInterval === 0) await checkpoint();
        const secs = (performance.now() - computeStart) / 1000;
        hooks.onProgress?.({ step: done, steps: totalSteps, epoch: epoch + 1, epochs: o.epochs, batch: batchDone, batches, losses, itPerSec: secs > 0 ? stepsThisRun / secs : 0 });
        if (hooks.signal?.aborted) {
          interrupted = true;
          await next?.catch(() => null);
          break outer;
        }
      }
    }

    if (interrupted) {
      await saveState();
      log(`interrupted at step ${done}; saved ${ckptDir} (run the same command again to continue)`);
      return await result(null);
    }
    if (stepsThisRun > 0) await saveState();
    const stem = path.basename(o.styleImage).replace(/\.[^.]+$/, '') || 'model';
    const model = path.join(o.saveModelDir, `${stem}.pth`);
    await writePth(model, net.stateDict());
    log(`\nDone, trained model saved at ${model}`);
    return await result(model);
  } finally {
    await reader.close();
    await step.release();
  }
}
