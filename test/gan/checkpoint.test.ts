import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Tensor } from '../../src/engine/graph.js';
import { Module, type Ctx } from '../../src/nn/module.js';
import { Adam } from '../../src/optim/adam.js';
import {
  adamSnapshot,
  CheckpointError,
  listCheckpoints,
  loadCheckpoint,
  loadNetworks,
  restoreAdam,
  saveCheckpoint,
  type TrainerState,
} from '../../src/gan/checkpoint.js';
import { ImagePool } from '../../src/gan/pool.js';
import { LrScheduler } from '../../src/gan/schedule.js';
import { Rng } from '../../src/nn/random.js';
import { readModuleStateDict, writePth, type Writable } from '../../src/weights/index.js';
import { tempDir } from '../images/helpers.js';

const REPO = path.resolve(import.meta.dirname, '../..');

class Conv extends Module {
  constructor(cin: number, cout: number, fill: number) {
    super();
    this.param(
      'weight',
      [cout, cin, 3, 3],
      Float32Array.from({ length: cout * cin * 9 }, (_, i) => fill + i / 1000),
    );
    this.param('bias', [cout], new Float32Array(cout).fill(fill));
  }
  forward(_ctx: Ctx, x: Tensor): Tensor {
    return x;
  }
}

/** A two-layer net with a BatchNorm-like buffer, keys as PyTorch would name them. */
class Net extends Module {
  constructor(width: number, fill = 0) {
    super();
    this.register('model', new Seq(width, fill));
  }
  forward(_ctx: Ctx, x: Tensor): Tensor {
    return x;
  }
}
class Seq extends Module {
  constructor(width: number, fill: number) {
    super();
    this.register('0', new Conv(3, width, fill));
    this.register('2', new Conv(width, 1, fill + 1));
    this.buffer('num_batches_tracked', [], new BigInt64Array([7n]));
  }
  forward(_ctx: Ctx, x: Tensor): Tensor {
    return x;
  }
}

function trainerState(): TrainerState {
  const adam = new Adam(5, { lr: 0.0002, beta1: 0.5 });
  adam.update(new Float32Array(5), Float32Array.from([1, -2, 3, -4, 5]));
  adam.update(new Float32Array(5), Float32Array.from([0.5, 0.5, 0.5, 0.5, 0.5]));
  const sched = new LrScheduler({
    lr_policy: 'plateau',
    lr: 0.0002,
    n_epochs: 3,
    n_epochs_decay: 3,
    epoch_count: 1,
    lr_decay_iters: 50,
  });
  const pool = new ImagePool(3, 4, 'fake_B');
  pool.query({ data: Float32Array.from({ length: 24 }, (_, i) => i / 24), shape: [2, 3, 2, 2] });
  const rng = new Rng(11);
  rng.normal(); // leaves a spare normal in the state
  return {
    epoch: 4,
    epoch_iter: 30,
    total_iters: 330,
    optimizers: { G: adamSnapshot(adam) },
    schedulers: { G: sched.state(), D: sched.state() },
    rngs: { dropout: rng.getState(), init: new Rng(1).getState() },
    pools: { fake_B: pool.state(), fake_A: new ImagePool(3).state() },
    data: { rng: new Rng(2).getState(), cursor: 30, epochs: 3, length: 100 },
    extra: { note: 'resume me', losses: [0.25, 1.5], moments: Float32Array.from([1, 2]) },
  };
}

test('round trip: official file names, plain state_dicts, trainer state restored exactly', async () => {
  const dir = path.join(tempDir('gan-ckpt'), 'maps_cyclegan');
  const nets = { G_A: new Net(4, 1), G_B: new Net(4, 2), D_A: new Net(2, 3), D_B: new Net(2, 4) };
  const state = trainerState();
  const saved = await saveCheckpoint(dir, 'latest', nets, state);
  await saveCheckpoint(dir, 5, nets);
  const files = (await readdir(dir)).sort();
  assert.deepEqual(files, [
    '5_net_D_A.pth',
    '5_net_D_B.pth',
    '5_net_G_A.pth',
    '5_net_G_B.pth',
    'latest_net_D_A.pth',
    'latest_net_D_B.pth',
    'latest_net_G_A.pth',
    'latest_net_G_B.pth',
    'latest_state.pth',
  ]);
  assert.equal(saved.files.length, 5);
  // Each network file is a plain state_dict, keys as PyTorch names them.
  const sd = await readModuleStateDict(path.join(dir, 'latest_net_G_A.pth'));
  // PyTorch's order: a module's own tensors, then its children's
  assert.deepEqual(
    [...sd.keys()],
    ['model.num_batches_tracked', 'model.0.weight', 'model.0.bias', 'model.2.weight', 'model.2.bias'],
  );
  assert.deepEqual(sd.get('model.0.bias')?.data, new Float32Array(4).fill(1));

  const fresh = { G_A: new Net(4), G_B: new Net(4), D_A: new Net(2), D_B: new Net(2) };
  const { state: back } = await loadCheckpoint(dir, 'latest', fresh, { state: true });
  for (const k of Object.keys(nets) as (keyof typeof nets)[])
    assert.deepEqual(fresh[k].stateDict(), nets[k].stateDict(), k);
  assert.ok(back);
  assert.deepEqual(back, state);
  assert.ok(Number.isNaN(back.rngs.init[4]) && !Number.isNaN(back.rngs.dropout[4]), 'spare normals survive');
  assert.equal(back.schedulers.G.best, Infinity);

  const adam = new Adam(5, { lr: 0.0002 });
  restoreAdam(adam, back.optimizers.G);
  assert.equal(adam.step, 2);
  assert.deepEqual(adam.m, state.optimizers.G.m);
  assert.throws(() => restoreAdam(new Adam(6, { lr: 1 }), back.optimizers.G), /architecture differs/);

  assert.deepEqual(await listCheckpoints(dir), [
    { label: 'latest', nets: ['D_A', 'D_B', 'G_A', 'G_B'], hasState: true },
    { label: '5', nets: ['D_A', 'D_B', 'G_A', 'G_B'], hasState: false },
  ]);
  // PyTorch reads these files too (checked by hand with torch.load; the tests need no torch).
});

test('a failure part-way through a save leaves the previous checkpoint intact', async () => {
  const dir = tempDir('gan-ckpt-fail');
  const before = { G_A: new Net(4, 1), G_B: new Net(4, 2), D_A: new Net(2, 3) };
  await saveCheckpoint(dir, 'latest', before, trainerState());
  const snapshot = new Map<string, Buffer>();
  for (const f of await readdir(dir)) snapshot.set(f, await readFile(path.join(dir, f)));

  // The third file's write dies half-way, as on a full disk.
  let n = 0;
  const failing = async (file: string, obj: Writable): Promise<void> => {
    if (++n === 3) {
      await writeFile(file, Buffer.alloc(100));
      const e = new Error(`could not write ${file}: ENOSPC (disk full)`) as NodeJS.ErrnoException;
      e.code = 'ENOSPC';
      throw e;
    }
    await writePth(file, obj);
  };
  const after = { G_A: new Net(4, 9), G_B: new Net(4, 9), D_A: new Net(2, 9) };
  await assert.rejects(
    saveCheckpoint(dir, 'latest', after, trainerState(), { write: failing }),
    (e: unknown) => {
      return (
        e instanceof CheckpointError &&
        /ENOSPC/.test(e.message) &&
        /previous 'latest' checkpoint, if any, is unchanged/.test(e.message)
      );
    },
  );
  const now = (await readdir(dir)).sort();
  assert.deepEqual(now, [...snapshot.keys()].sort(), 'no staging files left behind');
  for (const [f, bytes] of snapshot)
    assert.ok(bytes.equals(await readFile(path.join(dir, f))), `${f} unchanged`);
  const fresh = { G_A: new Net(4), G_B: new Net(4), D_A: new Net(2) };
  await loadCheckpoint(dir, 'latest', fresh, { state: true });
  assert.deepEqual(fresh.G_A.stateDict(), before.G_A.stateDict());
});

test('a real full disk (tiny tmpfs in a private mount namespace) leaves the previous checkpoint intact', async (t) => {
  const probe = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'true'], { stdio: 'ignore' });
  if (probe.status !== 0) {
    t.skip('cannot create a private mount namespace here (unshare)');
    return;
  }
  const work = tempDir('gan-ckpt-enospc');
  const mnt = path.join(work, 'mnt');
  const script = path.join(work, 'child.mts');
  const url = (p: string): string => pathToFileURL(path.join(REPO, p)).href;
  await writeFile(
    script,
    `import { readdir, readFile } from 'node:fs/promises';
import { Module } from ${JSON.stringify(url('src/nn/module.ts'))};
import { saveCheckpoint, loadNetworks } from ${JSON.stringify(url('src/gan/checkpoint.ts'))};
class Big extends Module {
  constructor(n, fill) { super(); this.param('weight', [n], new Float32Array(n).fill(fill)); }
  forward(_c, x) { return x; }
}
const dir = process.argv[2] + '/exp';
await saveCheckpoint(dir, 'latest', { G_A: new Big(1000, 1), G_B: new Big(1000, 2) });
const before = {};
for (const f of await readdir(dir)) before[f] = (await readFile(dir + '/' + f)).toString('base64');
let error = '';
try { await saveCheckpoint(dir, 'latest', { G_A: new Big(1000, 3), G_B: new Big(200000, 4) }); } catch (e) { error = e.message; }
const after = {};
for (const f of await readdir(dir)) after[f] = (await readFile(dir + '/' + f)).toString('base64');
const nets = { G_A: new Big(1000, 0), G_B: new Big(1000, 0) };
await loadNetworks(dir, 'latest', nets);
console.log(JSON.stringify({ error, same: JSON.stringify(before) === JSON.stringify(after), files: Object.keys(after), g: nets.G_B.stateDict().get('weight').data[0] }));
`,
  );
  const r = spawnSync(
    'unshare',
    [
      '--user',
      '--map-root-user',
      '--mount',
      'sh',
      '-c',
      'mkdir -p "$1" && mount -t tmpfs -o size=256k tmpfs "$1" && exec "$0" --import tsx "$2" "$1"',
      process.execPath,
      mnt,
      script,
    ],
    { cwd: REPO, encoding: 'utf8', timeout: 30000 },
  );
  if (r.status !== 0 && /mount|permission|not permitted/i.test(r.stderr) && !r.stdout) {
    t.skip(`cannot mount a tmpfs here: ${r.stderr.trim().split('\n')[0]}`);
    return;
  }
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop() as string) as {
    error: string;
    same: boolean;
    files: string[];
    g: number;
  };
  assert.match(out.error, /ENOSPC|disk full/);
  assert.match(out.error, /is unchanged/);
  assert.equal(out.same, true, 'previous files byte-identical');
  assert.deepEqual(out.files.sort(), ['latest_net_G_A.pth', 'latest_net_G_B.pth']);
  assert.equal(out.g, 2, 'the old weights still load');
});

test('clear errors: missing files, wrong architecture, mixed checkpoints, legacy keys', async () => {
  const dir = tempDir('gan-ckpt-errors');
  await saveCheckpoint(dir, 'latest', { G: new Net(4, 1), D: new Net(2, 2) }, trainerState());
  await saveCheckpoint(dir, 10, { G: new Net(4, 5), D: new Net(2, 6) });

  await assert.rejects(
    loadNetworks(dir, 7, { G: new Net(4) }),
    (e: Error) =>
      e instanceof CheckpointError &&
      /7_net_G\.pth not found; checkpoints with net_G: latest, 10 \(choose one with --epoch\)/.test(
        e.message,
      ),
  );
  await assert.rejects(
    loadNetworks(path.join(dir, 'nope'), 'latest', { G: new Net(4) }),
    /there is no folder .*nope \(check --checkpoints_dir and --name\)/,
  );
  await assert.rejects(loadNetworks(dir, 'latest', { G: new Net(8) }), (e: Error) => {
    return (
      /latest_net_G\.pth does not fit network G/.test(e.message) &&
      /model\.0\.weight: checkpoint has \[4, ?3, ?3, ?3\], model expects \[8, ?3, ?3, ?3\]/.test(e.message) &&
      /--ngf/.test(e.message)
    );
  });
  await assert.rejects(
    loadCheckpoint(dir, 10, { G: new Net(4) }, { state: true }),
    /10_state\.pth not found: .*no trainer state .*checkpoints with one: latest/,
  );

  // Networks from another save under this label's name: the state file notices.
  await rename(path.join(dir, '10_net_G.pth'), path.join(dir, 'latest_net_G.pth'));
  await assert.rejects(
    loadCheckpoint(dir, 'latest', { G: new Net(4), D: new Net(2) }, { state: true }),
    /latest_net_G\.pth is not the one latest_state\.pth was saved with/,
  );
  // ... while loading only the networks (as test.py does) still works.
  const g = new Net(4);
  await loadNetworks(dir, 'latest', { G: g });
  assert.equal((g.stateDict().get('model.0.bias')?.data as Float32Array)[0], 5);

  // PyTorch < 0.4 InstanceNorm checkpoints carry running stats the network does not have.
  const legacy = new Map(new Net(4, 3).stateDict());
  legacy.set('model.1.running_mean', { shape: [4], data: new Float32Array(4) });
  legacy.set('model.1.running_var', { shape: [4], data: new Float32Array(4).fill(1) });
  await writePth(path.join(dir, 'old_net_G.pth'), legacy);
  const notes: string[] = [];
  await loadNetworks(dir, 'old', { G: new Net(4) }, { notice: (m) => notes.push(m) });
  assert.match(notes[0], /ignored 2 normalization statistics/);
});
