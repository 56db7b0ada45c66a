/** `ai-art translate INPUT... --model NAME_OR_FILE -o DIR`: CycleGAN / pix2pix generators on images. */
import fs from 'node:fs';
import path from 'node:path';
import { loadImage, optionsStamp, saveImage } from '../images/index.js';
import type { NormType } from '../models/norm_layer.js';
import { Translator, expandInputs, resolveGenerator } from '../gan/translate.js';
import { Opts, UsageError, helpText, parseArgs, type OptSpec } from './args.js';
import { progressBar } from './progress.js';

const OPTIONS: OptSpec[] = [
  { name: 'model', aliases: ['m'], type: 'string', help: 'zoo name (horse2zebra, style_monet, pix2pix/facades_label2photo, ...) or a *_net_G*.pth' },
  { name: 'output', aliases: ['o', 'results_dir'], type: 'string', help: 'output folder', default: 'translated' },
  { name: 'netG', type: 'string', help: 'generator architecture (inferred from the checkpoint; checked when given)' },
  { name: 'ngf', type: 'int', help: 'generator filters (inferred; checked when given)' },
  { name: 'norm', type: 'string', choices: ['instance', 'batch', 'none'], help: 'normalisation (inferred; checked when given)' },
  { name: 'no_dropout', type: 'boolean', help: 'the generator has no dropout (inferred for ResNets)' },
  { name: 'eval', type: 'boolean', help: 'as official --eval: running batch-norm statistics, no dropout' },
  { name: 'pad', type: 'boolean', help: 'U-Nets: reflect-pad to the size the network takes and crop back' },
  { name: 'seed', type: 'int', help: 'dropout seed (without --eval)', default: 0 },
  { name: 'threads', type: 'int', help: 'compute threads' },
  { name: 'json', type: 'boolean', help: 'one JSON line with the written files' },
  { name: 'quiet', aliases: ['q'], type: 'boolean', help: 'no progress bar' },
  { name: 'help', aliases: ['h'], type: 'boolean', help: 'show this help' },
];
const USAGE = 'ai-art translate INPUT... --model NAME_OR_FILE -o DIR';

export async function translateCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, OPTIONS);
  const o = new Opts(p);
  if (o.bool('help')) {
    process.stdout.write(helpText(USAGE, OPTIONS, 'Translate images with a CycleGAN or pix2pix generator.'));
    return 0;
  }
  const model = o.str('model');
  if (!model || p.positionals.length === 0) throw new UsageError(`usage: ${USAGE}`);
  const files = expandInputs(p.positionals);
  const outDir = o.str('output')!;
  fs.mkdirSync(outDir, { recursive: true });
  const gen = await resolveGenerator(model, {
    ...(o.has('netG') ? { netG: o.str('netG') } : {}),
    ...(o.has('ngf') ? { ngf: o.num('ngf') } : {}),
    ...(o.has('norm') ? { norm: o.str('norm') as NormType } : {}),
    ...(o.has('no_dropout') ? { no_dropout: o.bool('no_dropout') } : {}),
  });
  const quiet = o.bool('quiet') || o.bool('json');
  if (!quiet) process.stderr.write(`${gen.netG} from ${gen.source}\n`);
  const tr = new Translator(gen, { eval: o.bool('eval'), pad: o.bool('pad'), seed: o.num('seed'), threads: o.num('threads') });
  const bar = progressBar(files.length, 'translate', { quiet });
  const written: string[] = [];
  const stamp = { model, eval: o.bool('eval'), pad: o.bool('pad'), seed: o.num('seed') };
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
  if (o.bool('json')) process.stdout.write(`${JSON.stringify({ model: gen.source, netG: gen.netG, outputs: written })}\n`);
  return 0;
}
