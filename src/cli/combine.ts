/**
 * `ai-art combine --fold_A DIR --fold_B DIR --fold_AB DIR`: the official
 * datasets/combine_A_and_B.py, pairing namesakes of fold_A/[split] and fold_B/[split] into the
 * side-by-side A|B pictures pix2pix trains on, and saying what was left out.
 */
import { combineAB, formatCombineReport } from '../gan/combine.js';
import { Opts, UsageError, helpText, parseArgs, type OptSpec } from './args.js';

const SPECS: OptSpec[] = [
  {
    name: 'fold_A',
    type: 'string',
    metavar: 'DIR',
    help: 'input folder for domain A, with split folders (train/, val/, test/)',
  },
  {
    name: 'fold_B',
    type: 'string',
    metavar: 'DIR',
    help: 'input folder for domain B, with the same split folders',
  },
  { name: 'fold_AB', aliases: ['o', 'output'], type: 'string', metavar: 'DIR', help: 'output folder' },
  { name: 'num_imgs', type: 'int', default: 1000000, help: 'at most this many pictures per split' },
  { name: 'use_AB', type: 'boolean', help: 'pair name_A.ext with name_B.ext and write name.ext' },
  { name: 'no_multiprocessing', type: 'boolean', help: 'one picture at a time' },
  { name: 'json', type: 'boolean', help: 'print the report as one JSON line on stdout' },
  { name: 'quiet', aliases: ['q'], type: 'boolean', help: 'no progress notes' },
  { name: 'help', aliases: ['h'], type: 'boolean', help: 'show this help' },
];

const USAGE = 'ai-art combine --fold_A DIR --fold_B DIR --fold_AB DIR [options]';

export async function combineCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, SPECS);
  const o = new Opts(p);
  if (o.bool('help')) {
    process.stdout.write(
      helpText(
        USAGE,
        SPECS,
        'Pairs pictures of the same name from fold_A and fold_B into A|B pictures (aligned datasets for pix2pix).',
      ),
    );
    return 0;
  }
  if (p.positionals.length)
    throw new UsageError(`unexpected argument '${p.positionals[0]}'; usage: ${USAGE}`);
  const missing = ['fold_A', 'fold_B', 'fold_AB'].filter((k) => !o.str(k));
  if (missing.length)
    throw new UsageError(`missing ${missing.map((k) => `--${k}`).join(', ')}; usage: ${USAGE}`);
  const numImgs = o.num('num_imgs') ?? 1000000;
  if (numImgs < 1) throw new UsageError(`--num_imgs must be at least 1, got ${numImgs}`);
  const quiet = o.bool('quiet') || o.bool('json');
  const report = await combineAB({
    foldA: o.str('fold_A') as string,
    foldB: o.str('fold_B') as string,
    out: o.str('fold_AB') as string,
    numImgs,
    useAB: o.bool('use_AB'),
    noMultiprocessing: o.bool('no_multiprocessing'),
    notice: quiet ? undefined : (m) => process.stderr.write(`${m}\n`),
  });
  if (o.bool('json')) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stdout.write(`${formatCombineReport(report)}\n`);
  if (report.written === 0) {
    process.stderr.write(
      'ai-art combine: no pairs written: no picture in fold_A has a namesake of the same size in the same split of fold_B\n',
    );
    return 1;
  }
  return 0;
}
