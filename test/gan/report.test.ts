import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import {
  formatLossLine,
  LossLog,
  tensorToImage,
  TestResults,
  testWebDir,
  TrainingWeb,
  type Visuals,
} from '../../src/gan/report/index.js';
import { tempDir } from '../images/helpers.js';

function visual(
  c: 1 | 3,
  h: number,
  w: number,
  f: (k: number, y: number, x: number) => number,
): { data: Float32Array; shape: number[] } {
  const data = new Float32Array(c * h * w);
  for (let k = 0; k < c; k++)
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[(k * h + y) * w + x] = f(k, y, x);
  return { data, shape: [1, c, h, w] };
}

/** Every src/href in a page must name a file that exists next to it. */
async function assertLinksExist(html: string, file: string): Promise<string[]> {
  const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => decodeURIComponent(m[1]));
  for (const r of refs)
    assert.ok(existsSync(path.join(path.dirname(file), r)), `${file} refers to missing ${r}`);
  return refs;
}

test('the console line and both logs follow the reference’s format', async () => {
  const dir = tempDir('gan-log');
  const e = {
    epoch: 3,
    iters: 200,
    t_comp: 0.1534,
    t_data: 0.0021,
    losses: { D_A: 0.25, G_A: 0.8104, cycle_A: 1.23456 },
    total_iters: 600,
    progress: 3.5,
  };
  assert.equal(
    formatLossLine(e),
    '(epoch: 3, iters: 200, time: 0.153, data: 0.002) D_A: 0.250 G_A: 0.810 cycle_A: 1.235 ',
  );
  const echoed: string[] = [];
  const log = await LossLog.open(dir, { echo: (l) => echoed.push(l) });
  await log.print(e);
  await log.print({ ...e, iters: 300, losses: { D_A: 0.2, G_A: 0.7, cycle_A: 1.1 } });
  assert.deepEqual(echoed, [
    formatLossLine(e),
    '(epoch: 3, iters: 300, time: 0.153, data: 0.002) D_A: 0.200 G_A: 0.700 cycle_A: 1.100 ',
  ]);
  const txt = (await readFile(log.txt, 'utf8')).split('\n');
  assert.match(
    txt[0],
    /^================ Training Loss \(\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\) ================$/,
  );
  assert.equal(txt[1], formatLossLine(e));
  const lines = (await readFile(log.jsonl, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 2);
  assert.equal(lines[0].epoch, 3);
  assert.equal(lines[0].iters, 200);
  assert.equal(lines[0].t_comp, 0.1534);
  assert.equal(lines[0].t_data, 0.0021);
  assert.equal(lines[0].cycle_A, 1.23456);
  assert.equal(lines[1].D_A, 0.2);
  // a resumed run reads the earlier entries back (for the plot) and keeps appending
  const again = await LossLog.open(dir, { echo: false });
  assert.equal(again.entries.length, 2);
  assert.deepEqual(again.entries[0].losses, e.losses);
  assert.equal(again.entries[0].progress, 3.5);
});

test('tensor2im: (x+1)/2*255 truncated, grey tiled to RGB', () => {
  const t = visual(1, 1, 4, (_k, _y, x) => [-1, 0, 1, 0.999][x]);
  const img = tensorToImage(t);
  // (0+1)/2*255 = 127.5 -> 127 (truncated, not rounded); 0.999 -> 254.87 -> 254
  assert.deepEqual([...img.data], [0, 0, 0, 127, 127, 127, 255, 255, 255, 254, 254, 254]);
});

test('training page: epoch%.3d images, newest epoch first, loss curve, every link resolves', async () => {
  const dir = tempDir('gan-web');
  const web = new TrainingWeb({ checkpoints_dir: dir, name: 'exp', display_winsize: 128, no_html: false });
  const vis = (shift: number): Visuals => ({
    real_A: visual(3, 8, 8, (k, y, x) => ((x + y + k + shift) % 8) / 4 - 1),
    fake_B: visual(3, 8, 8, (k) => k / 2 - 0.5 + shift / 100),
    rec_A: visual(1, 8, 8, (_k, y) => y / 8),
  });
  const log = await LossLog.open(path.join(dir, 'exp'), { echo: false });
  for (let i = 1; i <= 4; i++)
    await log.print({
      epoch: 1 + Math.floor(i / 3),
      iters: i,
      t_comp: 0.1,
      t_data: 0,
      losses: { G: 1 / i, D: 0.5 },
      progress: 1 + i / 3,
    });

  web.reset();
  assert.equal(
    await web.displayCurrentResults(vis(0), 1, false, log.entries),
    true,
    'first display of an epoch is saved',
  );
  assert.equal(
    await web.displayCurrentResults(vis(1), 1, false, log.entries),
    false,
    'later ones only when update_html_freq says so',
  );
  assert.equal(await web.displayCurrentResults(vis(2), 1, true, log.entries), true);
  web.reset();
  await web.displayCurrentResults(vis(3), 2, false, log.entries);

  const index = path.join(dir, 'exp', 'web', 'index.html');
  const html = await readFile(index, 'utf8');
  assert.match(html, /<title>Experiment name = exp<\/title>/);
  const refs = await assertLinksExist(html, index);
  for (const f of ['epoch001_real_A.png', 'epoch001_fake_B.png', 'epoch001_rec_A.png', 'epoch002_real_A.png'])
    assert.ok(refs.includes(`images/${f}`), f);
  assert.ok(refs.includes('loss.png'));
  assert.ok(html.indexOf('epoch [2]') < html.indexOf('epoch [1]'), 'newest first');
  assert.ok(html.indexOf('real_A</span>') < html.indexOf('fake_B</span>'), 'visuals in their given order');
  const meta = await sharp(path.join(dir, 'exp', 'web', 'images', 'epoch001_rec_A.png')).metadata();
  assert.equal(meta.width, 8);
  assert.equal(meta.channels, 3, 'grey visuals are saved as RGB');
  const plot = await sharp(path.join(dir, 'exp', 'web', 'loss.png')).metadata();
  assert.ok((plot.width ?? 0) >= 400);

  // --no_html: nothing written
  const off = new TrainingWeb({ checkpoints_dir: dir, name: 'quiet', display_winsize: 128, no_html: true });
  assert.equal(await off.displayCurrentResults(vis(0), 1, true), false);
  assert.equal(existsSync(path.join(dir, 'quiet')), false);
});

test('test page: results/NAME/test_latest/index.html with each picture’s visuals', async () => {
  const dir = tempDir('gan-results');
  const opt = {
    results_dir: dir,
    name: 'facades',
    phase: 'test',
    epoch: 'latest',
    load_iter: 0,
    aspect_ratio: 1,
    display_winsize: 256,
  };
  assert.equal(testWebDir(opt), path.join(dir, 'facades', 'test_latest'));
  assert.equal(testWebDir({ ...opt, load_iter: 5000 }), path.join(dir, 'facades', 'test_latest_iter5000'));
  const page = new TestResults(opt);
  for (const name of ['1.jpg', 'my photo #2.png']) {
    await page.saveImages(
      {
        real_A: visual(3, 8, 8, () => 0.2),
        fake_B: visual(3, 8, 8, () => -0.2),
        real_B: visual(3, 8, 8, () => 0.9),
      },
      `/data/facades/test/${name}`,
    );
  }
  const index = await page.save();
  assert.equal(index, path.join(dir, 'facades', 'test_latest', 'index.html'));
  const html = await readFile(index, 'utf8');
  assert.match(html, /Experiment = facades, Phase = test, Epoch = latest/);
  const refs = await assertLinksExist(html, index);
  assert.ok(refs.includes('images/1_fake_B.png'));
  assert.ok(refs.includes('images/my photo #2_real_A.png'), 'names with spaces and # are linked correctly');
  assert.ok(html.includes('<h3>my photo #2</h3>'));

  // aspect_ratio stretches as the reference does
  const wide = new TestResults({ ...opt, name: 'ar', aspect_ratio: 2 });
  const [file] = await wide.saveImages({ fake_B: visual(3, 8, 8, () => 0) }, 'x.png');
  const m = await sharp(file).metadata();
  assert.deepEqual([m.width, m.height], [8, 16]);
});
