/**
 * `ai-art cyclegan|pix2pix train|test [options]`: the official train.py / test.py flags (as
 * written there or kebab-case), a progress bar per epoch on stderr, and Ctrl-C that saves.
 */
import { trainGan, type TrainResult } from '../gan/train.js';
import { testGan } from '../gan/test.js';
import { parseGanOptions, type GanModel } from '../gan/options.js';
import { cycleganTestCommand, cycleganTrainCommand, pix2pixTestCommand, pix2pixTrainCommand } from '../options/commands/gan.js';
import { UsageError } from '../options/errors.js';
import { helpText } from '../options/help.js';
import { onInterrupt, progressBar, type ProgressBar } from './progress.js';

const VALUE_FLAGS_TO_DROP = /^--?(epoch|which[_-]epoch|load[_-]iter)$/i;
const FLAGS_TO_DROP = /^--?(epoch|which[_-]epoch|load[_-]iter|continue[_-]train)(=.*)?$/i;

function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/** The command line that continues an interrupted run from its 'latest' checkpoint. */
export function resumeCommand(cmd: string, argv: readonly string[]): string {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (VALUE_FLAGS_TO_DROP.test(a)) {
      i++;
      continue;
    }
    if (FLAGS_TO_DROP.test(a)) continue;
    out.push(a);
  }
  return ['ai-art', cmd, 'train', ...out, '--continue_train'].map(shellQuote).join(' ');
}

function fmtLoss(v: number): string {
  return Number.isFinite(v) ? v.toFixed(3) : String(v);
}

async function train(
  model: GanModel,
  cmd: string,
  argv: string[],
): Promise<number> {
  const parsed = parseGanOptions(argv, 'train', { model });
  const quiet = parsed.cli.quiet;
  const threads = parsed.threads;
  const ui: { bar: ProgressBar | null } = { bar: null };
  let startBatch = 0;
  const say = (l: string): void => {
    if (ui.bar) ui.bar.log(l);
    else process.stderr.write(`${l}\n`);
  };
  const log = quiet ? () => undefined : say;
  const controller = new AbortController();
  const off = onInterrupt(
    controller,
    say,
    '\ninterrupted: finishing the current iteration, then saving the latest checkpoint (Ctrl-C again to stop at once)',
  );
  let r: TrainResult;
  try {
    r = await trainGan(parsed, {
      signal: controller.signal,
      threads,
      log,
      warn: (m) => say(`warning: ${m}`),
      onEpochStart: (e) => {
        if (quiet) return;
        startBatch = e.startBatch;
        ui.bar = progressBar(e.batches - e.startBatch, `epoch ${e.epoch}/${e.lastEpoch}`);
      },
      onProgress: (p) => {
        if (!ui.bar) return;
        const fields: Record<string, string> = {};
        for (const [k, v] of Object.entries(p.losses)) fields[k] = fmtLoss(v);
        fields['it/s'] = p.itPerSec.toFixed(2);
        ui.bar.update(p.batch - startBatch, fields);
      },
      onEpochEnd: () => {
        ui.bar?.done();
        ui.bar = null;
      },
    });
  } finally {
    off();
    ui.bar = null;
  }
  if (parsed.cli.json) process.stdout.write(`${JSON.stringify(r)}\n`);
  const perIter = r.iterations > 0 ? ` (${(r.seconds / r.iterations).toFixed(3)} s per iteration)` : '';
  if (r.interrupted) {
    process.stderr.write(
      `interrupted at epoch ${r.epoch}, epoch_iter ${r.epochIter}, total_iters ${r.totalIters}; ` +
        `${r.saved.includes('latest') ? `saved checkpoint 'latest' with the trainer state in ${r.dir}` : 'nothing new was trained, nothing saved'}\n` +
        `resume with:\n  ${resumeCommand(cmd, argv)}\n`,
    );
    return 130;
  }
  process.stderr.write(
    `trained ${r.iterations} iterations in ${r.seconds.toFixed(1)} s${perIter}; checkpoints in ${r.dir}` +
      (parsed.opt.no_html ? '\n' : `, training page ${r.dir}/web/index.html\n`),
  );
  return 0;
}

async function test(model: GanModel, argv: string[]): Promise<number> {
  // `--model test` (one direction, one folder) is the official way to test a CycleGAN generator alone.
  const parsed = parseGanOptions(argv, 'test', { model, allowOneWay: true });
  const quiet = parsed.cli.quiet;
  const ui: { bar: ProgressBar | null } = { bar: null };
  const say = (l: string): void => {
    if (ui.bar) ui.bar.log(l);
    else process.stderr.write(`${l}\n`);
  };
  const controller = new AbortController();
  const off = onInterrupt(controller, say, '\ninterrupted: writing the page for the pictures done so far');
  try {
    const r = await testGan(parsed, {
      signal: controller.signal,
      threads: parsed.threads,
      log: quiet ? () => undefined : say,
      warn: (m) => say(`warning: ${m}`),
      onProgress: (p) => {
        if (quiet) return;
        ui.bar ??= progressBar(p.total, 'test');
        ui.bar.update(p.done);
      },
    });
    ui.bar?.done();
    ui.bar = null;
    if (parsed.cli.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    process.stderr.write(`${r.images} pictures in ${r.seconds.toFixed(1)} s; results page ${r.index}\n`);
    return r.interrupted ? 130 : 0;
  } finally {
    off();
  }
}

export async function ganCommand(model: GanModel, cmd: string, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h' || sub === 'help') {
    const text =
      `usage: ai-art ${cmd} train|test --dataroot DIR --name NAME [options]\n\n` +
      `  train   train a ${model === 'cycle_gan' ? 'CycleGAN (unpaired trainA/ and trainB/)' : 'pix2pix model (A|B pairs in train/)'} as the official train.py\n` +
      `  test    run a trained model on test pictures and write an HTML page, as the official test.py\n\n` +
      `ai-art ${cmd} train --help lists every option.\n`;
    if (!sub) {
      process.stderr.write(text);
      return 2;
    }
    process.stdout.write(text);
    return 0;
  }
  if (sub !== 'train' && sub !== 'test')
    throw new UsageError(`unknown subcommand '${sub}': use ai-art ${cmd} train or ai-art ${cmd} test`);
  if (rest.some((a) => /^(-h|--help)$/.test(a))) {
    const commands = { cycle_gan: { train: cycleganTrainCommand, test: cycleganTestCommand }, pix2pix: { train: pix2pixTrainCommand, test: pix2pixTestCommand } };
    process.stdout.write(helpText(commands[model === 'pix2pix' ? 'pix2pix' : 'cycle_gan'][sub]));
    return 0;
  }
  return sub === 'train' ? train(model, cmd, rest) : test(model, rest);
}
