/** Translate in the browser: upload a tiny random-weight pix2pix .pth, translate an image, draw and see the translation follow. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { demoScenePng } from '../src/images/index.js';
import { tinyPix2pix } from '../test/studio/helpers.js';
import { SKIP, open, type Session } from './helpers.js';

let s: Session;
let pth: string;
let photo: string;

before(async () => {
  if (SKIP) return;
  s = await open('translate');
  pth = path.join(s.home, 'tiny_pix2pix_net_G.pth');
  await tinyPix2pix(pth, 7);
  photo = path.join(s.home, 'scene.png');
  writeFileSync(photo, await demoScenePng('landscape', { width: 128, height: 96 }));
});
after(async () => {
  if (!SKIP) await s.close();
});

/** The output image's pixels, to see that it changed. */
async function outputSignature(): Promise<string> {
  return s.page.evaluate(async () => {
    const img = document.querySelector('[data-testid=draw-output]') as HTMLImageElement;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = 32;
    c.height = 32;
    const g = c.getContext('2d')!;
    g.drawImage(img, 0, 0, 32, 32);
    return Array.from(g.getImageData(0, 0, 32, 32).data.filter((_, i) => i % 4 === 0)).join(',');
  });
}

const outputSrc = () => s.page.locator('[data-testid=draw-output]').getAttribute('src');

/** Waits (up to 30 s) for a new translation to arrive (each is a new blob URL), as the page re-translates after each change. */
async function newTranslation(before: string | null): Promise<string> {
  for (let t = 0; t < 60; t++) {
    await s.page.waitForTimeout(500);
    const now = await outputSrc();
    if (now && now !== before) return now;
  }
  throw new Error('no new translation arrived');
}

test('upload a pix2pix checkpoint and translate a dropped image', { skip: SKIP }, async () => {
  const { page } = s;
  await page.goto(`${s.studio.url}/#/translate`);
  await page.locator('[data-testid=model-drop] input[type=file]').setInputFiles(pth);
  await page.waitForFunction(() => (document.querySelector('[data-testid=model-select]') as HTMLSelectElement).value.startsWith('upload:'));
  assert.match(await page.locator('[data-testid=model-select] option:checked').innerText(), /tiny_pix2pix_net_G\.pth \(pix2pix, unet_32\)/);
  await page.locator('[data-testid=translate-drop] input[type=file]').setInputFiles(photo);
  const out = page.locator('[data-testid=translated]');
  await out.waitFor({ timeout: 60000 });
  await page.waitForFunction(() => (document.querySelector('[data-testid=translated]') as HTMLImageElement).naturalWidth === 128);
  await s.shot('image');
});

test('draw on the pix2pix canvas: the translation follows the drawing; undo and clear work', { skip: SKIP }, async () => {
  const { page } = s;
  await page.getByRole('button', { name: 'Draw (pix2pix)' }).click();
  const canvas = page.locator('[data-testid=draw-canvas]');
  await canvas.waitFor();
  await page.locator('[data-testid=draw-output]').waitFor({ timeout: 60000 });
  const blank = await outputSignature();
  const blankSrc = await outputSrc();
  await s.shot('blank');
  const box = (await canvas.boundingBox())!;
  const stroke = async (pts: [number, number][]) => {
    await page.mouse.move(box.x + pts[0][0] * box.width, box.y + pts[0][1] * box.height);
    await page.mouse.down();
    for (const [x, y] of pts.slice(1)) await page.mouse.move(box.x + x * box.width, box.y + y * box.height, { steps: 6 });
    await page.mouse.up();
  };
  await page.locator('.draw input[type=range]').fill('24');
  await stroke([[0.1, 0.1], [0.9, 0.2], [0.5, 0.9], [0.2, 0.5]]);
  const drawnSrc = await newTranslation(blankSrc);
  assert.notEqual(await outputSignature(), blank, 'the translation changed with the drawing');
  await s.shot('drawn');
  // Label-map palette: pick a class colour and draw with it.
  await page.getByText('label-map palette').click();
  await page.locator('.palette button[title=window]').click();
  const canvasData = () => canvas.evaluate((c) => (c as HTMLCanvasElement).toDataURL());
  const beforeStroke = await canvasData();
  await stroke([[0.3, 0.3], [0.7, 0.3], [0.7, 0.6], [0.3, 0.6], [0.3, 0.3]]);
  const labelled = await newTranslation(drawnSrc);
  await s.shot('labels');
  await page.getByRole('button', { name: 'Undo' }).click();
  const undone = await newTranslation(labelled);
  assert.equal(await canvasData(), beforeStroke, 'undo restored the drawing');
  await page.getByRole('button', { name: 'Clear' }).click();
  await newTranslation(undone);
  // Cleared to the label map's background class (CMP facades: #0000aa).
  const px = await canvas.evaluate((c) => Array.from((c as HTMLCanvasElement).getContext('2d')!.getImageData(128, 128, 1, 1).data));
  assert.deepEqual(px, [0, 0, 170, 255]);
  await s.shot('cleared');
});
