/**
 * The seed's experiments: what each VGG-19 layer sees.
 * - strokes: style cost of one layer alone, from noise: the "brush strokes" it learned;
 * - content: content cost of one layer alone, from noise: which layer reconstructs and which abstracts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { addPngText, contactSheetPng, loadImage, optionsStamp, type RawImage } from '../images/index.js';
import { stylize } from '../style/stylize.js';
import { Opts, UsageError, helpText, parseArgs, type OptSpec } from './args.js';
import { progressBar } from './progress.js';
import { checkOutputPath } from './style.js';

const OPTIONS: OptSpec[] = [
  { name: 'layers', type: 'string', help: 'comma-separated VGG-19 layers', default: 'conv2_2,conv3_1,conv3_2,conv4_1,conv4_3,conv4_4,conv5_1,conv5_4' },
  { name: 'output', aliases: ['o'], type: 'string', help: 'contact sheet (.png)', default: 'sheet.png' },
  { name: 'size', type: 'int', help: 'longest side of each picture', default: 128 },
  { name: 'iterations', type: 'int', help: 'L-BFGS evaluations per layer', default: 100 },
  { name: 'weights', type: 'string', help: 'auto | vgg19 | random | FILE.pth', default: 'auto' },
  { name: 'seed', type: 'int', help: 'noise seed', default: 0 },
  { name: 'quiet', aliases: ['q'], type: 'boolean', help: 'no progress bar' },
  { name: 'help', aliases: ['h'], type: 'boolean', help: 'show this help' },
];
const USAGE = 'ai-art explore strokes STYLE | content CONTENT [--layers L1,L2,...] -o sheet.png';

export async function exploreCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, OPTIONS);
  const o = new Opts(p);
  if (o.bool('help')) {
    process.stdout.write(helpText(USAGE, OPTIONS, 'Per-layer experiments, laid out as a labelled contact sheet.'));
    return 0;
  }
  const [kind, src] = p.positionals;
  if ((kind !== 'strokes' && kind !== 'content') || !src) throw new UsageError(`usage: ${USAGE}`);
  const out = o.str('output')!;
  checkOutputPath(out);
  const layers = o.str('layers')!.split(',').map((s) => s.trim()).filter(Boolean);
  const image = await loadImage(src);
  const cells: { image: RawImage; label: string }[] = [{ image, label: kind === 'strokes' ? 'style' : 'content' }];
  for (const layer of layers) {
    const bar = progressBar(o.num('iterations')!, layer.padEnd(8), { quiet: o.bool('quiet') });
    const perLayer =
      kind === 'strokes'
        ? { contentWeight: 0, styleWeight: 1e10, contentLayers: [], styleLayers: [layer], styleLayerWeights: 'equal' }
        : { contentWeight: 1, styleWeight: 0, contentLayers: [layer], styleLayers: [] };
    const { image: result } = await stylize(
      {
        content: image,
        styles: [image],
        size: o.num('size'),
        iterations: o.num('iterations'),
        weights: o.str('weights'),
        seed: o.num('seed'),
        init: 'noise',
        ...perLayer,
      },
      { onProgress: (pr) => bar.update(pr.evaluation) },
    );
    bar.done();
    cells.push({ image: result, label: layer });
  }
  const sheet = await contactSheetPng(cells, { columns: Math.min(5, cells.length), title: `explore ${kind}` });
  const stamp = optionsStamp('explore', { kind, layers, size: o.num('size'), iterations: o.num('iterations'), weights: o.str('weights'), seed: o.num('seed') }, { image: path.basename(src) });
  fs.writeFileSync(out, addPngText(sheet, stamp));
  if (!o.bool('quiet')) process.stderr.write(`wrote ${out}\n`);
  return 0;
}
