import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { threadId as mainThreadId } from 'node:worker_threads';
import sharp from 'sharp';
import {
  applyTransform,
  createDataset,
  DataError,
  DecodePool,
  GanDataLoader,
  getParams,
  makePower2Size,
  scaleWidthSize,
  type Batch,
  type ItemJob,
  type TransformConfig,
  type U8Image,
} from '../../src/gan/data/index.js';
import { parseGanOptions, type GanBaseOptions } from '../../src/gan/options.js';
import { loadFixture } from '../helpers/fixtures.js';
import { tempDir } from '../images/helpers.js';

const SHARED = path.resolve(import.meta.dirname, '../../../shared/datasets/outlines2people');

// Starting a worker from the TypeScript sources compiles its imports (about a second), so the
// threaded tests share one pool.
const POOL = new DecodePool(2);
after(() => POOL.close());

async function png(
  file: string,
  w: number,
  h: number,
  px: (x: number, y: number) => number[],
  channels: 1 | 3 | 4 = 3,
): Promise<void> {
  const buf = Buffer.alloc(w * h * channels);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) px(x, y).forEach((v, k) => (buf[(y * w + x) * channels + k] = v));
  await mkdir(path.dirname(file), { recursive: true });
  await sharp(buf, { raw: { width: w, height: h, channels } })
    .png()
    .toFile(file);
}

/** A picture whose every pixel is `rgb`, so a tensor tells which file it came from. */
const flat = (rgb: number[]) => () => rgb;
const signed = (v: number): number => Math.fround(Math.fround(Math.fround(v / 255) - 0.5) / 0.5);

function opts(argv: string[], phase: 'train' | 'test' = 'train'): GanBaseOptions {
  return parseGanOptions(argv, phase).opt;
}

async function collect(loader: GanDataLoader, n = Infinity): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of loader.epoch()) {
    out.push(b);
    if (out.length >= n) break;
  }
  return out;
}

test('transforms match torchvision + Pillow bit for bit (fixture)', () => {
  const fx = loadFixture('gan/transforms');
  const src = fx.tensors.src.data as Uint8Array;
  const [h, w] = fx.shape('src');
  const img: U8Image = { width: w, height: h, channels: 3, data: src };
  let checked = 0;
  for (const c of fx.meta.cases as Record<string, never>[]) {
    const name = c.name as string;
    if (name.startsWith('power2_')) {
      const [iw, ih] = c.size_in as number[];
      assert.deepEqual(
        makePower2Size(iw, ih),
        { width: (c.size_out as number[])[0], height: (c.size_out as number[])[1] },
        name,
      );
      continue;
    }
    const cfg: TransformConfig = {
      preprocess: c.preprocess,
      load_size: c.load_size,
      crop_size: c.crop_size,
      no_flip: c.no_flip,
    };
    const r = applyTransform(img, cfg, c.gray, { x: c.x, y: c.y, flip: c.flip }, [0, 0, 0], name);
    assert.deepEqual(r.tensor.shape, fx.shape(name), name);
    const want = fx.f32(name);
    for (let i = 0; i < want.length; i++)
      if (r.tensor.data[i] !== want[i])
        assert.fail(`${name}: element ${i} is ${r.tensor.data[i]}, torchvision gives ${want[i]}`);
    checked++;
  }
  assert.equal(checked, 10);
});

test('size arithmetic: scale_width, make_power_2, get_params', () => {
  assert.deepEqual(scaleWidthSize(23, 17, 12, 8), { width: 12, height: 8 });
  assert.deepEqual(
    scaleWidthSize(512, 256, 286, 256),
    { width: 286, height: 256 },
    'height never below crop_size',
  );
  assert.deepEqual(
    scaleWidthSize(300, 500, 286, 256),
    { width: 286, height: 476 },
    'int(286*500/300) = int(476.67)',
  );
  assert.equal(scaleWidthSize(286, 300, 286, 256), null, 'already the right width');
  // Python rounds halves to even: 10/4 = 2.5 -> 2, 22/4 = 5.5 -> 6, 6/4 = 1.5 -> 2
  assert.deepEqual(makePower2Size(22, 10), { width: 24, height: 8 });
  assert.deepEqual(makePower2Size(6, 18), { width: 8, height: 16 });
  assert.deepEqual(makePower2Size(256, 256), { width: 256, height: 256 });
  const rc: TransformConfig = {
    preprocess: 'resize_and_crop',
    load_size: 286,
    crop_size: 256,
    no_flip: false,
  };
  // randint(0, 30): 31 equally likely positions
  assert.deepEqual(getParams(rc, 500, 400, [0, 0.9999, 0.6]), { x: 0, y: 30, flip: true });
  assert.deepEqual(getParams(rc, 500, 400, [15.5 / 31, 0.5, 0.5]), { x: 15, y: 15, flip: false });
  // scale_width_and_crop: new_h = 286 * 300 // 500 = 171, so y = randint(0, 0) when crop is 256... and 43 for crop 128
  const swc: TransformConfig = {
    preprocess: 'scale_width_and_crop',
    load_size: 286,
    crop_size: 128,
    no_flip: false,
  };
  assert.deepEqual(getParams(swc, 500, 300, [0.9999, 0.9999, 0]), { x: 158, y: 43, flip: false });
  // crop: the original size
  assert.deepEqual(getParams({ ...rc, preprocess: 'crop' }, 300, 260, [0.9999, 0.9999, 0]), {
    x: 44,
    y: 4,
    flip: false,
  });
});

test('unaligned dataset: sizes, pairing, serial order, BtoA, grayscale', async () => {
  const root = tempDir('gan-unaligned');
  const colA = [
    [200, 0, 0],
    [0, 200, 0],
    [0, 0, 200],
  ];
  const colB = [
    [255, 255, 0],
    [0, 255, 255],
  ];
  for (let i = 0; i < 3; i++) await png(path.join(root, 'trainA', `a${i}.png`), 20, 12, flat(colA[i]));
  for (let i = 0; i < 2; i++) await png(path.join(root, 'trainB', `b${i}.png`), 16, 16, flat(colB[i]));
  await writeFile(path.join(root, 'trainA', 'notes.txt'), 'not a picture');

  const base = ['--dataroot', root, '--load_size', '10', '--crop_size', '8', '--num_threads', '0'];
  const ds = await createDataset(opts(base));
  assert.equal(ds.length, 3, 'max(|A|, |B|)');
  assert.deepEqual(
    ds.A_paths.map((p) => path.basename(p)),
    ['a0.png', 'a1.png', 'a2.png'],
  );

  const warn: string[] = [];
  const loader = new GanDataLoader(ds, { ...opts(base), warn: (m) => warn.push(m) });
  const epoch1 = await collect(loader);
  assert.equal(epoch1.length, 3);
  for (const b of epoch1) {
    assert.deepEqual(b.A.shape, [1, 3, 8, 8]);
    assert.deepEqual(b.B?.shape, [1, 3, 8, 8]);
    // every pixel carries its file's colour: the tensor matches the named path
    const ia = Number(path.basename(b.A_paths[0])[1]);
    const ib = Number(path.basename(b.B_paths[0])[1]);
    assert.equal(b.A.data[0], signed(colA[ia][0]));
    assert.equal(b.A.data[64], signed(colA[ia][1]));
    assert.equal(b.B?.data[128], signed(colB[ib][2]));
  }
  assert.deepEqual(
    epoch1.map((b) => path.basename(b.A_paths[0])).sort(),
    ['a0.png', 'a1.png', 'a2.png'],
    'each A once per epoch',
  );
  await loader.close();

  // serial: A in order, B = index % |B|
  const serial = new GanDataLoader(ds, { ...opts([...base, '--serial_batches', '--batch_size', '2']) });
  const sb = await collect(serial);
  assert.deepEqual(
    sb.map((b) => b.A_paths.map((p) => path.basename(p))),
    [['a0.png', 'a1.png'], ['a2.png']],
  );
  assert.deepEqual(
    sb.map((b) => b.B_paths.map((p) => path.basename(p))),
    [['b0.png', 'b1.png'], ['b0.png']],
  );
  assert.deepEqual(sb[0].A.shape, [2, 3, 8, 8]);
  assert.deepEqual(sb[1].A.shape, [1, 3, 8, 8], 'last batch is short, as DataLoader(drop_last=False)');
  await serial.close();

  // random partners: over a few epochs B is drawn from both files
  const partners = new Set<string>();
  const rnd = new GanDataLoader(ds, opts(base));
  for (let e = 0; e < 4; e++) for (const b of await collect(rnd)) partners.add(path.basename(b.B_paths[0]));
  assert.deepEqual([...partners].sort(), ['b0.png', 'b1.png']);
  await rnd.close();

  // BtoA: the network input is domain B, with input_nc applied to it
  const btoa = await createDataset(
    opts([...base, '--direction', 'BtoA', '--input_nc', '1', '--lambda_identity', '0', '--serial_batches']),
  );
  const bl = new GanDataLoader(
    btoa,
    opts([...base, '--direction', 'BtoA', '--input_nc', '1', '--lambda_identity', '0', '--serial_batches']),
  );
  const [first] = await collect(bl, 1);
  assert.equal(path.basename(first.A_paths[0]), 'b0.png');
  assert.equal(path.basename(first.B_paths[0]), 'a0.png');
  assert.deepEqual(first.A.shape, [1, 1, 8, 8], 'grayscale input');
  assert.deepEqual(first.B?.shape, [1, 3, 8, 8]);
  // Pillow's L of (255,255,0): (255*19595 + 255*38470 + 0*7471 + 32768) >> 16 = 226
  assert.equal(first.A.data[0], signed(226));
  await bl.close();
  assert.deepEqual(warn, []);
});

test('aligned dataset: split at half width, same crop and flip for A and B, BtoA swaps', async () => {
  const root = tempDir('gan-aligned');
  // Left half (A): red ramps with x; right half (B): blue ramps the same way. Any crop or flip
  // applied differently to the two halves would break A.red == B.blue.
  const pair = (x: number, y: number): number[] =>
    x < 16 ? [x * 15 + y, 30, 0] : [0, 90, (x - 16) * 15 + y];
  for (let i = 0; i < 6; i++) await png(path.join(root, 'train', `${i}.png`), 32, 16, pair);
  const base = [
    '--dataroot',
    root,
    '--model',
    'pix2pix',
    '--netG',
    'resnet_9blocks',
    '--load_size',
    '12',
    '--crop_size',
    '8',
    '--num_threads',
    '0',
  ];
  const loader = await GanDataLoader.create(opts(base), { warn: (m) => assert.fail(m) });
  let flips = 0;
  for (const b of await collect(loader)) {
    assert.deepEqual(b.A.shape, [1, 3, 8, 8]);
    const plane = 64;
    for (let i = 0; i < plane; i++)
      assert.equal(b.A.data[i], b.B?.data[2 * plane + i], 'A red == B blue: same crop and flip');
    assert.equal(b.A.data[plane], signed(30));
    assert.equal(b.B?.data[plane], signed(90));
    if (b.A.data[0] > b.A.data[7]) flips++;
  }
  assert.ok(flips > 0 && flips < 6, `some but not all flipped (${flips})`);
  await loader.close();

  const swapped = await GanDataLoader.create(
    opts([...base, '--direction', 'BtoA', '--serial_batches', '--no_flip']),
  );
  const [b] = await collect(swapped, 1);
  assert.equal(b.A.data[64], signed(90), 'BtoA: input is the right half');
  assert.equal(b.B?.data[64], signed(30));
  await swapped.close();
});

test('odd files: non-2:1 pairs warned by name, RGBA loaded, unreadable skipped or fatal with --strict', async () => {
  const root = tempDir('gan-odd');
  await png(path.join(root, 'train', 'a_wide.png'), 30, 10, (x) => [x * 8, 0, 0]);
  await png(path.join(root, 'train', 'b_rgba.png'), 20, 10, (x) => [0, 100, 0, x < 10 ? 255 : 128], 4);
  await png(path.join(root, 'train', 'c_gray.png'), 20, 10, () => [77], 1);
  await writeFile(path.join(root, 'train', 'd_broken.jpg'), Buffer.from('definitely not a jpeg'));
  const base = [
    '--dataroot',
    root,
    '--model',
    'pix2pix',
    '--netG',
    'resnet_9blocks',
    '--load_size',
    '8',
    '--crop_size',
    '8',
    '--num_threads',
    '0',
    '--serial_batches',
  ];
  const warn: string[] = [];
  const loader = await GanDataLoader.create(opts(base), { warn: (m) => warn.push(m) });
  const got = await collect(loader);
  assert.deepEqual(
    got.map((b) => path.basename(b.A_paths[0])),
    ['a_wide.png', 'b_rgba.png', 'c_gray.png'],
  );
  assert.ok(
    warn.some((m) => m.includes('a_wide.png is 30x10') && m.includes('twice the height')),
    warn.join('\n'),
  );
  assert.ok(
    warn.some((m) => m.startsWith('skipping') && m.includes('d_broken.jpg')),
    warn.join('\n'),
  );
  assert.ok(
    warn.some((m) => m.includes('b_rgba.png') && m.includes('transparent')),
    warn.join('\n'),
  );
  assert.deepEqual(
    loader.skipped.map((f) => path.basename(f)),
    ['d_broken.jpg'],
  );
  // the grey picture became RGB with equal channels
  const g = got[2].A.data;
  assert.equal(g[0], signed(77));
  assert.equal(g[64], signed(77));
  await loader.close();

  const strict = await GanDataLoader.create(opts([...base, '--strict']), { warn: () => undefined });
  await assert.rejects(
    collect(strict),
    (e: unknown) =>
      e instanceof DataError && e.message.includes('d_broken.jpg') && e.message.includes('--strict'),
  );
  await strict.close();
});

test('single dataset (--model test): one folder, A only, in order', async () => {
  const root = tempDir('gan-single');
  for (let i = 0; i < 3; i++) await png(path.join(root, `${i}.png`), 10, 10, flat([i * 100, 0, 0]));
  const o = parseGanOptions(
    ['--dataroot', root, '--load_size', '8', '--crop_size', '8', '--num_threads', '0'],
    'test',
  ).opt;
  const loader = await GanDataLoader.create(o);
  const got = await collect(loader);
  assert.deepEqual(
    got.map((b) => path.basename(b.A_paths[0])),
    ['0.png', '1.png', '2.png'],
  );
  assert.equal(got[0].B, undefined);
  assert.equal(got[2].A.data[0], signed(200));
  await loader.close();
  // a dataset root with several subfolders is read whole, as the reference does, with a hint
  await png(path.join(root, 'sub1', 'x.png'), 10, 10, flat([0, 0, 0]));
  await png(path.join(root, 'sub2', 'y.png'), 10, 10, flat([0, 0, 0]));
  const ds = await createDataset(o);
  assert.equal(ds.length, 5);
  assert.match(ds.notes[0], /reading pictures from 2 subfolders .*pass the one folder you mean/);
});

test('missing and empty folders give clear errors', async () => {
  const root = tempDir('gan-missing');
  await mkdir(path.join(root, 'trainA'), { recursive: true });
  await mkdir(path.join(root, 'train'), { recursive: true });
  await assert.rejects(
    createDataset(opts(['--dataroot', path.join(root, 'nope')])),
    /--dataroot .*nope does not exist/,
  );
  await assert.rejects(
    createDataset(opts(['--dataroot', root])),
    (e: Error) => /lacks trainB\//.test(e.message) && /use --dataset_mode aligned/.test(e.message),
  );
  await mkdir(path.join(root, 'trainB'));
  await assert.rejects(createDataset(opts(['--dataroot', root])), /no pictures in .*trainA/);
  await assert.rejects(
    createDataset(opts(['--dataroot', root, '--dataset_mode', 'aligned', '--phase', 'val'])),
    /val does not exist/,
  );
});

/** Eight 192x192 noisy pictures: slow enough to decode that prefetching is measurable. */
async function noisyDataset(root: string): Promise<void> {
  for (let i = 0; i < 8; i++) {
    let s = i + 1;
    const rnd = (): number => (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
    await png(path.join(root, 'trainA', `${i}.png`), 192, 192, () => [rnd(), rnd(), rnd()]);
    await png(path.join(root, 'trainB', `${i}.png`), 192, 192, () => [rnd(), rnd(), rnd()]);
  }
}

test('decode workers run off the main thread and are reproducible with a seed', async () => {
  const root = tempDir('gan-workers');
  await noisyDataset(root);
  const base = ['--dataroot', root, '--load_size', '160', '--crop_size', '128', '--seed', '7'];
  const run = async (threads: number, seed = 7): Promise<{ batches: Batch[]; threads: number }> => {
    const o = opts([...base, '--num_threads', String(threads), '--seed', String(seed), '--batch_size', '3']);
    const loader = await GanDataLoader.create(o, threads ? { pool: POOL } : {});
    assert.equal(loader.threads, threads);
    const batches = [...(await collect(loader)), ...(await collect(loader))];
    await loader.close();
    return { batches, threads };
  };
  const a = await run(2);
  const b = await run(0);
  const c = await run(2, 8);
  assert.equal(a.batches.length, 6);
  for (let i = 0; i < a.batches.length; i++) {
    assert.deepEqual(a.batches[i].A_paths, b.batches[i].A_paths);
    assert.deepEqual(a.batches[i].B_paths, b.batches[i].B_paths);
    assert.deepEqual(a.batches[i].A.data, b.batches[i].A.data, `batch ${i}: threads and inline agree`);
    assert.deepEqual(a.batches[i].B?.data, b.batches[i].B?.data);
  }
  const order = (r: { batches: Batch[] }): string =>
    r.batches.flatMap((x) => [...x.A_paths, ...x.B_paths]).join();
  assert.notEqual(order(a), order(c), 'another seed, another order');

  // The pool reports which thread did the work.
  const pool = POOL;
  const job: ItemJob = {
    kind: 'single',
    A: { path: path.join(root, 'trainA', '0.png'), gray: false, u: [0.5, 0.5, 0.5] },
  };
  const cfg: TransformConfig = {
    preprocess: 'resize_and_crop',
    load_size: 160,
    crop_size: 128,
    no_flip: false,
  };
  const outs = await Promise.all(Array.from({ length: 6 }, () => pool.run(job, cfg)));
  for (const o of outs) {
    assert.ok(o.ok);
    assert.notEqual(o.threadId, mainThreadId, 'decoded in a worker thread');
  }
  assert.ok(new Set(outs.map((o) => o.threadId)).size >= 1);
});

test('prefetching: after a compute step the next batch is already there', async () => {
  const root = tempDir('gan-prefetch');
  await noisyDataset(root);
  const o = opts([
    '--dataroot',
    root,
    '--load_size',
    '192',
    '--crop_size',
    '192',
    '--num_threads',
    '2',
    '--no_flip',
  ]);
  // Time the decode of one item with nothing else going on.
  const warm = await GanDataLoader.create(o, { pool: POOL });
  await collect(warm); // starts and warms the workers
  const t0 = performance.now();
  await collect(warm);
  const perItem = (performance.now() - t0) / warm.length;
  await warm.close();

  // After each compute step (the main thread blocked for several decode times), is the next
  // batch ready without waiting? Without prefetching it never is: its decode would only start
  // when asked for. Counting readiness rather than timing keeps this stable on a busy machine.
  const loader = await GanDataLoader.create(o, { pool: POOL });
  const it = loader.epoch();
  let ready = 0;
  let asked = 0;
  let batches = 1;
  for (let r = await it.next(); !r.done;) {
    const until = performance.now() + Math.max(30, 6 * perItem);
    while (performance.now() < until);
    const next = it.next();
    // Worker messages that arrived during the busy loop are handled before setImmediate runs.
    const first = await Promise.race([
      next.then(() => 'ready'),
      new Promise<string>((res) => setImmediate(() => res('pending'))),
    ]);
    r = await next;
    if (r.done) break;
    batches++;
    asked++;
    if (first === 'ready') ready++;
  }
  await loader.close();
  assert.equal(batches, 8);
  assert.ok(
    ready >= asked / 2,
    `${ready} of ${asked} batches were ready after a compute step (decode ${perItem.toFixed(1)} ms/item)`,
  );
});

test('loader state resumes an interrupted epoch at exactly the next batch', async () => {
  const root = tempDir('gan-resume');
  for (let i = 0; i < 7; i++)
    await png(path.join(root, 'trainA', `${i}.png`), 12, 12, (x, y) => [i * 30, x * 20, y * 20]);
  for (let i = 0; i < 5; i++)
    await png(path.join(root, 'trainB', `${i}.png`), 12, 12, (x, y) => [y * 20, i * 40, x * 20]);
  const o = opts([
    '--dataroot',
    root,
    '--load_size',
    '10',
    '--crop_size',
    '8',
    '--num_threads',
    '0',
    '--batch_size',
    '2',
    '--seed',
    '3',
  ]);
  const full = await GanDataLoader.create(o);
  const e1 = await collect(full);
  const e2 = await collect(full);
  const e3 = await collect(full);

  const killed = await GanDataLoader.create(o);
  await collect(killed);
  const head = await collect(killed, 2);
  const saved = JSON.parse(JSON.stringify(killed.state())) as ReturnType<typeof killed.state>;
  assert.equal(saved.cursor, 2);
  const resumed = await GanDataLoader.create(o);
  resumed.setState(saved);
  const tail = await collect(resumed);
  assert.deepEqual(
    [...head, ...tail].map((b) => b.A_paths.concat(b.B_paths)),
    e2.map((b) => b.A_paths.concat(b.B_paths)),
  );
  assert.deepEqual(
    tail.map((b) => b.A.data),
    e2.slice(2).map((b) => b.A.data),
  );
  const next = await collect(resumed);
  assert.deepEqual(
    next.map((b) => b.B?.data),
    e3.map((b) => b.B?.data),
    'the epoch after continues identically',
  );
  assert.notDeepEqual(
    e1.map((b) => b.A_paths),
    e2.map((b) => b.A_paths),
  );
  assert.throws(() => resumed.setState({ ...saved, length: 99 }), /99 images per epoch/);
  for (const l of [full, killed, resumed]) await l.close();
});

test(
  'outlines2people (shared, aligned 512x256): batches, ranges, odd-size warnings',
  { skip: !existsSync(SHARED) && 'shared dataset absent' },
  async () => {
    const warn: string[] = [];
    const o = opts([
      '--dataroot',
      SHARED,
      '--model',
      'pix2pix',
      '--phase',
      'val',
      '--batch_size',
      '4',
      '--num_threads',
      '2',
      '--seed',
      '1',
    ]);
    const loader = await GanDataLoader.create(o, { warn: (m) => warn.push(m), pool: POOL });
    assert.equal(loader.length, 20);
    const batches = await collect(loader);
    await loader.close();
    assert.equal(batches.length, 5);
    for (const b of batches) {
      assert.deepEqual(b.A.shape, [4, 3, 256, 256]);
      assert.deepEqual(b.B?.shape, [4, 3, 256, 256]);
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of b.A.data) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      assert.ok(lo >= -1 && hi <= 1 && hi - lo > 0.5, `A in [-1, 1] with contrast (${lo}..${hi})`);
    }
    assert.equal(new Set(batches.flatMap((b) => b.A_paths)).size, 20);
    // Some val pictures are not 2:1 (e.g. 512x253); each warning names its file and size.
    for (const m of warn)
      assert.match(
        m,
        /outlines2people\/val\/\d+\.jpg is 512x\d+: aligned datasets hold A and B side by side/,
      );
  },
);
