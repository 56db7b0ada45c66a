import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import sharp, { type Sharp } from 'sharp';
import { ImageError, loadImage, probeImage, toHWC8, type RawImage } from '../../src/images/index.js';
import { declaredPng, patternRaw, pixel, tempDir } from './helpers.js';

const dir = tempDir('load');
const at = (name: string): string => path.join(dir, name);

async function rejectsClearly(p: Promise<unknown>, file: string, reason: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ImageError, `expected ImageError, got ${String(e)}`);
    assert.ok(e.message.includes(file), `message should name ${file}: ${e.message}`);
    assert.match(e.message, reason);
    assert.doesNotMatch(e.message, /vips|\n|\bat /i, 'no libvips internals or stack in the message');
    return true;
  });
}

function notices(): { list: string[]; notice: (m: string) => void } {
  const list: string[] = [];
  return { list, notice: (m) => list.push(m) };
}

const rgbBytes = (w: number, h: number, f: (x: number, y: number) => [number, number, number]): Buffer => {
  const b = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) b.set(f(x, y), (y * w + x) * 3);
  return b;
};

// Noise so that half of the compressed stream really is half of the pixels.
const noise = (): Sharp =>
  sharp({
    create: {
      width: 300,
      height: 200,
      channels: 3,
      background: '#000',
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  });

test('bad files: truncated JPEG, text named .png, empty, missing, folder -> ImageError naming the file', async () => {
  const jpeg = await noise().jpeg().toBuffer();
  writeFileSync(at('cut.jpg'), jpeg.subarray(0, jpeg.length >> 1));
  await rejectsClearly(loadImage(at('cut.jpg')), at('cut.jpg'), /truncated or corrupt/);

  const png = await noise().png().toBuffer();
  writeFileSync(at('cut.png'), png.subarray(0, png.length >> 1));
  await rejectsClearly(loadImage(at('cut.png')), at('cut.png'), /truncated or corrupt/);

  writeFileSync(at('notes.png'), 'these are my holiday notes, not a picture\n');
  await rejectsClearly(loadImage(at('notes.png')), at('notes.png'), /not an image/);
  writeFileSync(at('empty.jpg'), '');
  await rejectsClearly(loadImage(at('empty.jpg')), at('empty.jpg'), /empty/);
  await rejectsClearly(loadImage(at('nope.png')), at('nope.png'), /no such file/);
  mkdirSync(at('folder.png'));
  await rejectsClearly(loadImage(at('folder.png')), at('folder.png'), /folder/);
  await rejectsClearly(loadImage(Buffer.alloc(0), { name: 'upload' }), 'upload', /empty/);
  await rejectsClearly(loadImage(Buffer.from('GIF89a garbage'), { name: 'upload.gif' }), 'upload.gif', /./);
});

test('a huge declared size is refused from the header alone, without decoding', async () => {
  writeFileSync(at('bomb.png'), declaredPng(20000, 20000));
  const t0 = performance.now();
  await rejectsClearly(loadImage(at('bomb.png')), at('bomb.png'), /20000x20000.*over the limit/);
  assert.ok(performance.now() - t0 < 2000);
  const before = process.memoryUsage().rss;
  await rejectsClearly(
    loadImage(at('bomb.png'), { maxPixels: 1e6 }),
    at('bomb.png'),
    /limit of 1 megapixels/,
  );
  assert.ok(process.memoryUsage().rss - before < 200 * 2 ** 20, 'no full-size allocation');
});

test('big images are downscaled on decode with a notice (maxSide, and the libvips pre-shrink path)', async () => {
  // 5000x3400 = 17 MP: above the pre-shrink threshold, so libvips shrinks while decoding.
  const w = 5000;
  const h = 3400;
  await sharp({ create: { width: w, height: h, channels: 3, background: '#2060a0' } })
    .composite([
      {
        input: { create: { width: 2500, height: 3400, channels: 3, background: '#e0c020' } },
        left: 0,
        top: 0,
      },
    ])
    .jpeg()
    .toFile(at('big.jpg'));
  const n = notices();
  const t0 = performance.now();
  const img = await loadImage(at('big.jpg'), { maxSide: 500, notice: n.notice });
  const ms = performance.now() - t0;
  assert.equal(img.width, 500);
  assert.equal(img.height, 340);
  assert.equal(n.list.length, 1);
  assert.match(n.list[0], /5000x3400.*downscaled to 500x340/);
  const [r, , b] = pixel(img, 100, 170);
  assert.ok(r > 0.8 && b < 0.3, 'left half stays yellow');
  const [r2, , b2] = pixel(img, 400, 170);
  assert.ok(r2 < 0.25 && b2 > 0.5, 'right half stays blue');
  assert.ok(ms < 5000, `took ${ms} ms`);
  // The same file through `size` (the reference's --size) gives the same size without a notice.
  const m = notices();
  const s = await loadImage(at('big.jpg'), { size: 500, notice: m.notice });
  assert.equal(s.width, 500);
  assert.equal(m.list.length, 0);
});

test('EXIF orientation 6 is applied (rotated 90 degrees clockwise)', async () => {
  // Red top-left quadrant; after a clockwise quarter turn it is the top-right one.
  const w = 64;
  const h = 32;
  const raw = rgbBytes(w, h, (x, y) => (x < w / 2 && y < h / 2 ? [230, 20, 20] : [20, 20, 230]));
  await sharp(raw, { raw: { width: w, height: h, channels: 3 } })
    .withMetadata({ orientation: 6 })
    .jpeg({ quality: 95 })
    .toFile(at('o6.jpg'));
  const probe = await probeImage(at('o6.jpg'));
  assert.deepEqual([probe.width, probe.height], [32, 64]);
  const img = await loadImage(at('o6.jpg'));
  assert.deepEqual([img.width, img.height], [32, 64]);
  assert.ok(pixel(img, 24, 8)[0] > 0.8, 'top-right is red');
  assert.ok(pixel(img, 8, 8)[2] > 0.8, 'top-left is blue');
  assert.ok(pixel(img, 24, 48)[2] > 0.8, 'bottom-right is blue');
});

test('RGBA is composited over white, with a notice only when something is transparent', async () => {
  const px = Buffer.from([255, 0, 0, 0, 255, 0, 0, 255, 0, 0, 255, 128, 0, 255, 0, 255]);
  await sharp(px, { raw: { width: 2, height: 2, channels: 4 } })
    .png()
    .toFile(at('rgba.png'));
  const n = notices();
  const img = await loadImage(at('rgba.png'), { notice: n.notice });
  assert.deepEqual(pixel(img, 0, 0), [1, 1, 1]); // fully transparent -> white
  assert.deepEqual(pixel(img, 1, 0), [1, 0, 0]); // opaque red
  const [r, g, b] = pixel(img, 0, 1); // half-transparent blue -> light blue
  assert.ok(Math.abs(r - 127 / 255) < 1e-6 && Math.abs(g - 127 / 255) < 1e-6 && b === 1);
  assert.equal(n.list.length, 1);
  assert.match(n.list[0], /transparent.*white/);
  await sharp({ create: { width: 4, height: 4, channels: 4, background: { r: 9, g: 9, b: 9, alpha: 1 } } })
    .png()
    .toFile(at('opaque.png'));
  const m = notices();
  await loadImage(at('opaque.png'), { notice: m.notice });
  assert.equal(m.list.length, 0, 'an opaque alpha channel is not worth a notice');
});

test('greyscale (8-bit and 16-bit with alpha) expands to RGB', async () => {
  await sharp(Buffer.from([0, 64, 128, 255]), { raw: { width: 2, height: 2, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toFile(at('grey.png'));
  assert.equal((await probeImage(at('grey.png'))).channels, 1);
  const g = await loadImage(at('grey.png'));
  assert.deepEqual(pixel(g, 1, 0), [64 / 255, 64 / 255, 64 / 255].map(Math.fround));
  const ga = new Uint16Array([0, 65535, 30000, 65535, 65535, 0, 20000, 32768]);
  await sharp(ga, { raw: { width: 2, height: 2, channels: 2 } })
    .toColourspace('grey16')
    .png()
    .toFile(at('grey16a.png'));
  const meta = await probeImage(at('grey16a.png'));
  assert.deepEqual([meta.channels, meta.depth], [2, 'ushort']);
  const img = await loadImage(at('grey16a.png'));
  assert.ok(Math.abs(pixel(img, 1, 0)[1] - 30000 / 65535) < 1e-6, '16-bit grey kept at 16-bit precision');
  assert.deepEqual(pixel(img, 0, 1), [1, 1, 1]); // transparent -> white
  const a = 32768 / 65535;
  assert.ok(Math.abs(pixel(img, 1, 1)[2] - ((20000 / 65535) * a + 1 - a)) < 1e-5);
});

test('16-bit PNG and TIFF are scaled to [0,1], not clipped or truncated to 8 bits', async () => {
  const vals = [0, 1000, 30000, 60000, 65535, 257];
  const u16 = new Uint16Array(2 * 1 * 3);
  u16.set(vals);
  for (const [name, enc] of [
    ['deep.png', (s: Sharp) => s.png()],
    ['deep.tif', (s: Sharp) => s.tiff({ compression: 'lzw' })], // sharp's default JPEG-in-TIFF is 8-bit
  ] as const) {
    await enc(sharp(u16, { raw: { width: 2, height: 1, channels: 3 } }).toColourspace('rgb16')).toFile(
      at(name),
    );
    assert.equal((await probeImage(at(name))).depth, 'ushort', name);
    const img = await loadImage(at(name));
    const got = [...pixel(img, 0, 0), ...pixel(img, 1, 0)];
    got.forEach((v, i) =>
      assert.ok(Math.abs(v - vals[i] / 65535) < 1e-6, `${name} value ${i}: ${v} vs ${vals[i] / 65535}`),
    );
    // 1000/65535 is between bytes 3 and 4: an 8-bit path could not produce it
    assert.ok(Math.abs(got[1] * 255 - Math.round(got[1] * 255)) > 0.05);
  }
  // and resizing stays in range
  const r = await loadImage(at('deep.png'), { size: 7 });
  assert.ok(r.data.every((v) => v >= 0 && v <= 1));
});

test('CMYK JPEG is converted to sRGB', async () => {
  await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 200, g: 30, b: 40 } } })
    .toColourspace('cmyk')
    .jpeg()
    .toFile(at('cmyk.jpg'));
  const p = await probeImage(at('cmyk.jpg'));
  assert.equal(p.channels, 4, 'the file really is 4-channel CMYK');
  const img = await loadImage(at('cmyk.jpg'));
  const [r, g, b] = pixel(img, 4, 4);
  assert.equal(img.data.length, 3 * 64);
  assert.ok(r > 0.7 && g < 0.25 && b < 0.25, `red stays red: ${[r, g, b]}`);
});

test('palette PNG, GIF (first frame, with notice), WebP, TIFF and AVIF load', async () => {
  const base = rgbBytes(12, 8, (x) => (x < 4 ? [255, 0, 0] : x < 8 ? [0, 128, 0] : [0, 0, 255]));
  const mk = (): Sharp => sharp(base, { raw: { width: 12, height: 8, channels: 3 } });
  await mk().png({ palette: true, colours: 4, dither: 0 }).toFile(at('pal.png'));
  const pal = await loadImage(at('pal.png'));
  assert.deepEqual(toHWC8(pal), base, 'palette colours come back exactly');
  for (const [name, s, tol] of [
    ['x.webp', mk().webp({ quality: 95 }), 0.15],
    ['x.tif', mk().tiff(), 0],
    ['x.avif', mk().avif({ quality: 90 }), 0.2],
    ['x.gif', mk().gif(), 0.01],
  ] as const) {
    await s.toFile(at(name));
    const img = await loadImage(at(name));
    assert.deepEqual([img.width, img.height], [12, 8], name);
    const [r, g, b] = pixel(img, 1, 4);
    assert.ok(r > 1 - tol - 0.01 && g < tol + 0.01 && b < tol + 0.01, `${name}: ${[r, g, b]}`);
  }
  // two-frame animation: first frame used, and the user is told
  const frames = Buffer.concat([rgbBytes(4, 4, () => [255, 255, 0]), rgbBytes(4, 4, () => [0, 0, 0])]);
  await sharp(frames, { raw: { width: 4, height: 8, channels: 3, pageHeight: 4 } })
    .gif()
    .toFile(at('anim.gif'));
  const n = notices();
  const a = await loadImage(at('anim.gif'), { notice: n.notice });
  assert.deepEqual([a.width, a.height], [4, 4]);
  assert.ok(pixel(a, 0, 0)[0] > 0.9);
  assert.match(n.list.join(), /2 frames/);
});

test('1x1 images load, resize up, and Buffer / RawImage inputs work', async () => {
  await sharp(Buffer.from([10, 20, 30]), { raw: { width: 1, height: 1, channels: 3 } })
    .png()
    .toFile(at('one.png'));
  const one = await loadImage(at('one.png'));
  assert.deepEqual([one.width, one.height], [1, 1]);
  assert.deepEqual(toHWC8(one), Buffer.from([10, 20, 30]));
  const up = await loadImage(readFileSync(at('one.png')), { size: 5 });
  assert.deepEqual([up.width, up.height], [5, 5]);
  assert.ok(Math.abs(up.data[12] - 10 / 255) < 1e-6, 'a constant image stays constant');
  const raw: RawImage = patternRaw(40, 20);
  assert.equal(await loadImage(raw), raw, 'small RawImage passes through');
  const r = await loadImage(raw, { size: 10 });
  assert.deepEqual([r.width, r.height], [10, 5]);
  assert.ok(
    r.data.every((v) => v >= 0 && v <= 1),
    'lanczos overshoot clamped',
  );
  await assert.rejects(loadImage({ width: 2, height: 2, data: new Float32Array(5) }), ImageError);
  await assert.rejects(loadImage(raw, { size: 0 }), RangeError);
});

test('a file rewritten in place is read afresh (no stale libvips cache)', async () => {
  const f = at('again.png');
  await sharp({ create: { width: 2, height: 2, channels: 3, background: '#ff0000' } })
    .png()
    .toFile(f);
  assert.equal((await loadImage(f)).data[0], 1);
  await sharp({ create: { width: 2, height: 2, channels: 3, background: '#000000' } })
    .png()
    .toFile(f);
  assert.equal((await loadImage(f)).data[0], 0);
});
