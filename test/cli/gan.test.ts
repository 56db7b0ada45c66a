/**
 * `ai-art cyclegan|pix2pix train|test` and `ai-art combine` end to end in a child process, on
 * tiny synthetic datasets: outputs, Ctrl-C and its resume command, and bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadImage } from '../../src/images/index.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { alignedDataset, unalignedDataset, writePng } from '../helpers/gan_data.js';
import { tempDir } from '../images/helpers.js';

const tmp = tempDir('cli-gan');
const unaligned = path.join(tmp, 'unaligned');
const aligned = path.join(tmp, 'aligned');
await unalignedDataset(unaligned);
await alignedDataset(aligned, { phases: ['train'] });
const ckpt = path.join(tmp, 'checkpoints');

const TINY_CYCLE = [
  '--netG',
  'resnet_6blocks',
  '--ngf',
  '4',
  '--ndf',
  '4',
  '--num_threads',
  '1',
  '--threads',
  '2',
];
const TINY_P2P = [
  '--netG',
  'unet_128',
  '--load_size',
  '128',
  '--crop_size',
  '128',
  '--ngf',
  '4',
  '--ndf',
  '4',
  '--num_threads',
  '1',
  '--threads',
  '2',
];

function noStack(r: CliResult): void {
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

test('cyclegan train (kebab-case flags) then cyclegan test', async () => {
  const r = await runCli([
    'cyclegan',
    'train',
    '--dataroot',
    unaligned,
    '--name',
    'cyc',
    '--checkpoints-dir',
    ckpt,
    ...TINY_CYCLE,
    '--load-size',
    '36',
    '--crop-size',
    '32',
    '--max-dataset-size',
    '2',
    '--n-epochs',
    '1',
    '--n-epochs-decay',
    '1',
    '--print-freq',
    '1',
    '--display-freq',
    '2',
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  noStack(r);
  const res = JSON.parse(r.stdout.trim()) as { iterations: number; totalIters: number; saved: string[] };
  assert.equal(res.iterations, 4);
  assert.deepEqual(res.saved, ['latest']);
  assert.match(r.stderr, /----------------- Options ---------------/);
  assert.match(r.stderr, /epoch 1\/2 \[#+\.*\] 1\/2 .*D_A \d+\.\d{3} .*it\/s/);
  assert.match(r.stderr, /\(epoch: 2, iters: 2, time: \d+\.\d{3}, data: \d+\.\d{3}\) D_A: /);
  assert.match(r.stderr, /End of epoch 2 \/ 2 \t Time Taken: \d+ sec/);
  const dir = path.join(ckpt, 'cyc');
  for (const f of [
    'latest_net_G_A.pth',
    'latest_net_D_B.pth',
    'latest_state.pth',
    'train_opt.txt',
    'web/index.html',
  ])
    assert.ok(existsSync(path.join(dir, f)), f);
  assert.equal(readFileSync(path.join(dir, 'loss_log.jsonl'), 'utf8').trim().split('\n').length, 4);

  const results = path.join(tmp, 'results');
  const t = await runCli([
    'cyclegan',
    'test',
    '--dataroot',
    unaligned,
    '--name',
    'cyc',
    '--checkpoints_dir',
    ckpt,
    '--results_dir',
    results,
    ...TINY_CYCLE,
    '--load_size',
    '32',
    '--crop_size',
    '32',
    '--num_test',
    '2',
  ]);
  assert.equal(t.code, 0, t.stderr);
  const page = path.join(results, 'cyc', 'test_latest', 'index.html');
  assert.match(t.stderr, /2 pictures in .* s; results page .*test_latest\/index\.html/);
  const html = readFileSync(page, 'utf8');
  for (const v of ['real_A', 'fake_B', 'rec_A', 'real_B', 'fake_A', 'rec_B']) {
    assert.match(html, new RegExp(`images/a1_${v}\\.png`));
    assert.ok(existsSync(path.join(results, 'cyc', 'test_latest', 'images', `a1_${v}.png`)));
  }
  // A checkpoint of another architecture is refused, naming keys and what the file looks like.
  const wrong = await runCli([
    'cyclegan',
    'test',
    '--dataroot',
    unaligned,
    '--name',
    'cyc',
    '--checkpoints_dir',
    ckpt,
    '--results_dir',
    results,
    ...TINY_CYCLE,
    '--ngf',
    '8',
  ]);
  assert.equal(wrong.code, 1);
  assert.match(
    wrong.stderr,
    /latest_net_G_A\.pth does not fit network G_A: .*\n.*model\.1\.weight: checkpoint has \[4,3,7,7\], model expects \[8,3,7,7\][^]*looks like --netG resnet_6blocks --ngf 4/,
  );
  noStack(wrong);
  // One direction only, as the official --model test.
  const one = await runCli([
    'cyclegan',
    'test',
    '--model',
    'test',
    '--dataroot',
    path.join(unaligned, 'testA'),
    '--name',
    'cyc',
    '--checkpoints_dir',
    ckpt,
    '--results_dir',
    results,
    '--model_suffix',
    '_A',
    '--no_dropout',
    ...TINY_CYCLE,
    '--load_size',
    '32',
    '--crop_size',
    '32',
    '--num_test',
    '1',
  ]);
  assert.equal(one.code, 0, one.stderr);
  const fake = await loadImage(path.join(results, 'cyc', 'test_latest', 'images', 'a0_fake.png'));
  assert.deepEqual([fake.width, fake.height], [32, 32]);
});

test('pix2pix train: Ctrl-C saves latest, exits 130 and prints a resume command that works', async () => {
  const args = [
    'pix2pix',
    'train',
    '--dataroot',
    aligned,
    '--name',
    'p2p',
    '--checkpoints_dir',
    ckpt,
    ...TINY_P2P,
    '--n_epochs',
    '500',
    '--n_epochs_decay',
    '0',
    '--print_freq',
    '1000',
  ];
  let sent = false;
  const r = await runCli(args, {
    onStderr: (chunk, kill) => {
      if (!sent && /epoch 2\/500 \[/.test(chunk)) {
        sent = true;
        kill('SIGINT');
      }
    },
  });
  assert.equal(r.code, 130, r.stderr);
  noStack(r);
  assert.match(r.stderr, /interrupted: finishing the current iteration/);
  assert.match(r.stderr, /saved checkpoint 'latest' with the trainer state/);
  const m = /resume with:\n\s+ai-art (.*)\n/.exec(r.stderr);
  assert.ok(m, r.stderr);
  assert.match(m[1], /--continue_train$/);
  const dir = path.join(ckpt, 'p2p');
  for (const f of ['latest_net_G.pth', 'latest_net_D.pth', 'latest_state.pth'])
    assert.ok(existsSync(path.join(dir, f)), f);

  // Resume, shortened to end with the next epoch (a linear schedule with no decay is unchanged).
  const stopped = /interrupted at epoch (\d+), epoch_iter (\d+)/.exec(r.stderr);
  assert.ok(stopped);
  const last = String(Number(stopped[1]) + 1);
  const r2 = await runCli(m[1].split(' ').map((a) => (a === '500' ? last : a)));
  assert.equal(r2.code, 0, r2.stderr);
  assert.match(r2.stderr, /learning rate 0\.0002000 \(resumed mid-epoch\)/);
  assert.match(r2.stderr, new RegExp(`End of epoch ${last} / ${last}`));
});

test('bad input: clear messages, non-zero exit, no stack trace', async () => {
  const empty = path.join(tmp, 'empty');
  mkdirSync(path.join(empty, 'trainA'), { recursive: true });
  mkdirSync(path.join(empty, 'trainB'), { recursive: true });
  const onlyA = path.join(tmp, 'onlyA');
  await writePng(path.join(onlyA, 'trainA', 'x.png'), 8, 8, () => [1, 2, 3]);
  const broken = path.join(tmp, 'broken');
  await unalignedDataset(broken, { phases: ['train'], nA: 1, nB: 1 });
  writeFileSync(path.join(broken, 'trainA', 'zz.png'), 'not a picture');
  const cy = (...a: string[]) => [
    'cyclegan',
    'train',
    '--name',
    'bad',
    '--checkpoints_dir',
    path.join(tmp, 'badck'),
    ...TINY_CYCLE,
    '--load_size',
    '36',
    '--crop_size',
    '32',
    '--n_epochs',
    '1',
    '--n_epochs_decay',
    '0',
    '-q',
    ...a,
  ];
  const cases: [string[], RegExp, number][] = [
    [cy('--dataroot', path.join(tmp, 'nope')), /--dataroot .*nope does not exist/, 1],
    [cy('--dataroot', empty), /domain [AB] \(train[AB]\): no pictures in .*train[AB]/, 1],
    [cy('--dataroot', onlyA), /lacks trainB\//, 1],
    [cy('--dataroot', unaligned, '--crop_size', '64'), /--crop_size 64 is larger than --load_size 36/, 2],
    [cy('--dataroot', broken, '--strict'), /zz\.png.*--strict stops at unreadable images/, 1],
    [
      [
        'pix2pix',
        'train',
        '--dataroot',
        unaligned,
        '--name',
        'x',
        '--checkpoints_dir',
        path.join(tmp, 'badck'),
        ...TINY_P2P,
      ],
      /reads A\|B pairs from train\/ .*use --dataset_mode unaligned, or pair them with `combine`/,
      1,
    ],
    [
      [
        'cyclegan',
        'test',
        '--dataroot',
        unaligned,
        '--name',
        'nothing',
        '--checkpoints_dir',
        ckpt,
        ...TINY_CYCLE,
      ],
      /latest_net_G_A\.pth not found: there is no folder/,
      1,
    ],
    [['pix2pix', 'fit'], /unknown subcommand 'fit'/, 2],
    [cy('--dataroot', unaligned, '--lambda_L1', '5'), /--lambda_L1 belongs to --model pix2pix/, 2],
  ];
  // Two at a time: each child starts ONNX Runtime.
  for (let i = 0; i < cases.length; i += 2) {
    const batch = cases.slice(i, i + 2);
    const rs = await Promise.all(batch.map(([a]) => runCli(a)));
    rs.forEach((r, j) => {
      const [a, re, code] = batch[j];
      assert.equal(r.code, code, `${a.join(' ')}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, re, `${a.join(' ')}:\n${r.stderr}`);
      noStack(r);
    });
  }
  // Without --strict an unreadable picture is skipped with a warning and training goes on.
  const skip = await runCli(cy('--dataroot', broken));
  assert.equal(skip.code, 0, skip.stderr);
  assert.match(skip.stderr, /warning: skipping .*zz\.png/);
});

test('combine pairs namesakes and reports the picture without a partner', async () => {
  const A = path.join(tmp, 'foldA');
  const B = path.join(tmp, 'foldB');
  for (const n of ['1', '2', '3'])
    await writePng(path.join(A, 'train', `${n}.png`), 12, 10, () => [200, 0, 0]);
  for (const n of ['1', '2']) await writePng(path.join(B, 'train', `${n}.png`), 12, 10, () => [0, 0, 200]);
  const out = path.join(tmp, 'foldAB');
  const r = await runCli(['combine', '--fold_A', A, '--fold-B', B, '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /train: 2 pairs written/);
  assert.match(r.stdout, /1 in A without a partner in B: 3\.png/);
  const img = await loadImage(path.join(out, 'train', '1.png'));
  assert.deepEqual([img.width, img.height], [24, 10]);
  assert.ok(
    img.data[0] > 0.7 && img.data[2 * 24 * 10 + 23] > 0.7,
    'A on the left (red), B on the right (blue)',
  );
  assert.ok(!existsSync(path.join(out, 'train', '3.png')));

  const none = await runCli([
    'combine',
    '--fold_A',
    A,
    '--fold_B',
    path.join(tmp, 'nofold'),
    '--fold_AB',
    out,
  ]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /fold_B .*nofold is not a folder/);
  const usage = await runCli(['combine', '--fold_A', A]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /missing --fold_B, --fold_AB/);
});
