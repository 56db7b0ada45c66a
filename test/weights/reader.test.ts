/**
 * The .pth reader against files written by real torch.save (scripts/fixtures/weights.py):
 * both container formats, every dtype, views of shared storages, nested checkpoints.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadFixture, FIXTURES_DIR, type Json } from '../helpers/fixtures.js';
import {
  HostTensor,
  OrderedDict,
  PthReader,
  PyTuple,
  TensorRef,
  floatToHalf,
  halfToFloat,
  inspectPth,
  readModuleStateDict,
  readPickleObject,
  readPth,
  type PyValue,
} from '../../src/weights/index.js';

const dir = path.join(FIXTURES_DIR, 'weights');
const pth = (name: string): string => path.join(dir, `${name}.pth`);

interface Entry {
  dtype: string;
  shape: number[];
  stride: number[];
  offset: number;
}

/** Compares a read tensor with the fixture's expected contiguous values (float32 for half types, int32 for narrow ints). */
function assertTensor(
  t: HostTensor,
  expected: { dtype: string; shape: number[]; data: ArrayLike<number | bigint> },
  label: string,
): void {
  assert.deepEqual([...t.shape], expected.shape, `${label}: shape`);
  assert.equal(t.data.length, expected.data.length, `${label}: length`);
  for (let i = 0; i < t.data.length; i++) {
    const a = t.data[i];
    // float64 read with float32: true is compared after the same rounding.
    const e =
      t.data instanceof Float32Array && expected.data instanceof Float64Array
        ? Math.fround(expected.data[i])
        : expected.data[i];
    if (typeof a === 'bigint' || typeof e === 'bigint') assert.equal(BigInt(a), BigInt(e), `${label}[${i}]`);
    else assert.ok(Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)), `${label}[${i}]: ${a} vs ${e}`);
  }
}

for (const format of ['zip', 'legacy'] as const) {
  test(`dtypes (${format}): every storage type reads to the values torch stored`, async () => {
    const fx = loadFixture('weights/dtypes');
    const entries = fx.meta.entries as unknown as Record<string, Entry>;
    const sd = await readPth(pth(`dtypes_${format}`), { float32: true });
    assert.deepEqual([...sd.keys()], fx.meta.keys);
    for (const [k, t] of sd) {
      const want = entries[k];
      const wide = ['float16', 'bfloat16', 'float64'].includes(want.dtype) ? 'float32' : want.dtype;
      assert.equal(t.dtype, wide, `${k} dtype`);
      assertTensor(t, fx.tensors[k], k);
    }
    // Without float32 the raw types come back: half bits in a Uint16Array, float64 as Float64Array.
    const raw = await readPth(pth(`dtypes_${format}`));
    assert.equal(raw.get('f16')!.dtype, 'float16');
    assert.ok(raw.get('f16')!.data instanceof Uint16Array);
    assert.ok(raw.get('f64')!.data instanceof Float64Array);
    assertTensor(raw.get('f64')!, fx.tensors.f64, 'f64 raw');
    assert.ok(raw.get('i64')!.data instanceof BigInt64Array);
    assert.equal(raw.get('b')!.dtype, 'bool');
    assert.deepEqual([...raw.get('scalar')!.shape], []);
    assert.deepEqual([...raw.get('empty')!.shape], [0, 3]);
  });

  test(`views (${format}): shared storages, offsets, non-contiguous strides, broadcast`, async () => {
    const fx = loadFixture('weights/views');
    const entries = fx.meta.entries as unknown as Record<string, Entry>;
    const r = await PthReader.open(pth(`views_${format}`));
    try {
      const refs = r.stateDict();
      assert.deepEqual([...refs.keys()], fx.meta.keys);
      // The geometry torch recorded is what the reader sees before reading anything.
      for (const [k, ref] of refs) {
        assert.deepEqual([...ref.shape], entries[k].shape, `${k} shape`);
        assert.deepEqual([...ref.strides], entries[k].stride, `${k} stride`);
        assert.equal(ref.offset, entries[k].offset, `${k} offset`);
      }
      const shared = fx.meta.shared as string[];
      const storages = new Set(shared.map((k) => refs.get(k)!.storage));
      assert.equal(storages.size, 1, 'views of one tensor share one storage');
      assert.equal(refs.get('transposed')!.isContiguous, false);
      assert.equal(refs.get('row')!.isContiguous, true);
      for (const [k, ref] of refs) assertTensor(await r.read(ref), fx.tensors[k], k);
    } finally {
      await r.close();
    }
  });

  test(`checkpoint (${format}): nested dicts, _metadata, optimizer state, plain values`, async () => {
    const fx = loadFixture('weights/checkpoint');
    const obj = await readPickleObject(pth(`checkpoint_${format}`));
    assert.ok(obj instanceof Map);
    assert.equal(obj.get('epoch'), 3);
    assert.equal(obj.get('note'), 'tiny checkpoint');
    assert.equal(obj.get('lr'), 0.0002);
    assert.equal(obj.get('neg'), -5);
    assert.equal(obj.get('big'), 2n ** 70n);
    assert.deepEqual(obj.get('flags'), [true, false, null]);
    assert.deepEqual([...(obj.get('blob') as Uint8Array)], [0, 255, 97, 98]);
    const model = obj.get('model');
    assert.ok(model instanceof OrderedDict);
    assert.deepEqual([...model.keys()], fx.meta.model_keys);
    const md = model.attrs.get('_metadata');
    assert.ok(md instanceof OrderedDict);
    const mdPlain = Object.fromEntries(
      [...md].map(([k, v]) => [k, Object.fromEntries(v as Map<string, Json>)]),
    );
    assert.deepEqual(mdPlain, fx.meta.model_metadata);
    for (const [k, t] of model) assertTensor(t as HostTensor, fx.tensors[`model/${k}`], `model/${k}`);

    const opt = obj.get('optimizer') as Map<PyValue, PyValue>;
    const state = opt.get('state') as Map<number, Map<string, PyValue>>;
    assert.deepEqual([...state.keys()], [0, 1, 2, 3]);
    for (const [i, st] of state)
      for (const [k, t] of st)
        assertTensor(t as HostTensor, fx.tensors[`optimizer/state/${i}/${k}`], `state ${i} ${k}`);
    const group = (opt.get('param_groups') as Map<string, PyValue>[])[0];
    const want = (fx.meta.param_groups as Record<string, Json>[])[0];
    const betas = group.get('betas');
    assert.ok(betas instanceof PyTuple, 'betas stays a tuple');
    assert.deepEqual(betas.items, want.betas);
    for (const k of ['lr', 'eps', 'weight_decay', 'amsgrad', 'foreach', 'params'])
      assert.deepEqual(group.get(k), want[k], k);
  });
}

test('legacy storage views (view_metadata in the persistent id) read as torch 1.13 reads them', async () => {
  const fx = loadFixture('weights/storage_view');
  const sd = await readPth(pth('storage_view_legacy'));
  assertTensor(sd.get('whole')!, fx.tensors.whole, 'whole');
  assertTensor(sd.get('part')!, fx.tensors.part, 'part');
  assert.deepEqual([...sd.get('part')!.data], [3, 5, 4, 6]);
});

test('pre-0.4 CycleGAN checkpoint: stray InstanceNorm running stats are read like any other key', async () => {
  const fx = loadFixture('weights/cyclegan_pre04');
  const sd = await readPth(pth('cyclegan_pre04_legacy'));
  assert.deepEqual([...sd.keys()], fx.meta.keys);
  const stray = fx.meta.stray as string[];
  assert.ok(stray.length > 0 && stray.every((k) => /running_(mean|var)$/.test(k)));
  for (const [k, t] of sd) assertTensor(t, fx.tensors[k], k);
});

test('zip archives keep their own prefix (torch 1.13 uses the file stem, not "archive")', async () => {
  const r = await PthReader.open(pth('resnet_ngf2_zip'));
  await r.close();
  assert.equal(r.format, 'zip');
  const fx = loadFixture('weights/resnet_ngf2_zip');
  const info = await inspectPth(pth('resnet_ngf2_zip'));
  assert.deepEqual(
    info.tensors.map((t) => t.key),
    fx.meta.keys,
  );
  const entries = fx.meta.entries as unknown as Record<string, Entry>;
  for (const t of info.tensors) assert.deepEqual([...t.shape], entries[t.key].shape, t.key);
});

test('official generator layouts: resnet_9blocks (instance norm) and unet_256 (batch norm) key lists', async () => {
  for (const name of ['resnet_ngf2_zip', 'unet256_ngf1_zip']) {
    const fx = loadFixture(`weights/${name}`);
    const info = await inspectPth(pth(name));
    assert.deepEqual(
      info.tensors.map((t) => t.key),
      fx.meta.keys,
      name,
    );
  }
  const unet = await inspectPth(pth('unet256_ngf1_zip'));
  const nbt = unet.tensors.find((t) => t.key.endsWith('num_batches_tracked'));
  assert.equal(nbt?.dtype, 'int64');
  assert.ok(
    unet.tensors.some(
      (t) => t.key === 'model.model.1.model.3.model.3.model.3.model.3.model.3.model.3.model.1.weight',
    ),
  );
});

test('filter: only the wanted tensors are read', async () => {
  const sd = await readPth(pth('resnet_ngf2_zip'), { filter: (k) => k.startsWith('model.1.') });
  assert.deepEqual([...sd.keys()], ['model.1.weight', 'model.1.bias']);
  assert.deepEqual([...sd.get('model.1.weight')!.shape], [2, 3, 7, 7]);
});

test('lazy handle lists keys, dtypes and shapes without reading data', async () => {
  const r = await PthReader.open(pth('dtypes_legacy'));
  try {
    const l = r.list();
    assert.deepEqual(
      l.find((t) => t.key === 'bf16'),
      { key: 'bf16', dtype: 'bfloat16', shape: [2, 3], nbytes: 12 },
    );
    assert.ok(r.stateDict().get('f32') instanceof TensorRef);
  } finally {
    await r.close();
  }
});

test('readModuleStateDict gives Float32Array / BigInt64Array as nn.Module.loadStateDict takes them', async () => {
  const sd = await readModuleStateDict(pth('checkpoint_zip'));
  assert.ok(sd.get('0.weight')!.data instanceof Float32Array);
  assert.ok(sd.get('1.num_batches_tracked')!.data instanceof BigInt64Array);
  const dt = await readModuleStateDict(pth('dtypes_zip'));
  assert.ok(dt.get('f16')!.data instanceof Float32Array);
  assert.ok(dt.get('u8')!.data instanceof Float32Array);
});

test('a state_dict wrapped in a checkpoint dict is found under its usual key', async () => {
  // checkpoint_zip holds {'epoch', 'model': state_dict, 'optimizer', ...}.
  const sd = await readPth(pth('checkpoint_zip'));
  assert.ok(sd.has('0.weight'));
  assert.deepEqual([...(sd.attrs.get('_metadata') as Map<string, PyValue>).keys()], ['', '0', '1']);
});

test('half conversions match torch: .half() rounding and exact widening', async () => {
  const raw = await readPth(pth('dtypes_zip'));
  const f32 = raw.get('f32')!.data as Float32Array;
  const f16 = raw.get('f16')!.data as Uint16Array;
  // The fixture holds (base * 3).half() computed by torch from these float32 values.
  f32.forEach((v, i) => assert.equal(floatToHalf(Math.fround(v * 3)), f16[i], `element ${i}`));
  const special = raw.get('f16_special')!.data as Uint16Array;
  for (const bits of [...f16, ...special]) assert.equal(floatToHalf(halfToFloat(bits)), bits);
});
