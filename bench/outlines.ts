/**
 * `npm run bench:outlines [-- --epochs N --decay N]`: a short pix2pix training run on the
 * paired dataset ../shared/datasets/outlines2people (each file holds photo | outline, 256x256
 * halves) from outline to photo (--direction BtoA) with the official defaults otherwise, then
 * the official test on its val split. Prints the mean L1
 * (pixels in [0,1]) of fake_B against real_B next to the copy-the-input baseline, and writes
 * a contact sheet of val results (out/outlines2people/sheet.png) and the HTML pages.
 */
import fs from 'node:fs';
import path from 'node:path';
import { contactSheetPng, loadImage } from '../src/images/index.js';
import { testGan, trainGan } from '../src/gan/index.js';
import { intArg } from './peer.js';

const EPOCHS = intArg('epochs', 10);
const DECAY = intArg('decay', 5);
const dataroot = path.resolve('../shared/datasets/outlines2people');
if (!fs.existsSync(dataroot)) {
  console.log(`${dataroot} is absent: nothing to run`);
  process.exit(0);
}
const out = path.resolve('out/outlines2people');
const common = {
  dataroot,
  name: 'outlines2people',
  model: 'pix2pix' as const,
  direction: 'BtoA' as const,
  checkpoints_dir: path.join(out, 'checkpoints'),
};

const t0 = performance.now();
let lastLine = '';
const train = await trainGan(
  { ...common, n_epochs: EPOCHS, n_epochs_decay: DECAY, print_freq: 40, display_freq: 200, save_epoch_freq: 5 },
  {
    log: (l) => {
      if (/epoch|saving/.test(l)) console.log(l);
      lastLine = l;
    },
  },
);
console.log(`trained ${train.iterations} iterations in ${train.seconds.toFixed(0)} s (${(train.seconds / train.iterations).toFixed(2)} s/iteration); ${lastLine}`);

const test = await testGan({ ...common, phase: 'val', results_dir: path.join(out, 'results'), num_test: 1000 }, { log: () => undefined });
const l1 = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;
let fake = 0;
let copy = 0;
const sheet: { image: string; label: string }[] = [];
for (const [i, f] of test.files.entries()) {
  const pick = (k: string) => f.outputs.find((o) => o.includes(`_${k}.`))!;
  const [A, F, B] = await Promise.all(['real_A', 'fake_B', 'real_B'].map((k) => loadImage(pick(k))));
  fake += l1(F.data, B.data) / test.files.length;
  copy += l1(A.data, B.data) / test.files.length;
  if (i < 4) sheet.push({ image: pick('real_A'), label: 'outline (input)' }, { image: pick('fake_B'), label: 'pix2pix' }, { image: pick('real_B'), label: 'photo (target)' });
}
fs.writeFileSync(path.join(out, 'sheet.png'), await contactSheetPng(sheet, { columns: 6, cellSize: 192, title: `pix2pix on outlines2people, ${train.iterations} iterations (val)` }));
console.log(
  JSON.stringify({
    iterations: train.iterations,
    seconds: Math.round((performance.now() - t0) / 1000),
    val_images: test.files.length,
    val_l1_fake_vs_real: Number(fake.toFixed(4)),
    val_l1_copy_input_baseline: Number(copy.toFixed(4)),
    pages: test.index,
    sheet: path.join(out, 'sheet.png'),
  }),
);
