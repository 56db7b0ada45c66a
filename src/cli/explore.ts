/**
 * The seed's experiments: what each VGG-19 layer sees.
 * - strokes: style cost of one layer alone, from noise: the "brush strokes" it learned;
 * - content: content cost of one layer alone, from noise: which layer reconstructs and which abstracts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { addPngText, contactSheetPng, loadImage, optionsStamp, type RawImage } from '../images/index.js';
import { stylize } from '../style/stylize.js';
import { exploreCommand as exploreSchema } from '../options/commands/style.js';
import { UsageError } from '../options/errors.js';
import { parseCli } from './parse.js';
import { progressBar } from './progress.js';
import { checkOutputPath } from './style.js';

export async function exploreCommand(argv: string[]): Promise<number> {
  const args = parseCli(exploreSchema, argv);
  if (!args) return 0;
  const o = args.options;
  const [kind, src] = args.positionals;
  if ((kind !== 'strokes' && kind !== 'content') || !src) throw new UsageError(`usage: ${exploreSchema.usage}`);
  const out = o.output;
  checkOutputPath(out);
  const layers = o.layers;
  const image = await loadImage(src);
  const cells: { image: RawImage; label: string }[] = [{ image, label: kind === 'strokes' ? 'style' : 'content' }];
  for (const layer of layers) {
    const bar = progressBar(o.iterations, layer.padEnd(8), { quiet: args.quiet });
    const perLayer =
      kind === 'strokes'
        ? { contentWeight: 0, styleWeight: 1e10, contentLayers: [], styleLayers: [layer], styleLayerWeights: 'equal' }
        : { contentWeight: 1, styleWeight: 0, contentLayers: [layer], styleLayers: [] };
    const { image: result } = await stylize(
      {
        content: image,
        styles: [image],
        size: o.size,
        iterations: o.iterations,
        weights: o.weights,
        seed: o.seed,
        init: 'noise',
        ...perLayer,
      },
      { onProgress: (pr) => bar.update(pr.evaluation) },
    );
    bar.done();
    cells.push({ image: result, label: layer });
  }
  const sheet = await contactSheetPng(cells, { columns: Math.min(5, cells.length), title: `explore ${kind}` });
  const stamp = optionsStamp('explore', { kind, layers, size: o.size, iterations: o.iterations, weights: o.weights, seed: o.seed }, { image: path.basename(src) });
  fs.writeFileSync(out, addPngText(sheet, stamp));
  if (!args.quiet) process.stderr.write(`wrote ${out}\n`);
  return 0;
}
