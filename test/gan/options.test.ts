import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { formatOptions, parseGanOptions, pyFloat, saveOptions, UsageError } from '../../src/gan/options.js';
import { tempDir } from '../images/helpers.js';

const D = ['--dataroot', '/data/x'];

test('cycle_gan training defaults are the reference’s', () => {
  const { opt } = parseGanOptions(D, 'train');
  assert.equal(opt.model, 'cycle_gan');
  assert.equal(opt.netG, 'resnet_9blocks');
  assert.equal(opt.netD, 'basic');
  assert.equal(opt.norm, 'instance');
  assert.equal(opt.no_dropout, true);
  assert.equal(opt.dataset_mode, 'unaligned');
  assert.equal(opt.gan_mode, 'lsgan');
  assert.equal(opt.pool_size, 50);
  assert.equal(opt.lambda_A, 10);
  assert.equal(opt.lambda_B, 10);
  assert.equal(opt.lambda_identity, 0.5);
  assert.equal(opt.load_size, 286);
  assert.equal(opt.crop_size, 256);
  assert.equal(opt.lr, 0.0002);
  assert.equal(opt.beta1, 0.5);
  assert.equal(opt.n_epochs, 100);
  assert.equal(opt.n_epochs_decay, 100);
  assert.equal(opt.lr_policy, 'linear');
  assert.equal(opt.lr_decay_iters, 50);
  assert.equal(opt.max_dataset_size, Infinity);
  assert.equal(opt.checkpoints_dir, './checkpoints');
  assert.equal(opt.phase, 'train');
  assert.equal(opt.epoch, 'latest');
  assert.equal(opt.display_freq, 400);
  assert.equal(opt.print_freq, 100);
  assert.equal(opt.save_latest_freq, 5000);
  assert.equal(opt.save_epoch_freq, 5);
  assert.equal(opt.epoch_count, 1);
  assert.equal(opt.num_threads, 4);
  assert.equal(opt.init_type, 'normal');
  assert.equal(opt.init_gain, 0.02);
});

test('pix2pix training defaults follow its modify_commandline_options', () => {
  const { opt, defaults } = parseGanOptions([...D, '--model', 'pix2pix'], 'train');
  assert.equal(opt.netG, 'unet_256');
  assert.equal(opt.norm, 'batch');
  assert.equal(opt.gan_mode, 'vanilla');
  assert.equal(opt.pool_size, 0);
  assert.equal(opt.dataset_mode, 'aligned');
  assert.equal(opt.lambda_L1, 100);
  assert.equal(opt.no_dropout, false, 'pix2pix keeps dropout');
  assert.equal(defaults.get('netG'), 'unet_256');
  // The fixed-model form (a `pix2pix train` command) gives the same.
  assert.deepEqual(parseGanOptions(D, 'train', { model: 'pix2pix' }).opt, opt);
  // Explicit flags still win over model defaults.
  const o2 = parseGanOptions(
    [...D, '--model', 'pix2pix', '--netG', 'resnet_9blocks', '--norm', 'instance', '--pool_size', '10'],
    'train',
  ).opt;
  assert.equal(o2.netG, 'resnet_9blocks');
  assert.equal(o2.norm, 'instance');
  assert.equal(o2.pool_size, 10);
});

test('official spellings and kebab-case are both accepted', () => {
  const a = parseGanOptions(
    [
      ...D,
      '--lambda_A',
      '5',
      '--n_epochs_decay',
      '7',
      '--no_flip',
      '--crop_size',
      '128',
      '--load_size',
      '143',
      '--lr_policy',
      'step',
    ],
    'train',
  ).opt;
  const b = parseGanOptions(
    [
      ...D,
      '--lambda-a',
      '5',
      '--n-epochs-decay',
      '7',
      '--no-flip',
      '--crop-size',
      '128',
      '--load-size=143',
      '--lr-policy',
      'step',
    ],
    'train',
  ).opt;
  assert.deepEqual(a, b);
  assert.equal(a.lambda_A, 5);
  assert.equal(a.n_epochs_decay, 7);
  assert.equal(a.no_flip, true);
  assert.equal(a.crop_size, 128);
  assert.equal(a.load_size, 143);
  // pre-2020 names still work
  const c = parseGanOptions(
    [...D, '--niter', '3', '--niter_decay', '4', '--which_epoch', '20', '--lr_policy', 'lambda'],
    'train',
  );
  assert.equal(c.opt.n_epochs, 3);
  assert.equal(c.opt.n_epochs_decay, 4);
  assert.equal(c.opt.epoch, '20');
  assert.equal(c.opt.lr_policy, 'linear');
  assert.ok(c.notes.some((n) => n.includes('lambda')));
  const t = parseGanOptions(
    [...D, '--num-test', '7', '--results-dir', 'out', '--aspect-ratio', '1.5', '--eval'],
    'test',
  ).opt;
  assert.equal(t.num_test, 7);
  assert.equal(t.results_dir, 'out');
  assert.equal(t.aspect_ratio, 1.5);
  assert.equal(t.eval, true);
});

test('test options: model test by default, load_size = crop_size, test.py’s hard-coded values', () => {
  const p = parseGanOptions(D, 'test');
  assert.equal(p.opt.model, 'test');
  assert.equal(p.opt.dataset_mode, 'single');
  assert.equal(p.opt.load_size, 256);
  assert.equal(p.opt.phase, 'test');
  assert.equal(p.opt.results_dir, './results/');
  assert.equal(p.opt.num_test, 50);
  assert.equal(p.opt.batch_size, 1);
  assert.equal(p.opt.serial_batches, true);
  assert.equal(p.opt.no_flip, true);
  // opt.txt shows the options as given, before test.py overrides them
  assert.equal(p.values.get('no_flip'), false);
  const c = parseGanOptions([...D, '--model', 'cycle_gan', '--batch_size', '4'], 'test').opt;
  assert.equal(c.dataset_mode, 'unaligned');
  assert.equal(c.batch_size, 1);
  assert.equal(c.no_dropout, true);
  const x = parseGanOptions([...D, '--model', 'pix2pix', '--direction', 'BtoA'], 'test').opt;
  assert.equal(x.netG, 'unet_256');
  assert.equal(x.direction, 'BtoA');
});

test('validation errors say what is wrong', () => {
  const err = (argv: string[], phase: 'train' | 'test', re: RegExp): void => {
    assert.throws(
      () => parseGanOptions(argv, phase),
      (e: unknown) => e instanceof UsageError && re.test(e.message),
    );
  };
  err([...D, '--crop_size', '300'], 'train', /--crop_size 300 is larger than --load_size 286/);
  err(
    [...D, '--preprocess', 'scale_width_and_crop', '--load_size', '200'],
    'train',
    /crop_size 256 is larger than --load_size 200/,
  );
  err(
    [...D, '--netG', 'unet_999'],
    'train',
    /--netG must be one of resnet_9blocks, resnet_6blocks, unet_256, unet_128; got 'unet_999'/,
  );
  err([...D, '--gan_mode', 'hinge'], 'train', /--gan_mode must be one of/);
  err([...D, '--lambda_L1', '10'], 'train', /--lambda_L1 belongs to --model pix2pix/);
  err([...D, '--model', 'pix2pix', '--lambda_A', '1'], 'train', /--lambda_A belongs to --model cycle_gan/);
  err(
    [...D, '--model', 'pix2pix', '--crop_size', '200', '--load_size', '220'],
    'train',
    /unet_256 needs image sides that are multiples of 256.*--crop_size is 200/,
  );
  err([...D, '--input_nc', '1'], 'train', /identity loss .* --input_nc equal to --output_nc/);
  err([...D, '--input_nc', '2'], 'train', /--input_nc must be 1 \(grayscale\) or 3 \(RGB\)/);
  err([...D, '--n_epochs', '0', '--n_epochs_decay', '0'], 'train', /nothing to train/);
  err([...D, '--batch_size', '0'], 'train', /--batch_size must be a whole number ≥ 1, got 0/);
  err([...D, '--lr', '-1'], 'train', /--lr must be a number > 0, got -1/);
  err([...D, '--model', 'test'], 'train', /--model test only generates/);
  err(['--name', 'x'], 'train', /--dataroot is required/);
  err([...D, '--lambda_AA', '1'], 'train', /unknown option --lambda_AA \(did you mean --lambda_A/);
});

test('ignored compatibility flags are accepted with a note; fixed model conflicts are refused', () => {
  const p = parseGanOptions([...D, '--gpu_ids', '-1', '--display_id', '0'], 'train');
  assert.ok(p.notes.some((n) => n.startsWith('--gpu_ids is accepted for compatibility and ignored')));
  assert.ok(p.notes.some((n) => n.startsWith('--display_id')));
  assert.throws(
    () => parseGanOptions([...D, '--model', 'pix2pix'], 'train', { model: 'cycle_gan' }),
    /conflicts/,
  );
  assert.equal(parseGanOptions([...D, '--model', 'cyclegan'], 'train').opt.model, 'cycle_gan');
});

test('--suffix formats option values into the name', () => {
  const { opt } = parseGanOptions(
    [...D, '--name', 'exp', '--suffix', '{model}_{netG}_size{load_size}'],
    'train',
  );
  assert.equal(opt.name, 'exp_cycle_gan_resnet_9blocks_size286');
  assert.throws(
    () => parseGanOptions([...D, '--suffix', '{nope}'], 'train'),
    /\{nope\}, which is not an option/,
  );
});

test('pyFloat prints as Python’s repr', () => {
  const cases: [number, string][] = [
    [0.0002, '0.0002'],
    [0.0001, '0.0001'],
    [1e-5, '1e-05'],
    [2.5e-7, '2.5e-07'],
    [10, '10.0'],
    [0.5, '0.5'],
    [100, '100.0'],
    [123.456, '123.456'],
    [1e16, '1e+16'],
    [1.5e16, '1.5e+16'],
    [1234567890123456, '1234567890123456.0'],
    [-0.02, '-0.02'],
    [Infinity, 'inf'],
    [0, '0.0'],
  ];
  for (const [x, s] of cases) assert.equal(pyFloat(x), s, String(x));
});

test('opt.txt has the reference’s layout and default annotations', async () => {
  const dir = tempDir('gan-opt');
  const p = parseGanOptions(
    [
      ...D,
      '--model',
      'pix2pix',
      '--name',
      'facades',
      '--checkpoints_dir',
      dir,
      '--lr',
      '0.001',
      '--direction',
      'BtoA',
    ],
    'train',
  );
  const txt = formatOptions(p);
  const lines = txt.split('\n');
  assert.equal(lines[0], '----------------- Options ---------------');
  assert.equal(lines[lines.length - 1], '----------------- End -------------------');
  const line = (k: string): string =>
    lines.find((l) => l.startsWith(`${k.padStart(25)}: `)) ?? assert.fail(`no line for ${k}`);
  assert.equal(line('lr'), `${'lr'.padStart(25)}: ${'0.001'.padEnd(30)}\t[default: 0.0002]`);
  assert.equal(line('direction'), `${'direction'.padStart(25)}: ${'BtoA'.padEnd(30)}\t[default: AtoB]`);
  // model defaults are the defaults: no annotation
  assert.equal(line('netG'), `${'netG'.padStart(25)}: ${'unet_256'.padEnd(30)}`);
  assert.equal(line('gan_mode'), `${'gan_mode'.padStart(25)}: ${'vanilla'.padEnd(30)}`);
  assert.equal(line('lambda_L1'), `${'lambda_L1'.padStart(25)}: ${'100.0'.padEnd(30)}`);
  assert.equal(line('max_dataset_size'), `${'max_dataset_size'.padStart(25)}: ${'inf'.padEnd(30)}`);
  assert.equal(line('isTrain'), `${'isTrain'.padStart(25)}: ${'True'.padEnd(30)}`);
  assert.equal(line('no_dropout'), `${'no_dropout'.padStart(25)}: ${'False'.padEnd(30)}`);
  assert.ok(!txt.includes('lambda_A'), 'cycle_gan-only options are not listed for pix2pix');
  // sorted as Python sorts strings (code points: '_' before lowercase letters)
  const keys = lines.slice(1, -1).map((l) => l.split(':')[0].trim());
  assert.deepEqual(keys, [...keys].sort());
  assert.ok(keys.indexOf('n_layers_D') < keys.indexOf('name') && keys.indexOf('name') < keys.indexOf('ndf'));

  const files = await saveOptions(p);
  assert.equal(files.txt, path.join(dir, 'facades', 'train_opt.txt'));
  assert.equal(await readFile(files.txt, 'utf8'), `${txt}\n`);
  const json = JSON.parse(await readFile(files.json, 'utf8')) as Record<string, unknown>;
  assert.equal(json.lr, 0.001);
  assert.equal(json.netG, 'unet_256');
  assert.equal(json.max_dataset_size, null);
});
