/** `ai-art style CONTENT STYLE [STYLE...] -o OUT`: flags as jcjohnson/neural-style, kebab-case. */
import path from 'node:path';
import fs from 'node:fs';
import { optionsStamp, saveImage } from '../images/index.js';
import { stylize, type StyleReport, type StylizeOptions } from '../style/stylize.js';
import { styleCommand as styleSchema } from '../options/commands/style.js';
import { UsageError } from '../options/errors.js';
import { parseCli } from './parse.js';
import { fmtNum, progressBar } from './progress.js';

export const STYLE_USAGE = styleSchema.usage;

/** Refuses an output path whose folder is missing before any work is done. */
export function checkOutputPath(out: string): void {
  const dir = path.dirname(path.resolve(out));
  if (!fs.existsSync(dir)) throw new UsageError(`output folder ${dir} does not exist`);
  if (!/\.(png|jpe?g|webp)$/i.test(out)) throw new UsageError(`output ${out}: use a .png, .jpg or .webp name`);
}

export function frameName(out: string, n: number): string {
  const ext = path.extname(out);
  return `${out.slice(0, out.length - ext.length)}_${n}${ext}`;
}

export async function styleCommand(argv: string[]): Promise<number> {
  const args = parseCli(styleSchema, argv);
  if (!args) return 0;
  const [content, ...styles] = args.positionals;
  if (!content || styles.length === 0) throw new UsageError(`usage: ${STYLE_USAGE}`);
  const out = args.options.output;
  if (!out) throw new UsageError('missing -o OUT');
  checkOutputPath(out);
  const quiet = args.quiet || args.json;
  const controller = new AbortController();
  const onSigint = () => {
    process.stderr.write('\ninterrupted: finishing the current step and saving the last frame\n');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  const opts: StylizeOptions = { content, styles, ...args.options };
  const bar = progressBar(args.options.iterations, 'style', { quiet });
  const text = optionsStamp('style', args.options, { content: path.basename(content), styles: styles.map((f) => path.basename(f)) });
  try {
    const { image, report } = await stylize(opts, {
      signal: controller.signal,
      notice: (m) => bar.log(`note: ${m}`),
      onProgress: (pr) =>
        bar.update(pr.evaluation, {
          ...(pr.scales > 1 ? { scale: `${pr.scale}/${pr.scales}` } : {}),
          total: fmtNum(pr.total),
          content: fmtNum(pr.content),
          style: fmtNum(pr.style),
          tv: fmtNum(pr.tv),
          'eval/s': pr.evaluationsPerSecond.toFixed(2),
        }),
      onFrame: async (img, n) => {
        await saveImage(img, frameName(out, n), { text });
      },
    });
    await saveImage(image, out, { text });
    const full: StyleReport = { ...report, output: path.resolve(out) };
    bar.done(quiet ? undefined : `wrote ${out} (${report.evaluations} evaluations, ${report.seconds.toFixed(1)} s${report.interrupted ? ', interrupted' : ''})`);
    if (args.json) process.stdout.write(`${JSON.stringify(full)}\n`);
    return report.interrupted ? 130 : 0;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
