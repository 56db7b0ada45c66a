/**
 * The official train.py for --model cycle_gan and pix2pix: options printed and saved, networks
 * built and initialised from --seed, a prefetching loader, image pools, learning-rate schedules
 * stepped at the start of every epoch, and per batch one optimize_parameters() with the
 * official printing, HTML display and checkpointing frequencies.
 *
 * Beyond the reference, every checkpoint carries the full trainer state (Adam moments,
 * schedules, random streams, image pools, data position, counters), so --continue_train from
 * a checkpoint saved mid-epoch (Ctrl-C, or save_latest_freq) continues with exactly the losses
 * the uninterrupted run would have had. A checkpoint without that state (one from PyTorch)
 * resumes as the reference does: weights only, epochs from --epoch_count.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  adamSnapshot,
  CheckpointError,
  loadTrainerState,
  restoreAdam,
  saveCheckpoint,
  stateFileName,
  type StateValue,
  type TrainerState,
} from './checkpoint.js';
import { GanDataLoader } from './data/loader.js';
import {
  experimentDir,
  formatOptions,
  saveOptions,
  type GanTrainOptions,
  type ParsedGanOptions,
} from './options.js';
import { LossLog } from './report/log.js';
import { ganStamp } from './report/stamp.js';
import { TrainingWeb } from './report/visuals.js';
import { LrScheduler, lrMessage } from './schedule.js';
import { createTrainModel, networkSummary, type TrainModel } from './runner/model.js';
import { archFlags, loadLabel, loadNets, resolveOptions, type GanOptionInput } from './runner/setup.js';

export interface TrainProgress {
  epoch: number;
  /** The last epoch, n_epochs + n_epochs_decay. */
  lastEpoch: number;
  /** Batches done in this epoch, and how many it has. */
  batch: number;
  batches: number;
  /** The reference's counters: images in this epoch and in the whole run. */
  epochIter: number;
  totalIters: number;
  losses: Record<string, number>;
  lr: number;
  /** Iterations per second over this epoch so far (in this session). */
  itPerSec: number;
}

export interface EpochInfo {
  epoch: number;
  lastEpoch: number;
  batches: number;
  /** Batches already done when the epoch (re)started: non-zero when resuming mid-epoch. */
  startBatch: number;
  lr: number;
}

export interface TrainHooks {
  /** Aborting finishes the current iteration, saves 'latest' with the trainer state and returns. */
  signal?: AbortSignal;
  onProgress?: (p: TrainProgress) => void;
  onEpochStart?: (e: EpochInfo) => void;
  onEpochEnd?: (e: EpochInfo & { seconds: number }) => void;
  /** The reference's console lines (options, losses, saves, epoch ends). Default: stdout. */
  log?: (line: string) => void;
  /** Warnings (skipped files, ignored flags). Default: stderr. */
  warn?: (msg: string) => void;
  /** ONNX Runtime threads per session (default: all cores). */
  threads?: number;
}

export interface TrainResult {
  /** [checkpoints_dir]/[name]. */
  dir: string;
  interrupted: boolean;
  /** Where the run stopped (the epoch in progress when interrupted). */
  epoch: number;
  epochIter: number;
  totalIters: number;
  /** Iterations run in this session. */
  iterations: number;
  seconds: number;
  /** Losses of the last iteration. */
  losses: Record<string, number>;
  /** Labels saved in this session, in order ('latest', '1', 'iter_400', ...). */
  saved: string[];
  /** Set when --continue_train loaded a checkpoint. */
  resumed?: { label: string; exact: boolean; epoch: number; totalIters: number };
}

interface Position {
  epoch: number;
  epochIter: number;
  totalIters: number;
  /** The epoch `epoch` had finished when saved (resume starts the next one). */
  done: boolean;
}

/** The model's state beyond the weights, for [label]_state.pth. */
function trainerState(
  model: TrainModel,
  schedulers: Record<string, LrScheduler>,
  loader: GanDataLoader,
  pos: Position,
  extra: Record<string, StateValue>,
): TrainerState {
  const optimizers: TrainerState['optimizers'] = {};
  for (const [k, o] of Object.entries(model.optimizers)) optimizers[k] = adamSnapshot(o.adam);
  const pools: TrainerState['pools'] = {};
  for (const [k, p] of Object.entries(model.pools)) pools[k] = p.state();
  return {
    epoch: pos.epoch,
    epoch_iter: pos.epochIter,
    total_iters: pos.totalIters,
    optimizers,
    schedulers: Object.fromEntries(Object.entries(schedulers).map(([k, s]) => [k, s.state()])),
    rngs: { dropout: model.rng.getState() },
    pools,
    data: loader.state(),
    extra: { ...extra, epoch_done: pos.done },
  };
}

function restore(
  model: TrainModel,
  schedulers: Record<string, LrScheduler>,
  loader: GanDataLoader,
  s: TrainerState,
  warn: (m: string) => void,
): void {
  for (const [k, o] of Object.entries(model.optimizers)) {
    const snap = s.optimizers[k];
    if (!snap) throw new CheckpointError(`the trainer state has no optimizer for network ${k}`);
    restoreAdam(o.adam, snap, `${k} optimizer`);
  }
  for (const [k, sch] of Object.entries(schedulers)) {
    const st = s.schedulers[k];
    if (!st) throw new CheckpointError(`the trainer state has no learning-rate schedule ${k}`);
    try {
      sch.setState(st);
    } catch (e) {
      throw new CheckpointError(`cannot resume the learning-rate schedule: ${(e as Error).message}`);
    }
  }
  if (s.rngs.dropout) model.rng.setState(s.rngs.dropout);
  for (const [k, p] of Object.entries(model.pools)) {
    const st = s.pools[k];
    if (!st) continue;
    try {
      p.setState(st);
    } catch (e) {
      warn(`image pool ${k} starts empty: ${(e as Error).message}`);
    }
  }
  if (s.data) {
    try {
      loader.setState(s.data);
    } catch (e) {
      warn(`${(e as Error).message}; the data order restarts`);
    }
  }
}

/**
 * Trains a CycleGAN or pix2pix model as the official train.py. `options` are parsed options
 * or an object of official option names (`{ dataroot, name, model: 'pix2pix', n_epochs: 5 }`).
 */
export async function trainGan(
  options: ParsedGanOptions<GanTrainOptions> | GanOptionInput,
  hooks: TrainHooks = {},
): Promise<TrainResult> {
  const parsed = resolveOptions<GanTrainOptions>(options, 'train');
  const opt = parsed.opt;
  const log = hooks.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const warn = hooks.warn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  const dir = experimentDir(opt);
  const t0 = performance.now();

  for (const n of parsed.notes) warn(n);
  log(formatOptions(parsed));
  const model = createTrainModel(opt, hooks.threads);
  log(`model [${model.className}] was created`);
  const lastEpoch = opt.n_epochs + opt.n_epochs_decay;
  let scheduleEpochCount = opt.epoch_count;
  let pos: Position = { epoch: opt.epoch_count, epochIter: 0, totalIters: 0, done: false };
  let midEpoch = false;
  let resumed: TrainResult['resumed'];
  let savedState: TrainerState | undefined;

  if (opt.continue_train) {
    const label = loadLabel(opt);
    log(`loading the model from ${path.join(dir, `${label}_net_*.pth`)}`);
    const digests = await loadNets(dir, label, model.nets, archFlags(opt, true), warn);
    if (existsSync(path.join(dir, stateFileName(label)))) {
      const { state, digests: saved } = await loadTrainerState(dir, label);
      for (const [name, d] of Object.entries(digests)) {
        if (saved[name] !== d) {
          throw new CheckpointError(
            `${path.join(dir, `${label}_net_${name}.pth`)} is not the network ${stateFileName(label)} was saved with ` +
              '(a save was interrupted between files, or the file was replaced); resume from another checkpoint with --epoch',
          );
        }
      }
      savedState = state;
      const ec = state.extra?.epoch_count;
      if (typeof ec === 'number') scheduleEpochCount = ec;
      const done = state.extra?.epoch_done === true;
      pos = {
        epoch: done ? state.epoch + 1 : state.epoch,
        epochIter: done ? 0 : state.epoch_iter,
        totalIters: state.total_iters,
        done: false,
      };
      midEpoch = !done;
      resumed = { label, exact: true, epoch: state.epoch, totalIters: state.total_iters };
      if (
        parsed.values.get('epoch_count') !== parsed.defaults.get('epoch_count') &&
        opt.epoch_count !== pos.epoch
      )
        warn(
          `--epoch_count ${opt.epoch_count} is ignored: checkpoint '${label}' resumes at epoch ${pos.epoch}`,
        );
    } else {
      warn(
        `checkpoint '${label}' has no trainer state (${stateFileName(label)}): continuing from its weights with fresh optimizers, ` +
          `epochs from --epoch_count ${opt.epoch_count}, as the official code does`,
      );
      resumed = { label, exact: false, epoch: opt.epoch_count, totalIters: 0 };
    }
  }
  // After the checkpoint is found: a mistyped --name must not leave an empty experiment folder behind.
  await saveOptions(parsed);

  const loader = await GanDataLoader.create(opt, { warn });
  try {
    log(`dataset [${loader.dataset.className}] was created`);
    const datasetSize = loader.length;
    log(`The number of training images = ${datasetSize}`);
    for (const l of networkSummary(model.nets)) log(l);

    const schedOpt = { ...opt, epoch_count: scheduleEpochCount };
    const schedulers = { G: new LrScheduler(schedOpt), D: new LrScheduler(schedOpt) };
    if (savedState) restore(model, schedulers, loader, savedState, warn);
    model.setLearningRate(schedulers.G.lr);
    const extra: Record<string, StateValue> = {
      epoch_count: scheduleEpochCount,
      model: opt.model,
      seed: opt.seed,
    };

    const web = new TrainingWeb(opt, ganStamp(parsed, 'train'));
    if (web.enabled) log(`create web directory ${web.webDir}...`);
    const lossLog = await LossLog.open(dir, { echo: log });

    const saved: string[] = [];
    let lastSaved = -1;
    const save = async (label: string | number, p: Position): Promise<void> => {
      await saveCheckpoint(dir, label, model.nets, trainerState(model, schedulers, loader, p, extra));
      saved.push(String(label));
    };

    let iterations = 0;
    let losses: Record<string, number> = {};
    const result = (interrupted: boolean): TrainResult => ({
      dir,
      interrupted,
      epoch: pos.epoch,
      epochIter: pos.epochIter,
      totalIters: pos.totalIters,
      iterations,
      seconds: (performance.now() - t0) / 1000,
      losses,
      saved,
      resumed,
    });

    if (pos.epoch > lastEpoch) {
      log(
        `nothing to train: the checkpoint ends at epoch ${pos.epoch - 1} and this run stops at ${lastEpoch} ` +
          '(n_epochs + n_epochs_decay); raise --n_epochs or --n_epochs_decay to train further',
      );
      return result(false);
    }

    const bs = opt.batch_size;
    const batches = loader.batchesPerEpoch;
    for (let epoch = pos.epoch; epoch <= lastEpoch; epoch++) {
      if (hooks.signal?.aborted) {
        // Stopped between epochs (e.g. during the end-of-epoch save): the finished epoch is what to keep.
        if (iterations > 0 && lastSaved !== pos.totalIters) await save('latest', pos);
        return result(true);
      }
      const resuming = midEpoch && epoch === pos.epoch;
      const epochStart = performance.now();
      let iterDataTime = performance.now();
      let epochIter = resuming ? pos.epochIter : 0;
      pos = { ...pos, epoch, epochIter, done: false };
      web.reset();
      if (resuming) log(`learning rate ${schedulers.G.lr.toFixed(7)} (resumed mid-epoch)`);
      else {
        const step = schedulers.G.step();
        schedulers.D.step();
        model.setLearningRate(step.lr);
        log(lrMessage(step));
        if (step.lr === 0 && opt.lr_policy === 'linear')
          warn(
            `epoch ${epoch} trains with learning rate 0: the official linear schedule, stepped at the start of each epoch, ` +
              `reaches 0 at the last one (${lastEpoch}); the weights do not change this epoch`,
          );
      }
      const startBatch = loader.state().cursor;
      const info: EpochInfo = { epoch, lastEpoch, batches, startBatch, lr: schedulers.G.lr };
      hooks.onEpochStart?.(info);
      let sessionIters = 0;
      let computeStart = performance.now();

      for await (const batch of loader.epoch()) {
        const iterStart = performance.now();
        if (sessionIters === 0) computeStart = iterStart;
        const tData = (iterStart - iterDataTime) / 1000;
        pos.totalIters += bs;
        epochIter += bs;
        pos.epochIter = epochIter;
        const r = await model.iterate(batch);
        losses = r.losses;
        iterations++;
        sessionIters++;
        const total = pos.totalIters;

        if (total % opt.display_freq === 0)
          await web.displayCurrentResults(
            r.visuals(),
            epoch,
            total % opt.update_html_freq === 0,
            lossLog.entries,
          );

        if (total % opt.print_freq === 0) {
          await lossLog.print({
            epoch,
            iters: epochIter,
            t_comp: (performance.now() - iterStart) / 1000 / bs,
            t_data: tData / bs,
            losses,
            total_iters: total,
            progress: epoch + epochIter / datasetSize,
            lr: schedulers.G.lr,
          });
        }

        if (total % opt.save_latest_freq === 0) {
          log(`saving the latest model (epoch ${epoch}, total_iters ${total})`);
          await save('latest', pos);
          lastSaved = total;
          if (opt.save_by_iter) await save(`iter_${total}`, pos);
        }

        const secs = (performance.now() - computeStart) / 1000;
        hooks.onProgress?.({
          epoch,
          lastEpoch,
          batch: batch.index + 1,
          batches,
          epochIter,
          totalIters: total,
          losses,
          lr: schedulers.G.lr,
          itPerSec: secs > 0 ? sessionIters / secs : 0,
        });
        iterDataTime = performance.now();
        if (hooks.signal?.aborted) break;
      }

      if (hooks.signal?.aborted) {
        if (iterations > 0 && lastSaved !== pos.totalIters) {
          log(`saving the latest model (epoch ${epoch}, total_iters ${pos.totalIters}) before stopping`);
          await save('latest', pos);
        }
        return result(true);
      }

      pos = { ...pos, done: true };
      if (epoch % opt.save_epoch_freq === 0) {
        log(`saving the model at the end of epoch ${epoch}, iters ${pos.totalIters}`);
        await save('latest', pos);
        await save(epoch, pos);
        lastSaved = pos.totalIters;
      } else if (epoch === lastEpoch) {
        // The reference ends without a checkpoint unless the last epoch is a multiple of
        // save_epoch_freq; a short run would leave nothing to test or continue from.
        log(`saving the latest model at the end of training (epoch ${epoch}, iters ${pos.totalIters})`);
        await save('latest', pos);
        lastSaved = pos.totalIters;
      }
      const seconds = (performance.now() - epochStart) / 1000;
      log(`End of epoch ${epoch} / ${lastEpoch} \t Time Taken: ${Math.trunc(seconds)} sec`);
      hooks.onEpochEnd?.({ ...info, seconds });
    }
    return result(false);
  } finally {
    await model.release();
    await loader.close();
  }
}
