/** The layer explorer: per-layer strokes computed on demand, then reused. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { demoScenePng } from '../src/images/index.js';
import { SKIP, open, type Session } from './helpers.js';

let s: Session;
let style: string;

before(async () => {
  if (SKIP) return;
  s = await open('explore');
  style = path.join(s.home, 'swirls.png');
  writeFileSync(style, await demoScenePng('swirls', { width: 96, height: 96 }));
});
after(async () => {
  if (!SKIP) await s.close();
});

test('strokes per layer: computed as jobs, shown as they finish, reused when asked again', { skip: SKIP }, async () => {
  const { page } = s;
  await page.goto(`${s.studio.url}/#/explore`);
  await page.locator('[data-testid=explore-drop] input[type=file]').setInputFiles(style);
  await page.locator('[data-testid=explore-drop] img.thumb').waitFor();
  await page.locator('label', { hasText: 'size' }).locator('input').fill('48');
  await page.locator('label', { hasText: 'iterations' }).locator('input').fill('15');
  await page.locator('label', { hasText: 'weights' }).locator('select').selectOption('random');
  // Three layers only: untick the defaults but conv2_2 and conv4_1, tick conv1_1.
  for (const l of ['conv3_1', 'conv3_2', 'conv4_3', 'conv4_4', 'conv5_1', 'conv5_4']) await page.locator('.layers label', { hasText: l }).locator('input').uncheck();
  await page.locator('.layers label', { hasText: 'conv1_1' }).locator('input').check();
  await page.getByRole('button', { name: 'Compute' }).click();
  const cells = page.locator('[data-testid=explore-cell]');
  await cells.nth(2).waitFor();
  assert.equal(await cells.count(), 3);
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=explore-cell]')].every((c) => c.getAttribute('data-status') === 'done'), undefined, {
    timeout: 300000,
    polling: 1000,
  });
  await page.waitForFunction(() => [...document.querySelectorAll('.cell img')].every((i) => (i as HTMLImageElement).naturalWidth > 0));
  await s.shot('strokes');
  // Asked again: the same jobs come back at once.
  const before = (await (await fetch(`${s.studio.url}/api/jobs`)).json()) as { request: { explore: { iterations: number; size: number } } }[];
  assert.deepEqual(before.map((j) => [j.request.explore.size, j.request.explore.iterations]), [[48, 15], [48, 15], [48, 15]]);
  await page.getByRole('button', { name: 'Compute' }).click();
  await page.waitForTimeout(500);
  const after = (await (await fetch(`${s.studio.url}/api/jobs`)).json()) as unknown[];
  assert.equal(after.length, before.length);
});
