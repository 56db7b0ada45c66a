/** The training dashboard watches a short CycleGAN run (started from the CLI) as it trains. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { unalignedDataset } from '../test/helpers/gan_data.js';
import { SKIP, open, type Session } from './helpers.js';

const REPO = path.resolve(import.meta.dirname, '..');
let s: Session;
let child: ChildProcess | null = null;
let runs: string;

before(async () => {
  if (SKIP) return;
  const tmp = (await import('node:fs')).mkdtempSync(
    path.join((await import('node:os')).tmpdir(), 'ai-art-e2e-runs-'),
  );
  runs = path.join(tmp, 'checkpoints');
  s = await open('dashboard', { runRoots: [runs] });
  await unalignedDataset(path.join(tmp, 'data'));
  child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(REPO, 'src/cli/bin.ts'),
      'cyclegan',
      'train',
      '--dataroot',
      path.join(tmp, 'data'),
      '--checkpoints_dir',
      runs,
      '--name',
      'discs',
      '--netG',
      'resnet_6blocks',
      '--ngf',
      '4',
      '--ndf',
      '4',
      '--num_threads',
      '1',
      '--threads',
      '1',
      '--n_epochs',
      '300',
      '--n_epochs_decay',
      '100',
      '--load_size',
      '36',
      '--crop_size',
      '32',
      '--pool_size',
      '2',
      '--print_freq',
      '1',
      '--display_freq',
      '2',
      '--update_html_freq',
      '2',
      '--save_latest_freq',
      '100',
      '--save_epoch_freq',
      '100',
    ],
    { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr?.on('data', () => undefined);
});
after(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  if (!SKIP) await s.close();
});

test(
  'a training run appears with its loss curves, samples and progress, updating as it trains',
  { skip: SKIP },
  async () => {
    const { page } = s;
    await page.goto(`${s.studio.url}/#/dashboard`);
    const run = page.locator('[data-testid=run]', { hasText: 'discs' });
    await run.waitFor({ timeout: 180000 });
    await run.click();
    await page.locator('[data-testid=run-progress]').waitFor();
    const points = async () => Number(/(\d+) points/.exec(await run.innerText())?.[1] ?? 0);
    const PROGRESS = /epoch (\d+) \/ 400 · ([\d.]+) epochs done · ([\d.]+) % · ETA (.+?)( ·|$)/;
    const epochsDone = async () =>
      Number(PROGRESS.exec(await page.locator('[data-testid=run-progress]').innerText())?.[2] ?? NaN);
    const t1 = performance.now();
    const e1 = await epochsDone();
    const first = await points();
    await page.waitForFunction(
      (n) =>
        Number(
          /(\d+) points/.exec(document.querySelector('[data-testid=run].on')?.textContent ?? '')?.[1] ?? 0,
        ) >
        n + 2,
      first,
      { timeout: 180000, polling: 1000 },
    );
    // The epoch shown, the epochs done and the share come from the same logged point; the ETA
    // agrees with the pace this test sees (the per-image compute time once gave an ETA several
    // times off, either way, depending on whether the last iteration wrote samples).
    const progress = await page.locator('[data-testid=run-progress]').innerText();
    const t2 = performance.now();
    const m = PROGRESS.exec(progress);
    assert.ok(m, progress);
    assert.ok(Number(m[2]) > Number(m[1]) - 1 && Number(m[2]) <= Number(m[1]), progress);
    assert.ok(Math.abs(Number(m[3]) - (100 * Number(m[2])) / 400) < 0.1, progress);
    const eta = /^(\d+) s$/.exec(m[4])
      ? Number(m[4].split(' ')[0])
      : /^(\d+) min (\d+) s$/.test(m[4])
        ? Number(m[4].split(' ')[0]) * 60 + Number(m[4].split(' ')[2])
        : /^(\d+) h (\d+) min$/.test(m[4])
          ? Number(m[4].split(' ')[0]) * 3600 + Number(m[4].split(' ')[2]) * 60
          : NaN;
    const pace = (Number(m[2]) - e1) / ((t2 - t1) / 1000);
    const expected = (400 - Number(m[2])) / pace;
    assert.ok(
      eta > expected / 2 && eta < expected * 2,
      `${progress}: the ETA is ${eta} s, the pace seen here (${pace.toFixed(2)} epochs/s) gives ${expected.toFixed(0)} s`,
    );
    assert.match(await page.locator('[data-testid=run-status]').innerText(), /training/);
    assert.ok(
      await page.locator('[data-testid=run-stop]').isDisabled(),
      'a CLI run is watched, not stopped, from the studio',
    );
    // The chart has a series per loss (D_A, G_A, cycle_A, idt_A, D_B, G_B, cycle_B, idt_B).
    const legend = await page.locator('.chart .u-legend').innerText();
    for (const k of ['D_A', 'G_A', 'cycle_A', 'D_B']) assert.match(legend, new RegExp(k));
    await page.locator('.samples img').first().waitFor({ timeout: 120000 });
    await page.waitForFunction(() =>
      [...document.querySelectorAll('.samples img')].some((i) => (i as HTMLImageElement).naturalWidth > 0),
    );
    await s.shot('training');
  },
);
