/** Fast styles in the browser: a tiny random TransformerNet stylises the fake webcam and a picture with onnxruntime-web. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { demoScenePng } from '../src/images/index.js';
import { tinyFastStyle } from '../test/studio/helpers.js';
import { SKIP, open, type Session } from './helpers.js';

let s: Session;
let pth: string;
let photo: string;

before(async () => {
  if (SKIP) return;
  s = await open('fast');
  pth = path.join(s.home, 'tiny_style.pth');
  await tinyFastStyle(pth, 3);
  photo = path.join(s.home, 'scene.png');
  writeFileSync(photo, await demoScenePng('landscape', { width: 160, height: 120 }));
});
after(async () => {
  if (!SKIP) await s.close();
});

const outputStats = () =>
  s.page.locator('[data-testid=fast-output]').evaluate((c) => {
    const cv = c as HTMLCanvasElement;
    const d = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < d.length; i += 4) {
      sum += d[i];
      sq += d[i] * d[i];
    }
    const n = d.length / 4;
    return { w: cv.width, h: cv.height, std: Math.sqrt(sq / n - (sum / n) ** 2) };
  });

test('upload a fast-style model and stylise the fake webcam live', { skip: SKIP }, async () => {
  const { page } = s;
  const wasm: string[] = [];
  page.on('request', (r) => {
    if (/\.wasm|\.mjs/.test(r.url())) wasm.push(r.url());
  });
  await page.goto(`${s.studio.url}/#/fast`);
  await page.locator('[data-testid=fast-model-drop] input[type=file]').setInputFiles(pth);
  await page.waitForFunction(() => (document.querySelector('[data-testid=fast-model]') as HTMLSelectElement).value.startsWith('upload:'));
  await page.getByRole('button', { name: 'Webcam' }).click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=fast-output]')?.getAttribute('data-frames')) >= 5, undefined, { timeout: 120000 });
  await s.shot('webcam');
  const st = await outputStats();
  assert.deepEqual([st.w, st.h], [256, 192]);
  assert.ok(st.std > 1, `the output is a picture, not a flat field (std ${st.std})`);
  assert.match(await page.locator('.notice').innerText(), /frames\/s in the browser/);
  await page.getByRole('button', { name: 'Stop' }).click();
  await page.getByRole('button', { name: 'Webcam' }).and(page.locator(':enabled')).waitFor();
  // Every WebAssembly file came from the studio itself.
  assert.ok(wasm.length > 0);
  for (const u of wasm) assert.ok(u.startsWith(s.studio.url), u);
});

test('stylise a dropped picture in the browser', { skip: SKIP }, async () => {
  const { page } = s;
  await page.locator('[data-testid=fast-image-drop] input[type=file]').setInputFiles(photo);
  await page.waitForTimeout(3000);
  await s.shot('image');
  await page.getByText(/stylised 256×192 in \d+ ms in the browser/).waitFor({ timeout: 60000 });
});
