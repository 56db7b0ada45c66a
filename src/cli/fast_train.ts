/**
 * `ai-art fast train --dataset DIR --style-image S.jpg --save-model-dir DIR [options]`:
 * pytorch/examples fast_neural_style's `neural_style.py train` flags (kebab-case as there),
 * a progress bar on stderr, Ctrl-C that saves, and automatic resume from the checkpoint folder.
 */
import { trainFast, type FastTrainResult } from '../fast/train.js';
import { fastTrainCommand as fastTrainSchema } from '../options/commands/fast_train.js';
import { UsageError } from '../options/errors.js';
import { parseCli } from './parse.js';
import { fmtNum, onInterrupt, progressBar, type ProgressBar } from './progress.js';

export async function fastTrainCommand(argv: string[]): Promise<number> {
  const args = parseCli(fastTrainSchema, argv);
  if (!args) return 0;
  if (args.positionals.length) throw new UsageError(`unexpected argument '${args.positionals[0]}' (usage: ${fastTrainSchema.usage})`);
  const json = args.json;
  const quiet = args.quiet || json;
  let bar: ProgressBar | null = null;
  const say = (l: string): void => {
    if (bar) bar.log(l);
    else process.stderr.write(`${l}\n`);
  };
  const controller = new AbortController();
  const off = onInterrupt(controller, say, '\ninterrupted: finishing the current step, then saving the checkpoint (Ctrl-C again to stop at once)');
  let r: FastTrainResult;
  try {
    r = await trainFast(args.options, {
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
