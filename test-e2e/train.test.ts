/**
 * Training from the page: a tiny fast-train run started on the fast-style page (a dataset
 * folder on the server, a dropped style picture), watched in the dashboard (loss points, a
 * sample), stopped, resumed and finished; its model then stylises a picture in the browser.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { demoScenePng } from '../src/images/index.js';
import { fastDataset, styleImage } from '../test/helpers/fast_data.js';
import { SKIP, open, type Session } from './helpers.js';

let s: Session;
let style: string;
let photo: string;

before(async () => {
  if (SKIP) return;
  const data = mkdtempSync(path.join(os.tmpdir(), 'ai-art-e2e-datasets-'));
  await fastDataset(path.join(data, 'photos'), 10);
  s = await open('train', { datasetRoots: [data] });
  style = await styleImage(path.join(s.home, 'mosaic.png'), 64);
  photo = path.join(s.home, 'scene.png');
  writeFileSync(photo, await demoScenePng('landscape', { width: 160, height: 120 }));
});
after(async () => {
  if (!SKIP) await s.close();
});

const points = async () => Number(/step (\d+)/.exec(await s.page.locator('[data-testid=run-progress]').innerText())?.[1] ?? 0);

test('train a style from the fast-style page, stop and resume it in the dashboard, then use the model', { skip: SKIP }, async () => {
  const { page } = s;
  await page.goto(`${s.studio.url}/#/fast`);
  const panel = page.locator('[data-testid=fast-train-panel]');
  await panel.locator('summary').first().click();
  await panel.locator('[data-testid=train-dataset]').selectOption('0/photos');
  await panel.locator('[data-testid=train-name]').fill('mosaic-e2e');
  await panel.locator('[data-testid=train-style-drop] input[type=file]').setInputFiles(style);
  await panel.locator('.thumb').waitFor();
  const set = async (name: string, v: string) => {
    await panel.locator(`input[type=number][name=${name}]`).fill(v);
    await panel.locator(`input[type=number][name=${name}]`).press('Tab');
  };
  await set('imageSize', '32');
  await set('iterations', '40');
  await set('epochs', '100');
  await set('checkpointInterval', '2');
  await set('logInterval', '1');
  await panel.locator('select[name=vgg]').selectOption('random');
  await panel.locator('details.advanced > summary').click();
  await set('batchSize', '2');
  await set('holdBack', '2');
  await set('threads', '1');
  await s.shot('form');
  await panel.locator('[data-testid=train-start]').click();

  // Its dashboard entry shows up in the panel: loss points and a sample grid.
  await panel.locator('[data-testid=run-detail]').waitFor({ timeout: 30000 });
  await page.waitForFunction(() => /step [3-9]|step \d\d/.test(document.querySelector('[data-testid=run-progress]')?.textContent ?? ''), undefined, { timeout: 120000, polling: 500 });
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=fast-train-panel] .samples img')].some((i) => (i as HTMLImageElement).naturalWidth > 0), undefined, { timeout: 120000 });
  await s.shot('panel-training');

  // The dashboard: the same run, training; Stop ends it after its step with a checkpoint.
  await panel.locator('[data-testid=fast-train-dashboard]').click();
  const view = page.locator('.dashboard-page [data-testid=run-detail]');
  await view.waitFor();
  assert.match(await view.locator('[data-testid=run-status]').innerText(), /training/);
  assert.match(await view.locator('[data-testid=run-progress]').innerText(), /step \d+ \/ 40 · epoch \d+ · [\d.]+ % · ETA (\d|—)/);
  const legend = await view.locator('.chart .u-legend').innerText();
  for (const k of ['content', 'style', 'total']) assert.match(legend, new RegExp(k));
  await s.shot('dashboard-training');
  await view.locator('[data-testid=run-stop]').click();
  await page.locator('.dashboard-page [data-testid=run-detail][data-status=stopped]').waitFor({ timeout: 60000 });
  const stoppedAt = await points();
  assert.ok(stoppedAt > 0 && stoppedAt < 40, `stopped at step ${stoppedAt}`);
  assert.match(await view.locator('[data-testid=run-progress]').innerText(), /ETA —/);
  await s.shot('stopped');

  // Resume: the run goes on from its checkpoint to the end (the API tests check that it continues
  // from the checkpoint's step, not from 0).
  await view.locator('[data-testid=run-resume]').click();
  await page.waitForFunction(
    (n) => {
      const t = document.querySelector('.dashboard-page [data-testid=run-progress]')?.textContent ?? '';
      const st = document.querySelector('.dashboard-page [data-testid=run-detail]')?.getAttribute('data-status');
      // The page refreshes every 2 s: a quick machine may finish the rest between two refreshes.
      return st === 'finished' || (st === 'training' && Number(/step (\d+)/.exec(t)?.[1] ?? 0) > n);
    },
    stoppedAt,
    { timeout: 120000, polling: 250 },
  );
  await s.shot('resumed');
  await page.locator('.dashboard-page [data-testid=run-detail][data-status=finished]').waitFor({ timeout: 240000 });
  assert.match(await view.locator('[data-testid=run-progress]').innerText(), /step 40 \/ 40/);
  await s.shot('finished');

  // The model is in the fast-style list and stylises a picture in the browser.
  await page.goto(`${s.studio.url}/#/fast`);
  const select = page.locator('[data-testid=fast-model]');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=fast-model] option')].some((o) => /mosaic-e2e \(trained here\)/.test(o.textContent ?? '')));
  const value = await select.locator('option', { hasText: 'mosaic-e2e (trained here)' }).getAttribute('value');
  await select.selectOption(value!);
  await page.locator('[data-testid=fast-image-drop] input[type=file]').setInputFiles(photo);
  await page.getByText(/stylised 256×192 in \d+ ms in the browser/).waitFor({ timeout: 60000 });
  await s.shot('stylised');
});
