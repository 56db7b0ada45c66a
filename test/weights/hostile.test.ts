/**
 * Hostile and damaged files: each is refused with a WeightsError that says why,
 * nothing from the file runs, and nothing crashes or allocates what the file claims.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FIXTURES_DIR } from '../helpers/fixtures.js';
import {
  HostTensor,
  LEGACY_MAGIC,
  PthReader,
  PyGlobal,
  PyTuple,
  WeightsError,
  readPickleObject,
  readPth,
  unpickle,
  writePth,
  type PyKey,
  type PyValue,
} from '../../src/weights/index.js';
import { pickle } from '../../src/weights/pickler.js';
import { ZipWriter } from '../../src/weights/zip.js';

const fixture = (name: string): string => path.join(FIXTURES_DIR, 'weights', `${name}.pth`);
const MARKER = '/tmp/ai-art-weights-pwned';
let tmp: string;

before(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'ai-art-hostile-'));
  rmSync(MARKER, { force: true });
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function file(name: string, bytes: Uint8Array): Promise<string> {
  const p = path.join(tmp, name);
  await writeFile(p, bytes);
  return p;
}

/** Expects `fn` to reject with a WeightsError of `code` whose message matches `re`. */
async function refuses(fn: () => Promise<unknown>, code: string, re: RegExp): Promise<void> {
  await assert.rejects(fn, (e: unknown) => {
    assert.ok(e instanceof WeightsError, `expected a WeightsError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    return true;
  });
}

async function zipOf(records: [string, Uint8Array][]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const z = new ZipWriter({ write: async (c) => void chunks.push(Buffer.from(c)) });
  for (const [n, b] of records) await z.add(n, [b]);
  await z.finish();
  return Buffer.concat(chunks);
}

function legacyOf(objPickle: Uint8Array, keys: string[], storages: Uint8Array[]): Buffer {
  const info = new Map<PyKey, PyValue>([
    ['protocol_version', 1001],
    ['little_endian', true],
  ]);
  return Buffer.concat([
    pickle(LEGACY_MAGIC),
    pickle(1001),
    pickle(info),
    objPickle,
    pickle(keys),
    ...storages,
  ]);
}

/** A protocol-2 pickle of OrderedDict(w=_rebuild_tensor_v2(pid, 0, shape, stride, False, OrderedDict())). */
function tensorPickle(pid: PyValue, shape: number[], stride: number[]): Buffer {
  const t = new HostTensor('float32', [1], new Float32Array(1));
  return pickle(new Map([['w', t]]), {
    tensor: () => ({ storagePid: pid, offset: 0, shape, strides: stride }),
  });
}

const pyOsSystem = Buffer.concat([
  Buffer.from('\x80\x02cposix\nsystem\nX', 'latin1'),
  le32(`touch ${MARKER}`.length),
  Buffer.from(`touch ${MARKER}\x85R.`, 'latin1'),
]);

function le32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

test('a pickle calling os.system (written by Python pickle) is refused, naming the global; nothing runs', async () => {
  await refuses(
    () => readPth(fixture('evil_os_system_zip')),
    'refused',
    /posix\.system.*nothing from the file was executed/,
  );
  await refuses(() => readPickleObject(fixture('evil_os_system_zip')), 'refused', /posix\.system/);
  assert.equal(existsSync(MARKER), false);
});

test('os.system in a legacy-format object pickle, and through STACK_GLOBAL, is refused', async () => {
  const p = await file('evil_legacy.pth', legacyOf(pyOsSystem, [], []));
  await refuses(() => readPth(p), 'refused', /posix\.system/);
  const proto4 = Buffer.from('\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x04true\x85R.', 'latin1');
  assert.throws(
    () => unpickle(proto4),
    (e: unknown) => e instanceof WeightsError && /'os\.system'/.test(e.message),
  );
  assert.equal(existsSync(MARKER), false);
});

test('allowed names cannot be abused: calling a storage class, BUILD on a list, INST, builtins.eval', () => {
  const cases: [string, RegExp][] = [
    ['\x80\x02ctorch\nFloatStorage\n)R.', /calling 'torch\.FloatStorage' is not allowed/],
    ['\x80\x02]}b.', /BUILD.*not allowed/],
    ['(X\x01\x00\x00\x00xios\nsystem\n.', /INST/],
    ['\x80\x02cbuiltins\neval\n.', /'builtins\.eval'/],
    ['\x80\x02c__builtin__\ngetattr\n.', /'__builtin__\.getattr'/],
    ['\x80\x02ccollections\nOrderedDict\nX\x01\x00\x00\x00aR.', /arguments must be a tuple/],
    ['\x80\x02\x82\x01.', /EXT/],
    ['\x80\x02ctorch._utils\n_rebuild_tensor_v2\n(X\x01\x00\x00\x00sK\x00)))\x89NtR.', /expects a storage/],
  ];
  for (const [src, re] of cases) {
    assert.throws(
      () => unpickle(Buffer.from(src, 'latin1')),
      (e: unknown) => e instanceof WeightsError && re.test(e.message),
      src,
    );
  }
});

test('a persistent id pointing at a storage record that does not exist, or is too short, is refused', async () => {
  const pid = (key: string, numel: number): PyTuple =>
    new PyTuple(['storage', new PyGlobal('torch', 'FloatStorage'), key, 'cpu', numel]);
  const missing = await file(
    'missing.pth',
    await zipOf([['a/data.pkl', tensorPickle(pid('7', 4), [4], [1])]]),
  );
  await refuses(() => readPth(missing), 'corrupt', /storage record 'a\/data\/7' is missing/);
  const short = await file(
    'short.pth',
    await zipOf([
      ['a/data.pkl', tensorPickle(pid('0', 1000), [4], [1])],
      ['a/data/0', new Uint8Array(16)],
    ]),
  );
  await refuses(() => readPth(short), 'corrupt', /holds 16 bytes but the pickle declares 4000/);
  // A tensor reaching past the end of its (existing) storage.
  const past = await file(
    'past.pth',
    await zipOf([
      ['a/data.pkl', tensorPickle(pid('0', 4), [3], [2])],
      ['a/data/0', new Uint8Array(16)],
    ]),
  );
  await refuses(() => readPth(past), 'corrupt', /reaches element 4 of a storage of 4/);
});

test('legacy storage keys past the end of the file, or with a wrong element count, are refused', async () => {
  const good = path.join(tmp, 'good_legacy.pth');
  await writePth(good, new Map([['a', HostTensor.of(new Float32Array(1000), [1000])]]), { format: 'legacy' });
  const bytes = await readFile(good);
  const cut = await file('cut_legacy.pth', bytes.subarray(0, bytes.length - 100));
  await refuses(() => readPth(cut), 'truncated', /storage '0' needs bytes up to \d+ but the file has \d+/);
  const wrong = Buffer.from(bytes);
  wrong.writeBigInt64LE(999n, bytes.length - 4000 - 8);
  await refuses(
    async () => readPth(await file('wrong_legacy.pth', wrong)),
    'corrupt',
    /holds 999 elements but the pickle declares 1000/,
  );
  const legacyPid = new PyTuple(['storage', new PyGlobal('torch', 'FloatStorage'), 'k', 'cpu', 4, null]);
  const unlisted = legacyOf(tensorPickle(legacyPid, [4], [1]), [], []);
  await refuses(
    async () => readPth(await file('unlisted.pth', unlisted)),
    'corrupt',
    /storage 'k' has no data/,
  );
});

test('sizes that overflow are refused before anything is allocated', async () => {
  const big = new PyTuple(['storage', new PyGlobal('torch', 'FloatStorage'), '0', 'cpu', 16]);
  const overflow = await file(
    'overflow.pth',
    await zipOf([
      ['a/data.pkl', tensorPickle(big, [2 ** 40, 2 ** 40], [1, 1])],
      ['a/data/0', new Uint8Array(64)],
    ]),
  );
  await refuses(() => readPth(overflow), 'corrupt', /overflows/);
  const huge = new PyTuple(['storage', new PyGlobal('torch', 'DoubleStorage'), '0', 'cpu', 2 ** 52]);
  const hugeStorage = await file(
    'huge_storage.pth',
    await zipOf([
      ['a/data.pkl', tensorPickle(huge, [1], [1])],
      ['a/data/0', new Uint8Array(64)],
    ]),
  );
  await refuses(() => readPth(hugeStorage), 'corrupt', /overflows/);
  const bigint = new PyTuple(['storage', new PyGlobal('torch', 'FloatStorage'), '0', 'cpu', 2n ** 70n]);
  const bigintStorage = await file(
    'bigint.pth',
    await zipOf([
      ['a/data.pkl', tensorPickle(bigint, [1], [1])],
      ['a/data/0', new Uint8Array(64)],
    ]),
  );
  await refuses(() => readPth(bigintStorage), 'corrupt', /overflows/);
  // Stride 0 lets a 16-byte storage claim a terabyte tensor.
  const bcast = new PyTuple(['storage', new PyGlobal('torch', 'FloatStorage'), '0', 'cpu', 4]);
  const expand = await file(
    'expand.pth',
    await zipOf([
      ['a/data.pkl', tensorPickle(bcast, [2 ** 38], [0])],
      ['a/data/0', new Uint8Array(16)],
    ]),
  );
  await refuses(() => readPth(expand), 'unsupported', /expands a storage of 16 bytes/);
});

test('zip records declaring huge sizes (zip-bomb style) are refused without allocating them', async () => {
  const ok = await zipOf([
    ['a/data.pkl', pickle(new Map())],
    ['a/version', Buffer.from('3\n')],
  ]);
  const cdStart = ok.readUInt32LE(ok.length - 22 + 16);
  // First central record is a/data.pkl: declare 3.9 GB stored.
  const bomb = Buffer.from(ok);
  bomb.writeUInt32LE(0xfff00000, cdStart + 20);
  bomb.writeUInt32LE(0xfff00000, cdStart + 24);
  const before = process.memoryUsage().arrayBuffers;
  await refuses(async () => readPth(await file('bomb.pth', bomb)), 'unsupported', /too large/);
  const bomb2 = Buffer.from(ok);
  bomb2.writeUInt32LE(50_000_000, cdStart + 20);
  bomb2.writeUInt32LE(50_000_000, cdStart + 24);
  await refuses(
    async () => readPth(await file('bomb2.pth', bomb2)),
    'corrupt',
    /declares 50000000 bytes .* past the end/,
  );
  assert.ok(
    process.memoryUsage().arrayBuffers - before < 20_000_000,
    'nothing near the declared size was allocated',
  );
  const deflated = Buffer.from(ok);
  deflated.writeUInt16LE(8, cdStart + 10);
  await refuses(async () => readPth(await file('deflate.pth', deflated)), 'unsupported', /compressed/);
  const lying = Buffer.from(ok);
  lying.writeUInt32LE(0x7fffffff, lying.length - 22 + 16); // central directory offset past the end
  await refuses(async () => readPth(await file('lying.pth', lying)), 'corrupt', /extends past/);
});

test('truncated files, at every cut point, give a clear error and never another kind of exception', async () => {
  for (const name of ['dtypes_zip', 'dtypes_legacy', 'views_legacy', 'checkpoint_zip']) {
    const bytes = await readFile(fixture(name));
    for (let n = 0; n < bytes.length; n += 13) {
      const p = await file(`trunc_${name}.pth`, bytes.subarray(0, n));
      await assert.rejects(
        async () => {
          const r = await PthReader.open(p);
          try {
            await r.materialize();
          } finally {
            await r.close();
          }
        },
        (e: unknown) =>
          e instanceof WeightsError &&
          /truncated|corrupt|empty|not a PyTorch|ends|STOP|past the end|damaged|missing/.test(e.message),
        `${name} cut at ${n}`,
      );
    }
  }
});

test('random byte corruption: every outcome is a value or a WeightsError', async () => {
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  let refused = 0;
  for (const name of ['checkpoint_zip', 'checkpoint_legacy', 'views_zip', 'dtypes_legacy']) {
    const bytes = await readFile(fixture(name));
    for (let i = 0; i < 60; i++) {
      const b = Buffer.from(bytes);
      for (let k = 0; k < 3; k++) b[rand(b.length)] = rand(256);
      const p = await file(`fuzz.pth`, b);
      try {
        const r = await PthReader.open(p);
        try {
          await r.materialize();
        } finally {
          await r.close();
        }
      } catch (e) {
        assert.ok(e instanceof WeightsError, `${name} #${i}: ${(e as Error).stack}`);
        refused++;
      }
    }
  }
  assert.ok(refused > 0);
});

test('files that are not checkpoints say what they are', async () => {
  await refuses(async () => readPth(await file('empty.pth', new Uint8Array(0))), 'truncated', /empty file/);
  await refuses(
    async () => readPth(await file('text.pth', Buffer.from('<html>404 Not Found</html>'))),
    'not-a-checkpoint',
    /not a PyTorch checkpoint/,
  );
  const tar = Buffer.alloc(1024);
  tar.write('ustar', 257, 'latin1');
  await refuses(async () => readPth(await file('old.tar.pth', tar)), 'unsupported', /tar-format/);
  const script = await zipOf([
    ['m/constants.pkl', pickle(new PyTuple([]))],
    ['m/code/m.py', Buffer.from('x')],
  ]);
  await refuses(async () => readPth(await file('script.pth', script)), 'unsupported', /TorchScript/);
  await refuses(
    async () => readPth(await file('plain_pickle.pth', pickle(new Map([['a', 1]])))),
    'not-a-checkpoint',
    /magic number/,
  );
  await refuses(() => readPth(path.join(tmp, 'nope.pth')), 'not-found', /no such file/);
  const list = path.join(tmp, 'list.pth');
  await writePth(list, [1, 2, 3]);
  await refuses(() => readPth(list), 'unsupported', /not a state_dict.*readPickleObject/);
  const newer = Buffer.from('\x80\x06N.', 'latin1');
  assert.throws(() => unpickle(newer), /protocol 6/);
});
