/**
 * `ai-art combine --fold_A DIR --fold_B DIR --fold_AB DIR`: the official
 * datasets/combine_A_and_B.py, pairing namesakes of fold_A/[split] and fold_B/[split] into the
 * side-by-side A|B pictures pix2pix trains on, and saying what was left out.
 */
import { combineAB, formatCombineReport } from '../gan/combine.js';
import { combineCommand as combineSchema } from '../options/commands/gan.js';
import { UsageError } from '../options/errors.js';
import { parseCli } from './parse.js';

export async function combineCommand(argv: string[]): Promise<number> {
  const args = parseCli(combineSchema, argv);
  if (!args) return 0;
  if (args.positionals.length)
    throw new UsageError(`unexpected argument '${args.positionals[0]}'; usage: ${combineSchema.usage}`);
  const o = args.options;
  const quiet = args.quiet || args.json;
  const report = await combineAB({
    foldA: o.fold_A,
    foldB: o.fold_B,
    out: o.fold_AB,
    numImgs: o.num_imgs,
    useAB: o.use_AB,
    noMultiprocessing: o.no_multiprocessing,
    notice: quiet ? undefined : (m) => process.stderr.write(`${m}\n`),
  });
  if (args.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stdout.write(`${formatCombineReport(report)}\n`);
  if (report.written === 0) {
    process.stderr.write(
      'ai-art combine: no pairs written: no picture in fold_A has a namesake of the same size in the same split of fold_B\n',
    );
    return 1;
  }
  return 0;
}
