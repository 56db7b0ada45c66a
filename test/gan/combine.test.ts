import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { combineAB, CombineError, formatCombineReport } from '../../src/gan/combine.js';
import { loadImage } from '../../src/images/load.js';
import { tempDir } from '../images/helpers.js';

async function png(file: string, w: number, h: number, rgb: number[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await sharp({
    create: { width: w, height: h, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } },
  })
    .png()
    .toFile(file);
}

async function dataset(root: string): Promise<void> {
  for (const split of ['train', 'val']) {
    await png(path.join(root, 'A', split, '1.png'), 6, 4, [255, 0, 0]);
    await png(path.join(root, 'B', split, '1.png'), 6, 4, [0, 0, 255]);
  }
  await png(path.join(root, 'A', 'train', '2.png'), 6, 4, [10, 20, 30]);
  await png(path.join(root, 'B', 'train', '2.png'), 6, 4, [40, 50, 60]);
  await png(path.join(root, 'A', 'train', 'only_a.png'), 6, 4, [0, 0, 0]);
  await png(path.join(root, 'B', 'train', 'only_b.png'), 6, 4, [0, 0, 0]);
  await png(path.join(root, 'A', 'train', 'size.png'), 6, 4, [0, 0, 0]);
  await png(path.join(root, 'B', 'train', 'size.png'), 8, 4, [0, 0, 0]);
  await mkdir(path.join(root, 'A', 'train'), { recursive: true });
  await writeFile(path.join(root, 'A', 'train', 'broken.jpg'), 'no');
  await writeFile(path.join(root, 'B', 'train', 'broken.jpg'), 'no');
}

test('pairs same-named files side by side per split and reports what it left out', async () => {
  const root = tempDir('gan-combine');
  await dataset(root);
  const out = path.join(root, 'AB');
  const notices: string[] = [];
  const report = await combineAB({
    foldA: path.join(root, 'A'),
    foldB: path.join(root, 'B'),
    out,
    notice: (m) => notices.push(m),
  });
  assert.deepEqual(
    report.splits.map((s) => s.split),
    ['train', 'val'],
  );
  const [train, val] = report.splits;
  assert.deepEqual(
    train.written.map((f) => path.basename(f)),
    ['1.png', '2.png'],
  );
  assert.deepEqual(
    val.written.map((f) => path.basename(f)),
    ['1.png'],
  );
  assert.deepEqual(train.onlyInA, ['only_a.png']);
  assert.deepEqual(train.onlyInB, ['only_b.png']);
  assert.deepEqual(train.sizeMismatch, [{ name: 'size.png', a: [6, 4], b: [8, 4] }]);
  assert.equal(train.unreadable.length, 1);
  assert.match(train.unreadable[0].error, /broken\.jpg/);
  assert.equal(report.written, 3);
  assert.equal(report.skipped, 3);
  assert.deepEqual(
    (await readdir(path.join(out, 'train'))).sort(),
    ['1.png', '2.png'],
    'nothing written for skipped pairs',
  );
  assert.ok(notices.includes('split = train, use 5/5 images'));

  const ab = await loadImage(path.join(out, 'train', '2.png'));
  assert.deepEqual([ab.width, ab.height], [12, 4]);
  const px = (x: number): number[] => [0, 1, 2].map((c) => Math.round(ab.data[c * 48 + x] * 255));
  assert.deepEqual(px(0), [10, 20, 30], 'A on the left');
  assert.deepEqual(px(11), [40, 50, 60], 'B on the right');

  const text = formatCombineReport(report);
  assert.match(text, /train: 2 pairs written/);
  assert.match(text, /1 in A without a partner in B: only_a\.png/);
  assert.match(text, /size\.png: A 6x4, B 8x4/);
  assert.match(text, /total: 3 written, 3 skipped/);

  // one at a time gives the same result
  const serial = await combineAB({
    foldA: path.join(root, 'A'),
    foldB: path.join(root, 'B'),
    out: path.join(root, 'AB2'),
    noMultiprocessing: true,
  });
  assert.deepEqual(
    serial.splits.map((s) => s.written.map((f) => path.basename(f))),
    report.splits.map((s) => s.written.map((f) => path.basename(f))),
  );
});

test('use_AB naming, num_imgs limit, and layout errors', async () => {
  const root = tempDir('gan-combine-ab');
  await png(path.join(root, 'A', 'test', '0001_A.png'), 4, 4, [1, 2, 3]);
  await png(path.join(root, 'B', 'test', '0001_B.png'), 4, 4, [4, 5, 6]);
  await png(path.join(root, 'A', 'test', '0002_A.png'), 4, 4, [1, 2, 3]);
  await png(path.join(root, 'B', 'test', '0002_B.png'), 4, 4, [4, 5, 6]);
  const r = await combineAB({
    foldA: path.join(root, 'A'),
    foldB: path.join(root, 'B'),
    out: path.join(root, 'AB'),
    useAB: true,
    numImgs: 1,
  });
  assert.deepEqual(
    r.splits[0].written.map((f) => path.basename(f)),
    ['0001.png'],
  );
  assert.deepEqual(r.splits[0].onlyInB, ['0002_B.png'], 'left out by num_imgs, so unpartnered');

  const flat = tempDir('gan-combine-flat');
  await png(path.join(flat, 'A', 'x.png'), 4, 4, [0, 0, 0]);
  await mkdir(path.join(flat, 'B'));
  await assert.rejects(
    combineAB({ foldA: path.join(flat, 'A'), foldB: path.join(flat, 'B'), out: path.join(flat, 'AB') }),
    (e: Error) => {
      return (
        e instanceof CombineError &&
        /has no split folders/.test(e.message) &&
        /holds 1 pictures directly/.test(e.message)
      );
    },
  );
  await assert.rejects(
    combineAB({ foldA: path.join(flat, 'nope'), foldB: flat, out: flat }),
    /fold_A .*nope is not a folder/,
  );
});
