/**
 * `ai-art cyclegan|pix2pix train|test [options]`: the official train.py / test.py flags (as
 * written there or kebab-case), a progress bar per epoch on stderr, and Ctrl-C that saves.
 */
import { trainGan, type TrainResult } from '../gan/train.js';
import { testGan } from '../gan/test.js';
import { ganOptionSpecs, parseGanOptions, type GanModel, type GanPhaseKind } from '../gan/options.js';
import { helpText, parseArgs, UsageError, type OptSpec } from './args.js';
import { progressBar, type ProgressBar } from './progress.js';

const CLI_SPECS: OptSpec[] = [
  { name: 'threads', type: 'int', help: 'ONNX Runtime threads per session (default: all cores)' },
  { name: 'quiet', aliases: ['q'], type: 'boolean', help: 'no progress bar and no per-iteration lines' },
  { name: 'json', type: 'boolean', help: 'print one JSON line with the result at the end' },
  { name: 'help', aliases: ['h'], type: 'boolean', help: 'show this help' },
];

const CLI_FLAGS = new Set(['threads', 'quiet', 'q', 'json', 'help', 'h']);

/** Splits this command's own flags from the official options. */
function splitArgs(argv: readonly string[]): { gan: string[]; cli: ReturnType<typeof parseArgs> } {
  const gan: string[] = [];
  const own: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--?([^=]+)(=.*)?$/.exec(a);
    if (m && CLI_FLAGS.has(m[1])) {
      own.push(a);
      if (m[1] === 'threads' && !m[2] && i + 1 < argv.length) own.push(argv[++i]);
    } else gan.push(a);
  }
  return { gan, cli: parseArgs(own, CLI_SPECS) };
}

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

/** SIGINT once: stop after the current step (the caller saves); twice: leave at once. */
function onInterrupt(controller: AbortController, say: (m: string) => void, first: string): () => void {
  let count = 0;
  const handler = (): void => {
    count++;
    if (count === 1) {
      say(first);
      controller.abort();
    } else {
      process.stderr.write('\nstopped at once; the last checkpoint on disk is intact\n');
      process.exit(130);
    }
  };
  process.on('SIGINT', handler);
  return () => process.removeListener('SIGINT', handler);
}

async function train(
  model: GanModel,
  cmd: string,
  argv: string[],
  cli: ReturnType<typeof parseArgs>,
  given: readonly string[],
): Promise<number> {
  const parsed = parseGanOptions(argv, 'train', { model });
  const quiet = cli.values.get('quiet') === true;
  const threads = cli.values.get('threads') as number | undefined;
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
  if (cli.values.get('json') === true) process.stdout.write(`${JSON.stringify(r)}\n`);
  const perIter = r.iterations > 0 ? ` (${(r.seconds / r.iterations).toFixed(3)} s per iteration)` : '';
  if (r.interrupted) {
    process.stderr.write(
      `interrupted at epoch ${r.epoch}, epoch_iter ${r.epochIter}, total_iters ${r.totalIters}; ` +
        `${r.saved.includes('latest') ? `saved checkpoint 'latest' with the trainer state in ${r.dir}` : 'nothing new was trained, nothing saved'}\n` +
        `resume with:\n  ${resumeCommand(cmd, given)}\n`,
    );
    return 130;
  }
  process.stderr.write(
    `trained ${r.iterations} iterations in ${r.seconds.toFixed(1)} s${perIter}; checkpoints in ${r.dir}` +
      (parsed.opt.no_html ? '\n' : `, training page ${r.dir}/web/index.html\n`),
  );
  return 0;
}

async function test(model: GanModel, argv: string[], cli: ReturnType<typeof parseArgs>): Promise<number> {
  // `--model test` (one direction, one folder) is the official way to test a CycleGAN generator alone.
  const pre = parseArgs(argv, ganOptionSpecs('test'));
  const oneWay = pre.values.get('model') === 'test' && pre.given.has('model');
  const parsed = parseGanOptions(argv, 'test', oneWay ? {} : { model });
  const quiet = cli.values.get('quiet') === true;
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
      threads: cli.values.get('threads') as number | undefined,
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
    if (cli.values.get('json') === true) process.stdout.write(`${JSON.stringify(r)}\n`);
    process.stderr.write(`${r.images} pictures in ${r.seconds.toFixed(1)} s; results page ${r.index}\n`);
    return r.interrupted ? 130 : 0;
  } finally {
    off();
  }
}

export async function ganCommand(model: GanModel, cmd: string, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const usage = (phase: GanPhaseKind): string =>
    `ai-art ${cmd} ${phase} --dataroot DIR --name NAME [options]`;
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
  const { gan, cli } = splitArgs(rest);
  if (cli.values.get('help') === true) {
    const desc =
      sub === 'train'
        ? 'Options as the official train.py (names as there or kebab-case). Ctrl-C saves the latest checkpoint; --continue_train resumes it exactly.'
        : 'Options as the official test.py. Results go to [results_dir]/[name]/[phase]_[epoch]/index.html.';
    // Defaults as this model changes them (pix2pix: unet_256, batch norm, aligned...).
    const { defaults } = parseGanOptions([], sub, { model, datarootOptional: true });
    defaults.set('model', model);
    const specs = ganOptionSpecs(sub, sub === 'train' ? model : undefined).map((s) =>
      defaults.has(s.name) ? { ...s, default: defaults.get(s.name) } : s,
    );
    process.stdout.write(helpText(usage(sub), [...specs, ...CLI_SPECS], desc));
    return 0;
  }
  return sub === 'train' ? train(model, cmd, gan, cli, rest) : test(model, gan, cli);
}
