/**
 * `ai-art demo`: the main job on the project's own pictures, with no download: draws a
 * landscape and two style scenes, stylises the landscape with each on the seeded random
 * VGG-19, and writes the results and a labelled contact sheet.
 */
import fs from 'node:fs';
import path from 'node:path';
import { addPngText, contactSheetPng, demoScene, optionsStamp, saveImage, type RawImage } from '../images/index.js';
import { stylize, type StyleReport } from '../style/stylize.js';
import { demoCommand as demoSchema } from '../options/commands/style.js';
import { parseCli } from './parse.js';
import { fmtNum, progressBar } from './progress.js';

export async function demoCommand(argv: string[]): Promise<number> {
  const args = parseCli(demoSchema, argv);
  if (!args) return 0;
  const { output: dir, size, iterations } = args.options;
  const quiet = args.quiet || args.json;
  fs.mkdirSync(dir, { recursive: true });
  const w = size;
  const h = Math.round((size * 3) / 4);
  const content = await demoScene('landscape', { width: w, height: h });
  await saveImage(content, path.join(dir, 'content.png'), { text: optionsStamp('demo', { size, iterations }) });
  const cells: { image: RawImage; label: string }[] = [{ image: content, label: 'content' }];
  const reports: Record<string, StyleReport> = {};
  for (const name of ['swirls', 'mosaic'] as const) {
    const style = await demoScene(name, { width: w, height: h });
    await saveImage(style, path.join(dir, `style_${name}.png`), { text: optionsStamp('demo', { size, iterations }) });
    const bar = progressBar(iterations, name.padEnd(7), { quiet });
    const { image, report } = await stylize(
      { content, styles: [style], size, iterations, weights: 'random' },
      { onProgress: (p) => bar.update(p.evaluation, { total: fmtNum(p.total), 'eval/s': p.evaluationsPerSecond.toFixed(1) }) },
    );
    const out = path.join(dir, `${name}.png`);
    await saveImage(image, out, { text: optionsStamp('style', { size, iterations, weights: 'random' }, { content: 'content.png', styles: [`style_${name}.png`] }) });
    bar.done(quiet ? undefined : `wrote ${out} (${report.seconds.toFixed(1)} s)`);
    reports[name] = { ...report, output: path.resolve(out) };
    cells.push({ image: style, label: `style: ${name}` }, { image, label: `result: ${name}` });
  }
  const sheet = path.join(dir, 'sheet.png');
  fs.writeFileSync(sheet, addPngText(await contactSheetPng(cells, { columns: 5, cellSize: size, title: 'ai-art demo: random VGG-19, offline' }), optionsStamp('demo', { size, iterations })));
  if (!quiet) process.stderr.write(`wrote ${sheet}\n`);
  if (args.json) process.stdout.write(`${JSON.stringify({ sheet: path.resolve(sheet), reports })}\n`);
  return 0;
}
