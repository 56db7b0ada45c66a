// One style job through the library (the CLI's code path without its progress bar), run by
// bench/job.ts under /usr/bin/time: plain JavaScript on dist/, so no TypeScript loader adds to
// the peak RSS it measures. argv: JSON {options, out, log}; writes the picture, a JSON line per
// evaluation to `log` ({t, scale, evaluation, total, content, style, tv}) and the report on stdout.
import fs from 'node:fs';
import { stylize } from '../dist/style/index.js';
import { saveImage } from '../dist/images/index.js';

const { options, out, log } = JSON.parse(process.argv[2]);
const t0 = performance.now();
const lines = [];
const { image, report } = await stylize(options, {
  onProgress: (p) => lines.push(JSON.stringify({ t: (performance.now() - t0) / 1000, scale: p.scale, scales: p.scales, size: p.size, evaluation: p.evaluation, total: p.total, content: p.content, style: p.style, tv: p.tv })),
});
await saveImage(image, out);
if (log) fs.writeFileSync(log, `${lines.join('\n')}\n`);
process.stdout.write(`${JSON.stringify({ ...report, wall: (performance.now() - t0) / 1000 })}\n`);
