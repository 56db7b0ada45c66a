/**
 * The .pth writer: round trips through the reader, torch's zip layout (64-byte
 * aligned records, version record), the legacy format, and atomic replacement
 * (a failed write, including a real full disk, leaves the previous file intact).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIXTURES_DIR } from '../helpers/fixtures.js';
import {
  HostTensor,
  OrderedDict,
  PthReader,
  PyFloat,
  PyTuple,
  TensorRef,
  WeightsError,
  readPickleObject,
  readPth,
  writeFileAtomic,
  writePth,
  type PyValue,
} from '../../src/weights/index.js';
import { RandomAccessFile } from '../../src/weights/file.js';
import { ZipDirectory } from '../../src/weights/zip.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name: string): string => path.join(FIXTURES_DIR, 'weights', `${name}.pth`);
let tmp: string;

before(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'ai-art-writer-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Deep equality over read values, comparing tensors by dtype, shape and bytes. */
function assertSame(a: PyValue, b: PyValue, where = 'root'): void {
  if (a instanceof HostTensor) {
    assert.ok(b instanceof HostTensor, `${where}: tensor expected`);
    assert.equal(a.dtype, b.dtype, `${where}: dtype`);
    assert.deepEqual([...a.shape], [...b.shape], `${where}: shape`);
    assert.deepEqual(
      Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength),
      Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength),
      `${where}: bytes`,
    );
  } else if (a instanceof Map) {
    assert.ok(b instanceof Map, `${where}: dict expected`);
    assert.equal(a instanceof OrderedDict, b instanceof OrderedDict, `${where}: OrderedDict-ness`);
    assert.deepEqual([...a.keys()], [...b.keys()], `${where}: keys`);
    for (const [k, v] of a) assertSame(v, b.get(k)!, `${where}.${String(k)}`);
    if (a instanceof OrderedDict && b instanceof OrderedDict) {
      assert.deepEqual([...a.attrs.keys()], [...b.attrs.keys()], `${where}: attrs`);
      for (const [k, v] of a.attrs) assertSame(v, b.attrs.get(k)!, `${where}@${k}`);
    }
  } else if (a instanceof PyTuple) {
    assert.ok(b instanceof PyTuple, `${where}: tuple expected`);
    assert.equal(a.items.length, b.items.length);
    a.items.forEach((x, i) => assertSame(x, b.items[i], `${where}[${i}]`));
  } else if (Array.isArray(a)) {
    assert.ok(Array.isArray(b), `${where}: list expected`);
    assert.equal(a.length, b.length);
    a.forEach((x, i) => assertSame(x, b[i], `${where}[${i}]`));
  } else assert.deepEqual(a, b, where);
}

for (const format of ['zip', 'legacy'] as const) {
  test(`round trip (${format}): every dtype, and a whole training checkpoint, read back identical`, async () => {
    for (const src of ['dtypes_zip', 'views_legacy', 'checkpoint_zip']) {
      const obj = await readPickleObject(fixture(src));
      const out = path.join(tmp, `${src}.${format}.pth`);
      await writePth(out, obj, { format });
      const r = await PthReader.open(out);
      assert.equal(r.format, format);
      await r.close();
      assertSame(obj, await readPickleObject(out), src);
    }
  });
}

test('zip layout is what torch writes: data.pkl, data/N, version "3", every record 64-byte aligned', async () => {
  const out = path.join(tmp, 'layout.pth');
  const sd = new Map<string, HostTensor>([
    ['a', HostTensor.of(new Float32Array([1, 2, 3]), [3])],
    ['b', HostTensor.of(new BigInt64Array([5n]), [])],
    ['c', new HostTensor('float16', [2], new Uint16Array([0x3c00, 0xc000]))],
  ]);
  await writePth(out, sd, { prefix: 'latest_net_G_A' });
  const f = await RandomAccessFile.open(out);
  try {
    const z = await ZipDirectory.read(f);
    const names = [...z.entries.keys()];
    assert.deepEqual(names, [
      'latest_net_G_A/data.pkl',
      'latest_net_G_A/byteorder',
      'latest_net_G_A/data/0',
      'latest_net_G_A/data/1',
      'latest_net_G_A/data/2',
      'latest_net_G_A/version',
    ]);
    for (const e of z.entries.values()) {
      const { offset } = await z.locate(e);
      assert.equal(offset % 64, 0, `${e.name} at ${offset}`);
    }
    assert.equal((await z.readAll(z.entries.get('latest_net_G_A/version')!)).toString(), '3\n');
  } finally {
    await f.close();
  }
  const back = await readPth(out);
  assert.deepEqual([...back.get('c')!.data], [0x3c00, 0xc000]);
  assert.equal(back.get('b')!.dtype, 'int64');
});

test('module-style state dicts ({shape, data}) are written as an OrderedDict of tensors', async () => {
  const out = path.join(tmp, 'module.pth');
  const w = new Float32Array([0.5, -1, 2, 4]);
  await writePth(
    out,
    new Map<string, { shape: number[]; data: Float32Array | BigInt64Array }>([
      ['conv.weight', { shape: [1, 1, 2, 2], data: w }],
      ['bn.num_batches_tracked', { shape: [], data: new BigInt64Array([3n]) }],
    ]),
  );
  const obj = await readPickleObject(out);
  assert.ok(obj instanceof OrderedDict);
  const t = obj.get('conv.weight') as HostTensor;
  assert.deepEqual([...t.data], [...w]);
  assert.deepEqual([...t.shape], [1, 1, 2, 2]);
});

test('a tensor used twice is stored once; values keep int/float/tuple distinctions', async () => {
  const out = path.join(tmp, 'shared.pth');
  const t = HostTensor.of(new Float32Array(1000).fill(1), [1000]);
  await writePth(
    out,
    new Map<string, PyValue>([
      ['x', t],
      ['y', t],
      ['one', 1],
      ['onef', new PyFloat(1)],
      ['pair', new PyTuple([1, 'a'])],
    ]),
  );
  const r = await PthReader.open(out);
  try {
    const root = r.root as Map<string, PyValue>;
    const xs = root.get('x');
    const ys = root.get('y');
    assert.ok(xs instanceof TensorRef && ys instanceof TensorRef);
    assert.equal(xs.storage, ys.storage);
    assert.ok(r.fileSize < 6000, `one 4000-byte storage, file is ${r.fileSize} bytes`);
    assert.equal(root.get('onef'), 1);
    assert.ok(root.get('pair') instanceof PyTuple);
  } finally {
    await r.close();
  }
});

test('values the writer cannot represent are refused before the target is touched', async () => {
  const out = path.join(tmp, 'keep.pth');
  await writePth(out, new Map([['a', HostTensor.of(new Float32Array([7]), [1])]]));
  const before = await readFile(out);
  const cyclic: PyValue[] = [];
  cyclic.push(cyclic);
  await assert.rejects(
    writePth(out, cyclic),
    (e: unknown) => e instanceof WeightsError && /contains itself/.test(e.message),
  );
  await assert.rejects(
    writePth(out, new Map([['a', { shape: [2], data: new Float32Array(3) }]])),
    WeightsError,
  );
  await assert.rejects(
    writePth(out, new Map([['h', { shape: [1], data: new Uint16Array(1) }]])),
    /float16 or bfloat16/,
  );
  assert.deepEqual(await readFile(out), before);
  assert.deepEqual(
    (await readdir(tmp)).filter((f) => f.endsWith('.tmp')),
    [],
  );
});

test('a failure in the middle of writing leaves the previous file and no temporary file', async () => {
  const out = path.join(tmp, 'atomic.pth');
  await writePth(out, new Map([['a', HostTensor.of(new Float32Array([1, 2]), [2])]]));
  const before = await readFile(out);
  await assert.rejects(
    writeFileAtomic(out, async (sink) => {
      await sink.write(new Uint8Array(2 << 20)); // past the buffer, so bytes really reach the temp file
      throw new Error('simulated failure');
    }),
    /simulated failure|could not write/,
  );
  assert.deepEqual(await readFile(out), before);
  assert.deepEqual(
    (await readdir(tmp)).filter((f) => f.startsWith('.atomic.pth')),
    [],
  );
});

test('a full disk (real tmpfs, ENOSPC) leaves the previous checkpoint intact', (t) => {
  // A private mount namespace: the tiny tmpfs disappears with the child, whatever happens.
  const dir = path.join(tmp, 'tiny');
  const child = path.join(here, 'helpers', 'enospc-child.ts');
  const script = `mkdir -p '${dir}' && mount -t tmpfs -o size=1m tmpfs '${dir}' && exec node --import tsx '${child}' '${dir}'`;
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], {
    encoding: 'utf8',
    cwd: path.join(here, '..', '..'),
  });
  if (
    r.error ||
    (r.status !== 0 && /unshare|mount|permission|not permitted/i.test(r.stderr) && !r.stdout.includes('{'))
  ) {
    t.skip(
      `needs root to mount a tmpfs in a private namespace: ${(r.error?.message ?? r.stderr).trim().split('\n')[0]}`,
    );
    return;
  }
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    code: string;
    message: string;
    intact: boolean;
    leftovers: string[];
  };
  assert.equal(res.code, 'io');
  assert.match(res.message, /ENOSPC \(disk full\).*previous file there is unchanged/);
  assert.equal(res.intact, true);
  assert.deepEqual(res.leftovers, []);
});

test('writeFileAtomic itself: bytes land under the final name only on success', async () => {
  const out = path.join(tmp, 'plain.bin');
  await writeFile(out, 'old');
  await writeFileAtomic(out, async (s) => s.write(Buffer.from('new')));
  assert.equal(await readFile(out, 'utf8'), 'new');
});
