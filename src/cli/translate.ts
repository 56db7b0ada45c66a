/** `ai-art translate INPUT... --model NAME_OR_FILE -o DIR`: CycleGAN / pix2pix generators on images. */
import fs from 'node:fs';
import path from 'node:path';
import { loadImage, optionsStamp, saveImage } from '../images/index.js';
import { Translator, expandInputs, resolveGenerator } from '../gan/translate.js';
import { translateCommand as translateSchema } from '../options/commands/gan.js';
import { UsageError } from '../options/errors.js';
import { parseCli } from './parse.js';
import { progressBar } from './progress.js';

export async function translateCommand(argv: string[]): Promise<number> {
  const args = parseCli(translateSchema, argv);
  if (!args) return 0;
  const o = args.options;
  const model = o.model;
  if (args.positionals.length === 0) throw new UsageError(`usage: ${translateSchema.usage}`);
  const files = expandInputs(args.positionals);
  const outDir = o.output;
  fs.mkdirSync(outDir, { recursive: true });
  const gen = await resolveGenerator(model, {
    ...(o.netG !== undefined ? { netG: o.netG } : {}),
    ...(o.ngf !== undefined ? { ngf: o.ngf } : {}),
    ...(o.norm !== undefined ? { norm: o.norm } : {}),
    ...(o.no_dropout !== undefined ? { no_dropout: o.no_dropout } : {}),
  });
  const quiet = args.quiet || args.json;
  if (!quiet) process.stderr.write(`${gen.netG} from ${gen.source}\n`);
  const tr = new Translator(gen, { eval: o.eval, pad: o.pad, seed: o.seed, threads: o.threads });
  const bar = progressBar(files.length, 'translate', { quiet });
  const written: string[] = [];
  const stamp = { model, eval: o.eval, pad: o.pad, seed: o.seed };
  try {
    for (const [i, f] of files.entries()) {
      const img = await loadImage(f);
      const out = await tr.translate(img, f);
      const dest = path.join(outDir, `${path.basename(f, path.extname(f))}.png`);
      await saveImage(out, dest, { text: optionsStamp('translate', stamp, { input: path.basename(f) }) });
      written.push(path.resolve(dest));
      bar.update(i + 1);
    }
  } finally {
    await tr.release();
  }
  bar.done(quiet ? undefined : `wrote ${written.length} image(s) to ${outDir}`);
  if (args.json) process.stdout.write(`${JSON.stringify({ model: gen.source, netG: gen.netG, outputs: written })}\n`);
  return 0;
}
