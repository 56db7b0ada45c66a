/**
 * `ai-art fast train --dataset DIR --style-image S.jpg --save-model-dir DIR [options]`:
 * pytorch/examples fast_neural_style's `neural_style.py train` flags (kebab-case as there),
 * a progress bar on stderr, Ctrl-C that saves, and automatic resume from the checkpoint folder.
 */
import { trainFast, type FastTrainResult } from '../fast/train.js';
import { FAST_TRAIN_DEFAULTS, type FastTrainInput } from '../fast/train_options.js';
import { helpText, Opts, parseArgs, UsageError, type OptSpec } from './args.js';
import { fmtNum, progressBar, type ProgressBar } from './progress.js';

const D = FAST_TRAIN_DEFAULTS;

export const FAST_TRAIN_SPECS: OptSpec[] = [
  { name: 'dataset', type: 'string', metavar: 'DIR', help: 'folder tree of training pictures (COCO 2014 train in the references); required' },
  { name: 'style-image', type: 'string', metavar: 'FILE', help: 'the style picture; required' },
  { name: 'save-model-dir', type: 'string', metavar: 'DIR', help: 'where the trained model (STYLE.pth) goes; required' },
  { name: 'checkpoint-model-dir', type: 'string', metavar: 'DIR', help: 'checkpoints, loss log and plot, sample grids; a run resumes from here (default: SAVE_MODEL_DIR/checkpoints)' },
  { name: 'epochs', type: 'int', default: D.epochs, help: 'passes over the dataset' },
  { name: 'batch-size', type: 'int', default: D.batchSize, help: 'pictures per step' },
  { name: 'image-size', type: 'int', default: D.imageSize, help: 'training pictures are resized and center-cropped to this square' },
  { name: 'style-size', type: 'int', metavar: 'N', help: 'resize the style picture to N x N (default: its own size)' },
  { name: 'content-weight', type: 'number', default: D.contentWeight, help: 'weight of the content (feature reconstruction) loss' },
  { name: 'style-weight', type: 'number', default: D.styleWeight, help: 'weight of the style (Gram) loss' },
  { name: 'lr', type: 'number', default: D.lr, help: 'Adam learning rate' },
  { name: 'log-interval', type: 'int', default: D.logInterval, help: 'batches between loss lines' },
  { name: 'checkpoint-interval', type: 'int', default: D.checkpointInterval, help: 'batches between checkpoints' },
  { name: 'seed', type: 'int', default: D.seed, help: 'seeds the network initialisation (and random VGG weights)' },
  { name: 'vgg', type: 'string', default: D.vgg, metavar: 'vgg16|vgg19|random|FILE', help: 'loss network: torchvision VGG-16 (the references), VGG-19, seeded random weights (offline) or a .pth' },
  { name: 'width', type: 'string', default: D.width, choices: ['full', 'half'], help: 'TransformerNet width: full (32-64-128) or half (16-32-64, several times cheaper)' },
  { name: 'iterations', type: 'int', metavar: 'N', help: 'stop after N steps in all (default: all epochs)' },
  { name: 'hold-back', type: 'int', default: D.holdBack, help: 'pictures at the end of the dataset kept out of training for sample grids and held-back costs' },
  { name: 'decode-threads', type: 'int', default: D.decodeThreads, help: 'worker threads decoding pictures' },
  { name: 'threads', type: 'int', help: 'ONNX Runtime threads (default: all cores)' },
  { name: 'quiet', aliases: ['q'], type: 'boolean', help: 'no progress bar and no loss lines' },
  { name: 'json', type: 'boolean', help: 'print one JSON line with the result at the end (no progress bar)' },
  { name: 'help', aliases: ['h'], type: 'boolean', help: 'show this help' },
];

const USAGE = 'ai-art fast train --dataset DIR --style-image FILE --save-model-dir DIR [options]';

/** SIGINT once: stop after the current step and save; twice: leave at once. */
function onInterrupt(controller: AbortController, say: (m: string) => void): () => void {
  let count = 0;
  const handler = (): void => {
    count++;
    if (count === 1) {
      say('\ninterrupted: finishing the current step, then saving the checkpoint (Ctrl-C again to stop at once)');
      controller.abort();
    } else {
      process.stderr.write('\nstopped at once; the last checkpoint on disk is intact\n');
      process.exit(130);
    }
  };
  process.on('SIGINT', handler);
  return () => process.removeListener('SIGINT', handler);
}

export function fastTrainInput(o: Opts): FastTrainInput {
  const req = (name: string): string => {
    const v = o.str(name);
    if (!v) throw new UsageError(`--${name} is required (${USAGE})`);
    return v;
  };
  return {
    dataset: req('dataset'),
    styleImage: req('style-image'),
    saveModelDir: req('save-model-dir'),
    checkpointModelDir: o.str('checkpoint-model-dir'),
    epochs: o.num('epochs'),
    batchSize: o.num('batch-size'),
    imageSize: o.num('image-size'),
    styleSize: o.num('style-size'),
    contentWeight: o.num('content-weight'),
    styleWeight: o.num('style-weight'),
    lr: o.num('lr'),
    logInterval: o.num('log-interval'),
    checkpointInterval: o.num('checkpoint-interval'),
    seed: o.num('seed'),
    vgg: o.str('vgg'),
    width: o.str('width') as 'full' | 'half',
    iterations: o.num('iterations'),
    holdBack: o.num('hold-back'),
    decodeThreads: o.num('decode-threads'),
    threads: o.num('threads'),
  };
}

export async function fastTrainCommand(argv: string[]): Promise<number> {
  const o = new Opts(parseArgs(argv, FAST_TRAIN_SPECS));
  if (o.bool('help')) {
    process.stdout.write(helpText(USAGE, FAST_TRAIN_SPECS, 'Trains a TransformerNet for one style, as pytorch/examples fast_neural_style does. See docs/fast-train.md.'));
    return 0;
  }
  if (o.p.positionals.length) throw new UsageError(`unexpected argument '${o.p.positionals[0]}' (${USAGE})`);
  const json = o.bool('json');
  const quiet = o.bool('quiet') || json;
  let bar: ProgressBar | null = null;
  const say = (l: string): void => {
    if (bar) bar.log(l);
    else process.stderr.write(`${l}\n`);
  };
  const controller = new AbortController();
  const off = onInterrupt(controller, say);
  let r: FastTrainResult;
  try {
    r = await trainFast(fastTrainInput(o), {
      signal: controller.signal,
      log: quiet ? () => undefined : say,
      warn: (m) => say(`warning: ${m}`),
      onProgress: (p) => {
        if (quiet) return;
        bar ??= progressBar(p.steps, 'fast train');
        bar.update(p.step, { epoch: `${p.epoch}/${p.epochs}`, content: fmtNum(p.losses.content), style: fmtNum(p.losses.style), 'it/s': p.itPerSec.toFixed(3) });
      },
    });
  } finally {
    off();
    (bar as ProgressBar | null)?.done();
  }
  if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
  if (r.interrupted) return 130;
  if (!json)
    process.stderr.write(
      `trained ${r.stepsThisRun} steps this run (${r.steps} in all) in ${r.seconds.toFixed(1)} s, ${r.secondsPerStep.toFixed(3)} s per step; model ${r.model}\n` +
        `held-back pictures: content ${fmtNum(r.heldBack.before.content)} -> ${fmtNum(r.heldBack.after.content)}, style ${fmtNum(r.heldBack.before.style)} -> ${fmtNum(r.heldBack.after.style)}\n`,
    );
  return 0;
}
