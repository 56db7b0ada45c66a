import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import {
  ImageError,
  encodeImage,
  loadImage,
  saveImage,
  toByte,
  type RawImage,
} from '../../src/images/index.js';
import { maxAbsDiff, patternRaw, tempDir } from './helpers.js';

const dir = tempDir('save');
const at = (...p: string[]): string => path.join(dir, ...p);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

test('PNG round trip is within 1/255 and exactly the rounded bytes', async () => {
  const img = patternRaw(37, 23, 7);
  await saveImage(img, at('rt.png'));
  const back = await loadImage(at('rt.png'));
  assert.deepEqual([back.width, back.height], [37, 23]);
  assert.ok(maxAbsDiff(back.data, img.data) <= 0.5 / 255 + 1e-7);
  for (let i = 0; i < img.data.length; i += 97)
    assert.equal(Math.round(back.data[i] * 255), toByte(img.data[i]));
});

test('JPEG and WebP by extension; lossless WebP is exact; out-of-range values clamp', async () => {
  const img = patternRaw(32, 32, 3);
  await saveImage(img, at('a.jpg'));
  await saveImage(img, at('a.JPEG'), { quality: 98 });
  await saveImage(img, at('a.webp'), { lossless: true });
  assert.equal((await sharp(at('a.jpg')).metadata()).format, 'jpeg');
  assert.equal((await sharp(at('a.JPEG')).metadata()).format, 'jpeg');
  const w = await loadImage(at('a.webp'));
  assert.ok(maxAbsDiff(w.data, img.data) <= 0.5 / 255 + 1e-7);
  const j = await loadImage(at('a.JPEG'));
  const mean = j.data.reduce((s, v, i) => s + Math.abs(v - img.data[i]), 0) / j.data.length;
  assert.ok(mean < 0.03, `JPEG mean error ${mean}`);

  const wild: RawImage = {
    width: 3,
    height: 1,
    data: Float32Array.from([-1, 2, Number.NaN, 0.5, 0.5, 0.5, 1e9, -1e9, 1]),
  };
  const png = await encodeImage(wild, 'png');
  const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([...data], [0, 128, 255, 255, 128, 0, 0, 128, 255]);
  await assert.rejects(
    saveImage(img, at('a.bmp')),
    (e: unknown) => e instanceof ImageError && /\.bmp/.test(e.message),
  );
});

test('a missing folder is an error naming it, unless mkdirs is asked for', async () => {
  const img = patternRaw(4, 4);
  const target = at('no', 'such', 'dir', 'x.png');
  await assert.rejects(saveImage(img, target), (e: unknown) => {
    assert.ok(e instanceof ImageError);
    assert.ok(e.message.includes(path.dirname(target)), e.message);
    assert.match(e.message, /does not exist/);
    return true;
  });
  assert.equal(existsSync(at('no')), false, 'nothing created');
  await saveImage(img, target, { mkdirs: true });
  assert.ok(existsSync(target));
  writeFileSync(at('plainfile'), 'x');
  await assert.rejects(saveImage(img, at('plainfile', 'x.png')), /not a folder/);
});

function tempLeftovers(folder: string): string[] {
  return readdirSync(folder).filter((f) => f.endsWith('.tmp'));
}

test('a failed write (file size limit, as a full disk) leaves the previous file intact and no temp file', async () => {
  const folder = at('atomic');
  mkdirSync(folder);
  const target = path.join(folder, 'result.png');
  await saveImage(patternRaw(8, 8), target);
  const before = readFileSync(target);
  // A child whose file-size limit is 4 KiB tries to save a ~200 KB PNG over the old one: the
  // write fails part-way with EFBIG, which is what a full disk looks like to the process.
  const script = `
    import { saveImage } from ${JSON.stringify(path.join(repo, 'src/images/index.ts'))};
    const n = 256 * 256, data = new Float32Array(3 * n);
    for (let i = 0; i < data.length; i++) data[i] = ((i * 2654435761) >>> 0) / 4294967296;
    try { await saveImage({ width: 256, height: 256, data }, ${JSON.stringify(target)}); console.log('SAVED'); }
    catch (e) { console.log(e.name + ': ' + e.message); }
  `;
  writeFileSync(path.join(folder, 'child.mts'), script);
  const r = spawnSync(
    'bash',
    [
      '-c',
      `trap '' XFSZ; ulimit -f 4; exec "${process.execPath}" --import tsx "${path.join(folder, 'child.mts')}"`,
    ],
    { cwd: repo, encoding: 'utf8', timeout: 30000 },
  );
  assert.match(
    r.stdout,
    /ImageError: cannot save .*result\.png: the file is larger than this process may write/,
    r.stdout + r.stderr,
  );
  assert.deepEqual(readFileSync(target), before, 'old picture untouched');
  assert.deepEqual(tempLeftovers(folder), []);
});

test('saving over a folder fails cleanly; read-only folders fail cleanly when not root', async () => {
  const folder = at('clash');
  mkdirSync(path.join(folder, 'taken.png'), { recursive: true });
  await assert.rejects(saveImage(patternRaw(4, 4), path.join(folder, 'taken.png')), ImageError);
  assert.deepEqual(tempLeftovers(folder), []);

  if (process.getuid?.() === 0) return; // root writes anywhere; the EFBIG test covers the failure path
  const ro = at('ro');
  mkdirSync(ro);
  const target = path.join(ro, 'keep.png');
  await saveImage(patternRaw(4, 4), target);
  const before = readFileSync(target);
  chmodSync(ro, 0o555);
  try {
    await assert.rejects(saveImage(patternRaw(9, 9), target), /permission denied/);
    assert.deepEqual(readFileSync(target), before);
  } finally {
    chmodSync(ro, 0o755);
  }
});

test('overwriting replaces the file in one step', async () => {
  const target = at('over.png');
  await saveImage(patternRaw(5, 5, 1), target);
  await saveImage(patternRaw(6, 4, 2), target);
  const back = await loadImage(target);
  assert.deepEqual([back.width, back.height], [6, 4]);
  assert.deepEqual(tempLeftovers(dir), []);
});
