/**
 * Style transfer in the browser: upload images, run a small job and watch frames arrive and
 * the result appear, stop a job, reload and find the gallery, restore options from a PNG.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { demoScenePng } from '../src/images/index.js';
import { SKIP, open, type Session } from './helpers.js';

let s: Session;
let files: { content: string; style: string; style2: string };

before(async () => {
  if (SKIP) return;
  s = await open('style');
  const at = (n: string) => path.join(s.home, n);
  files = { content: at('landscape.png'), style: at('swirls.png'), style2: at('mosaic.png') };
  writeFileSync(files.content, await demoScenePng('landscape', { width: 160, height: 120 }));
  writeFileSync(files.style, await demoScenePng('swirls', { width: 128, height: 128 }));
  writeFileSync(files.style2, await demoScenePng('mosaic', { width: 128, height: 128 }));
});
after(async () => {
  if (!SKIP) await s.close();
});

async function setOption(name: string, value: string) {
  const el = s.page.locator(`[name="${name}"]`);
  if (!(await el.isVisible())) await s.page.locator('details.advanced > summary').click();
  if ((await el.evaluate((e) => e.tagName)) === 'SELECT') await el.selectOption(value);
  else {
    await el.fill(value);
    await el.dispatchEvent('change');
  }
}

test('upload, run a small style transfer, see frames arrive and the final image', { skip: SKIP }, async () => {
  const { page } = s;
  await page.goto(s.studio.url);
  await page.locator('.drop-label', { hasText: 'Content image' }).waitFor();
  await s.shot('empty');
  await page.locator('[data-testid=content-drop] input[type=file]').setInputFiles(files.content);
  await page.locator('[data-testid=style-drop] input[type=file]').setInputFiles([files.style, files.style2]);
  await page.locator('[data-testid=content-drop] img.thumb').waitFor();
  await page.locator('[data-testid=style-drop] img.thumb').nth(1).waitFor();
  await setOption('size', '96');
  await setOption('iterations', '40');
  await setOption('weights', 'random');
  await setOption('saveEvery', '1');
  await setOption('scales', '2');
  await s.shot('inputs');
  await page.getByRole('button', { name: 'Start' }).click();
  const frame = page.locator('[data-testid=frame]');
  await frame.waitFor({ timeout: 120000 });
  const first = Number(await frame.getAttribute('data-evaluation'));
  await page.waitForFunction(
    (f) => Number(document.querySelector('[data-testid=frame]')?.getAttribute('data-evaluation') ?? 1e9) >= f + 5,
    first,
    { timeout: 120000 },
  );
  await s.shot('running');
  const result = page.locator('[data-testid=result]');
  await result.waitFor({ timeout: 180000 });
  await page.waitForFunction(() => (document.querySelector('[data-testid=result]') as HTMLImageElement | null)?.naturalWidth === 96);
  assert.equal(await page.locator('[data-testid=job-status]').getAttribute('data-status'), 'done');
  assert.match(await page.locator('[data-testid=evaluation]').innerText(), /^40\/40$/);
  // Coarse-to-fine: the first scale's last frame is shown.
  await page.locator('.scales img').first().waitFor();
  // The cost chart has drawn its series.
  assert.ok((await page.locator('.chart canvas').count()) >= 1);
  await s.shot('done');
});

test('stop a job: the last frame stays as its result', { skip: SKIP }, async () => {
  const { page } = s;
  await setOption('iterations', '3000');
  await setOption('scales', '1');
  await page.getByRole('button', { name: 'Start' }).click();
  await page.locator('[data-testid=frame]').waitFor({ timeout: 120000 });
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=frame]')?.getAttribute('data-evaluation')) >= 3);
  await page.getByRole('button', { name: 'Stop' }).click();
  await page.locator('[data-testid=job-status][data-status=stopped]').waitFor({ timeout: 60000 });
  await page.locator('[data-testid=result]').waitFor();
  await page.waitForFunction(() => ((document.querySelector('[data-testid=result]') as HTMLImageElement | null)?.naturalWidth ?? 0) > 0);
  await s.shot('stopped');
});

test('reload: the job view and the gallery come back', { skip: SKIP }, async () => {
  const { page } = s;
  await page.reload();
  await page.locator('[data-testid=job-status][data-status=stopped]').waitFor();
  await s.shot('reloaded');
  await page.getByRole('link', { name: 'Gallery' }).click();
  const items = page.locator('[data-testid=gallery-item]');
  await items.nth(1).waitFor();
  assert.equal(await items.count(), 2);
  assert.match(await items.nth(0).innerText(), /stopped/);
  assert.match(await items.nth(1).innerText(), /done/);
  await items.nth(1).getByRole('button', { name: 'CLI command' }).click();
  const cmd = await page.locator('[data-testid=command]').innerText();
  assert.match(cmd, /^ai-art style landscape\.png swirls\.png mosaic\.png -o out\.png --size 96 --iterations 40 --weights random/);
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=gallery] img')].every((i) => (i as HTMLImageElement).naturalWidth > 0));
  await s.shot('gallery');
});

test('dropping an ai-art PNG restores the options that made it', { skip: SKIP }, async () => {
  const { page } = s;
  const done = (await (await fetch(`${s.studio.url}/api/jobs`)).json()) as { id: string; status: string }[];
  const id = done.find((j) => j.status === 'done')!.id;
  const png = Buffer.from(await (await fetch(`${s.studio.url}/api/jobs/${id}/files/result.png`)).arrayBuffer());
  const file = path.join(s.home, 'made-by-ai-art.png');
  writeFileSync(file, png);
  await page.goto(`${s.studio.url}/#/style`);
  await page.getByRole('button', { name: 'Defaults' }).click();
  assert.equal(await page.locator('[name=size]').inputValue(), '');
  await page.locator('[data-testid=restore-drop] input[type=file]').setInputFiles(file);
  await page.getByText('options restored from made-by-ai-art.png').waitFor();
  assert.equal(await page.locator('[name=size]').inputValue(), '96');
  assert.equal(await page.locator('[name=iterations]').inputValue(), '40');
  assert.equal(await page.locator('[name=weights]').inputValue(), 'random');
  assert.equal(await page.locator('[name=scales]').inputValue(), '2');
  await s.shot('restored');
});
