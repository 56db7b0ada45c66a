/**
 * Resume after a real kill: `fast train`, `cyclegan train` and `pix2pix train` run as child
 * processes (the CLI through tsx), are killed with SIGKILL mid-epoch once a checkpoint is on
 * disk, run again (fast train resumes by itself; the GAN commands with --continue_train), and
 * must log exactly the losses of an uninterrupted run with the same seed from the resume point.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runCli, type CliResult } from '../helpers/cli.js';
import { tempDir } from '../images/helpers.js';
import { fastDataset, styleImage } from '../helpers/fast_data.js';
import { alignedDataset, unalignedDataset } from '../helpers/gan_data.js';

const tmp = tempDir('train-kill');

function lines(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim());
}

/** Runs the CLI and SIGKILLs it once `file` holds at least `n` lines. */
async function runAndKill(args: string[], file: string, n: number): Promise<CliResult> {
  let sent = false;
  const r = await runCli(args, {
    onStderr: (_chunk, kill) => {
      if (!sent && lines(file).length >= n) {
        sent = true;
        kill('SIGKILL');
      }
    },
  });
  assert.equal(r.signal, 'SIGKILL', `the run was killed (exit ${r.code}): ${r.stderr.slice(-600)}`);
  return r;
}

function ok(r: CliResult): void {
  assert.equal(r.code, 0, r.stderr.slice(-1500));
}

test('fast train: SIGKILL mid-epoch, rerun resumes from the checkpoint with identical losses', async () => {
  const data = await fastDataset(path.join(tmp, 'fast-data'), 10);
  const style = await styleImage(path.join(tmp, 'style.png'));
  const args = (out: string) => [
    'fast', 'train', '--dataset', data, '--style-image', style, '--save-model-dir', path.join(tmp, out),
    '--image-size', '32', '--batch-size', '2', '--width', 'half', '--vgg', 'random', '--epochs', '2',
    '--log-interval', '1', '--checkpoint-interval', '3', '--hold-back', '2', '--threads', '2',
  ];
  ok(await runCli(args('full')));
  const log = (out: string) => path.join(tmp, out, 'checkpoints', 'loss.jsonl');
  // 4 batches per epoch; checkpoint after batch 3; killed while step 4 or 5 is logged (epoch 2 at the latest mid-way).
  await runAndKill(args('cut'), log('cut'), 4);
  assert.ok(lines(log('cut')).length < 8, 'killed before the end');
  const resumed = await runCli(args('cut'));
  ok(resumed);
  const m = /resuming from .* at step (\d+)/.exec(resumed.stderr);
  assert.ok(m, `resumed: ${resumed.stderr.slice(0, 800)}`);
  assert.ok([3, 7].includes(Number(m[1])), `resumed at checkpoint step ${m[1]} (checkpoints after batch 3 of each epoch of 4)`);
  // Each line says when it was written (for the studio's ETA); everything else must match.
  const untimed = (file: string) => lines(file).map((l) => ({ ...(JSON.parse(l) as Record<string, unknown>), time: undefined }));
  assert.deepEqual(untimed(log('cut')), untimed(log('full')), 'the same log, line for line');
  assert.deepEqual(readFileSync(path.join(tmp, 'cut', 'style.pth')), readFileSync(path.join(tmp, 'full', 'style.pth')));
});

interface GanLine {
  total_iters: number;
  [k: string]: number;
}
const lossesOf = (l: string): string => {
  const { t_comp: _c, t_data: _d, time: _t, ...rest } = JSON.parse(l) as GanLine;
  return JSON.stringify(rest);
};

async function ganCase(cmd: 'cyclegan' | 'pix2pix', root: string, extra: string[]): Promise<void> {
  const ckpt = path.join(tmp, `${cmd}-ckpt`);
  const args = (name: string) => [
    cmd, 'train', '--dataroot', root, '--checkpoints_dir', ckpt, '--name', name, '--threads', '2',
    '--netG', 'resnet_6blocks', '--ngf', '4', '--ndf', '4', '--num_threads', '1', '--n_epochs', '2', '--n_epochs_decay', '1',
    '--print_freq', '1', '--display_freq', '1000', '--save_latest_freq', '2', '--save_epoch_freq', '100', ...extra,
  ];
  ok(await runCli(args('full')));
  const log = (name: string) => path.join(ckpt, name, 'loss_log.jsonl');
  const full = lines(log('full'));
  assert.equal(full.length, 9, '3 pictures x 3 epochs');
  await runAndKill(args('cut'), log('cut'), 3);
  const before = lines(log('cut')).length;
  assert.ok(before >= 3 && before < 9, `killed mid-run after ${before} lines`);
  ok(await runCli([...args('cut'), '--continue_train']));
  const after = lines(log('cut')).slice(before);
  const from = (JSON.parse(after[0]) as GanLine).total_iters - 1;
  // Checkpoints every 2 iterations: the run restarts from 2 or 4, mid-epoch (3 per epoch).
  assert.ok(from === 2 || from === 4, `resumed after iteration ${from}`);
  assert.deepEqual(after.map(lossesOf), full.slice(from).map(lossesOf), 'identical losses from the resume point');
}

test('cyclegan train: SIGKILL mid-epoch, --continue_train logs the uninterrupted losses', async () => {
  const root = path.join(tmp, 'unaligned');
  await unalignedDataset(root);
  await ganCase('cyclegan', root, ['--load_size', '36', '--crop_size', '32', '--pool_size', '2']);
});

test('pix2pix train: SIGKILL mid-epoch, --continue_train logs the uninterrupted losses', async () => {
  const root = path.join(tmp, 'aligned');
  await alignedDataset(root, { size: 32 });
  await ganCase('pix2pix', root, ['--load_size', '32', '--crop_size', '32']);
});
