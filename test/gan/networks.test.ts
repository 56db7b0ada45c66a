/**
 * The CycleGAN/pix2pix networks against the official code (commit 9f8f61e): each fixture's
 * .pth is a state_dict saved by torch.save from the official module, read by src/weights and
 * loaded strictly; the forward pass must match PyTorch's (float64) within 1e-4, in training
 * mode (batch statistics, the fixture's dropout masks) and, with batch norm or dropout, in eval
 * mode (running statistics).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph } from '../../src/engine/index.js';
import { BatchNorm2d, Conv2d, ConvTranspose2d, Ctx, Rng, type Module } from '../../src/nn/index.js';
import {
  NLayerDiscriminator,
  UnetGenerator,
  defineD,
  defineG,
  inferGenerator,
  initWeights,
  loadGenerator,
  parseNetG,
  type DiscriminatorOptions,
  type GeneratorOptions,
  type InitType,
  type NormType,
} from '../../src/models/networks.js';
import { FIXTURES_DIR, assertClose, loadFixture, type Json } from '../helpers/fixtures.js';
import { readGanPth, runForward } from './helpers.js';
import { readModuleStateDict } from '../../src/weights/index.js';

const TOL = { atol: 1e-4, rtol: 0 };

function build(meta: Record<string, Json>): Module {
  const spec = meta.spec as Record<string, Json>;
  if (meta.kind === 'G') {
    const o: GeneratorOptions = {
      netG: spec.netG as string,
      ngf: spec.ngf as number,
      norm: spec.norm as NormType,
      no_dropout: !(spec.use_dropout as boolean),
    };
    return defineG(o, { init: false });
  }
  const o: DiscriminatorOptions = {
    netD: spec.netD as DiscriminatorOptions['netD'],
    ndf: spec.ndf as number,
    norm: spec.norm as NormType,
    input_nc: spec.input_nc as number,
    n_layers_D: (spec.n_layers_D as number | undefined) ?? 3,
  };
  return defineD(o, { init: false });
}

const cases = readdirSync(path.join(FIXTURES_DIR, 'gan'))
  .filter((f) => f.startsWith('fwd_') && f.endsWith('.json'))
  .map((f) => f.slice(0, -5))
  .sort();

describe('forward parity with the official networks', () => {
  test('fixtures are present', () => assert.ok(cases.length >= 10, `only ${cases.length} forward fixtures`));
  for (const name of cases) {
    test(name, async () => {
      const fx = loadFixture(`gan/${name}`);
      const net = build(fx.meta);
      assert.deepEqual(
        Array.from(net.namedTensors(), ([k]) => k),
        fx.meta.keys,
        'state_dict keys, in order',
      );
      net.loadStateDict(await readGanPth(fx.meta.pth as string));
      net.train();
      const tr = await runForward(net, fx, 'input');
      assert.equal(tr.sites, fx.meta.dropout_sites, 'dropout sites');
      assert.deepEqual(tr.shape, fx.shape('output_train'));
      const s = assertClose(tr.y, fx.f32('output_train'), TOL, `${name} train`, tr.shape);
      if (fx.has('output_eval')) {
        net.eval();
        const ev = await runForward(net, fx, 'input');
        assert.equal(ev.sites, 0);
        assertClose(ev.y, fx.f32('output_eval'), TOL, `${name} eval`, ev.shape);
      }
      assert.ok(s.maxAbs < 1e-4);
    });
  }
});

describe('checkpoints: architecture from keys, stray InstanceNorm statistics', () => {
  const weights = (f: string) => path.join(FIXTURES_DIR, 'weights', f);

  test('inferGenerator reads every forward fixture generator back', async () => {
    for (const name of cases) {
      const fx = loadFixture(`gan/${name}`);
      if (fx.meta.kind !== 'G') continue;
      const spec = fx.meta.spec as Record<string, Json>;
      const inf = inferGenerator(await readGanPth(fx.meta.pth as string));
      assert.equal(inf.netG, spec.netG, name);
      assert.equal(inf.ngf, spec.ngf, name);
      assert.equal(inf.norm, spec.norm, name);
      assert.equal(inf.input_nc, 3);
      assert.equal(inf.output_nc, 3);
      if (inf.arch.kind === 'resnet') assert.equal(inf.use_dropout, spec.use_dropout, name);
      else assert.equal(inf.use_dropout, null, `${name}: U-Net dropout leaves no key`);
    }
  });

  test('official-layout resnet_9blocks and unet_256 checkpoints load through loadGenerator', async () => {
    const r = loadGenerator(await readModuleStateDict(weights('resnet_ngf2_zip.pth')));
    assert.equal(r.inferred.netG, 'resnet_9blocks');
    assert.equal(r.inferred.norm, 'instance');
    assert.equal(r.inferred.ngf, 2);
    const u = loadGenerator(await readModuleStateDict(weights('unet256_ngf1_zip.pth')), {
      no_dropout: false,
    });
    assert.equal(u.inferred.netG, 'unet_256');
    assert.equal(u.inferred.norm, 'batch');
    assert.equal(u.inferred.ngf, 1);
    assert.ok(u.net instanceof UnetGenerator);
    assert.deepEqual(r.dropped, []);
  });

  test('a pre-0.4 checkpoint loses its InstanceNorm running statistics, as the official loader does', async () => {
    const fx = loadFixture('weights/cyclegan_pre04');
    const sd = await readModuleStateDict(weights('cyclegan_pre04_legacy.pth'));
    const { net, inferred, dropped } = loadGenerator(sd);
    assert.equal(inferred.netG, 'resnet_2blocks');
    assert.equal(inferred.norm, 'instance');
    const stray = fx.meta.stray as string[];
    assert.ok(stray.length > 0);
    assert.deepEqual([...dropped].sort(), [...stray].sort());
    // Without the patch the strict load names the first stray key.
    const plain = defineG(
      { netG: 'resnet_2blocks', ngf: inferred.ngf, norm: 'instance', no_dropout: true },
      { init: false },
    );
    assert.throws(() => plain.loadStateDict(sd), /unexpected key model\.2\.running_mean/);
    assert.ok(net.namedTensors().next().value);
  });

  test('options that contradict the checkpoint are named', async () => {
    const sd = await readModuleStateDict(weights('resnet_ngf2_zip.pth'));
    assert.throws(
      () => loadGenerator(sd, { netG: 'unet_256' }),
      /--netG unet_256, but the checkpoint is resnet_9blocks/,
    );
    assert.throws(
      () => loadGenerator(sd, { ngf: 64 }),
      /--ngf 64, but model\.1\.weight is \[2,3,7,7\] \(ngf 2\)/,
    );
    assert.throws(
      () => loadGenerator(sd, { norm: 'batch' }),
      /--norm batch, but the checkpoint was trained with instance norm/,
    );
    assert.throws(() => loadGenerator(sd, { no_dropout: false }), /built without dropout/);
    const d = await readGanPth('fwd_basic_instance.pth');
    assert.throws(() => inferGenerator(d), /discriminator/);
    assert.throws(() => inferGenerator(new Map()), /not a ResnetGenerator or UnetGenerator/);
  });

  test('a batch-norm checkpoint from before num_batches_tracked loads with the counters at 0', async () => {
    const sd = await readGanPth('fwd_unet64_batch_dropout.pth');
    const old = new Map([...sd].filter(([k]) => !k.endsWith('num_batches_tracked')));
    assert.ok(old.size < sd.size);
    const { net, added } = loadGenerator(old);
    assert.equal(added.length, sd.size - old.size);
    for (const k of added) {
      const t = [...net.namedTensors()].find(([n]) => n === k)![1];
      assert.equal((t.data as BigInt64Array)[0], 0n, k);
    }
  });

  test('a DataParallel module. prefix is stripped', async () => {
    const sd = await readModuleStateDict(weights('resnet_ngf2_zip.pth'));
    const wrapped = new Map([...sd].map(([k, v]) => [`module.${k}`, v]));
    assert.equal(loadGenerator(wrapped).inferred.netG, 'resnet_9blocks');
  });
});

describe('construction rules', () => {
  test('use_bias only with instance norm; the output convolutions always have a bias', () => {
    const keys = (norm: NormType) =>
      Array.from(
        defineG({ netG: 'resnet_6blocks', ngf: 2, norm, no_dropout: true }, { init: false }).namedTensors(),
        ([k]) => k,
      );
    assert.ok(keys('instance').includes('model.1.bias'));
    assert.ok(!keys('batch').includes('model.1.bias'));
    assert.ok(!keys('none').includes('model.1.bias'));
    for (const n of ['instance', 'batch', 'none'] as const) assert.ok(keys(n).includes('model.23.bias'), n);
    assert.ok(keys('batch').includes('model.2.num_batches_tracked'));
  });

  test('netG names', () => {
    assert.deepEqual(parseNetG('resnet_9blocks'), { kind: 'resnet', nBlocks: 9 });
    assert.deepEqual(parseNetG('unet_256'), { kind: 'unet', numDowns: 8 });
    assert.deepEqual(parseNetG('unet_128'), { kind: 'unet', numDowns: 7 });
    assert.throws(() => parseNetG('unet_100'), /not recognized/);
    assert.throws(() => defineD({ netD: 'huge' as 'basic' }), /not recognized/);
  });

  test('input sizes the networks cannot take are refused with the reason', () => {
    const u = defineG({ netG: 'unet_256', ngf: 1, norm: 'batch' }, { init: false });
    const g = new Graph();
    assert.throws(
      () => u.forward(new Ctx(g), g.input('x', [1, 3, 128, 128])),
      /divisible by 256, got 128x128/,
    );
    const d = new NLayerDiscriminator(3, 2, 3, 'instance');
    assert.throws(() => d.forward(new Ctx(g), g.input('y', [1, 3, 20, 20])), /at least 24x24/);
  });
});

describe('init_weights', () => {
  function stats(a: Float32Array): { mean: number; std: number } {
    let s = 0;
    for (const v of a) s += v;
    const mean = s / a.length;
    let q = 0;
    for (const v of a) q += (v - mean) ** 2;
    return { mean, std: Math.sqrt(q / a.length) };
  }
  const net = (): Module =>
    defineG({ netG: 'resnet_6blocks', ngf: 8, norm: 'batch', no_dropout: true }, { init: false });

  test('normal: conv weights N(0, gain), biases 0, BatchNorm weights N(1, gain)', () => {
    const n = net();
    initWeights(n, 'normal', 0.02, new Rng(3));
    const conv = [...n.modules()].filter((m): m is Conv2d => m instanceof Conv2d);
    const big = conv.reduce((a, b) => (a.weight.f32.length > b.weight.f32.length ? a : b));
    const s = stats(big.weight.f32);
    assert.ok(Math.abs(s.mean) < 2e-3 && Math.abs(s.std - 0.02) < 1e-3, JSON.stringify(s));
    for (const m of n.modules()) {
      if (m instanceof Conv2d || m instanceof ConvTranspose2d)
        assert.ok(!m.bias || m.bias.f32.every((v) => v === 0));
    }
    const bnw = Float32Array.from(
      [...n.modules()]
        .filter((m): m is BatchNorm2d => m instanceof BatchNorm2d)
        .flatMap((m) => [...m.weight.f32]),
    );
    const b = stats(bnw);
    assert.ok(Math.abs(b.mean - 1) < 5e-3 && Math.abs(b.std - 0.02) < 5e-3, JSON.stringify(b));
  });

  const scaled: [InitType, (fanIn: number, fanOut: number) => number][] = [
    ['xavier', (i, o) => 0.02 * Math.sqrt(2 / (i + o))],
    ['kaiming', (i) => Math.sqrt(2 / i)],
  ];
  for (const [type, std] of scaled) {
    test(`${type}: std from fan in/out (transposed conv weights use dim 1 as fan in)`, () => {
      const n = net();
      initWeights(n, type, 0.02, new Rng(4));
      for (const m of n.modules()) {
        if (!(m instanceof Conv2d || m instanceof ConvTranspose2d) || m.weight.f32.length < 4000) continue;
        const [a, b, kh, kw] = m.weight.shape;
        const s = stats(m.weight.f32);
        const want = std(b * kh * kw, a * kh * kw);
        assert.ok(
          Math.abs(s.std / want - 1) < 0.05,
          `${type} ${m.constructor.name} [${m.weight.shape}]: std ${s.std} want ${want}`,
        );
      }
    });
  }

  test('orthogonal: rows (or columns) orthonormal, times gain', () => {
    const n = net();
    initWeights(n, 'orthogonal', 0.5, new Rng(5));
    for (const m of n.modules()) {
      if (!(m instanceof Conv2d || m instanceof ConvTranspose2d)) continue;
      const w = m.weight.f32;
      const rows = m.weight.shape[0];
      const cols = w.length / rows;
      const k = Math.min(rows, cols);
      // Gram matrix of the shorter side's vectors: gain^2 I.
      const vec = (i: number, t: number) => (rows <= cols ? w[i * cols + t] : w[t * cols + i]);
      const len = Math.max(rows, cols);
      for (let i = 0; i < k; i++) {
        for (let j = 0; j <= i; j++) {
          let d = 0;
          for (let t = 0; t < len; t++) d += vec(i, t) * vec(j, t);
          assert.ok(Math.abs(d - (i === j ? 0.25 : 0)) < 1e-5, `[${m.weight.shape}] (${i},${j}) = ${d}`);
        }
      }
    }
  });

  test('the same seed gives the same network; define_G initialises by default', () => {
    const a = defineG({ netG: 'unet_128', ngf: 2, norm: 'batch' }, { rng: new Rng(9) });
    const b = defineG({ netG: 'unet_128', ngf: 2, norm: 'batch' }, { rng: new Rng(9) });
    const wa = a.namedTensors().next().value![1].f32;
    assert.deepEqual(wa, b.namedTensors().next().value![1].f32);
    assert.ok(stats(wa).std < 0.03);
  });
});
