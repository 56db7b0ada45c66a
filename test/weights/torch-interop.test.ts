/**
 * Files written by ai-art, read by real PyTorch (torch.load, and load_state_dict with
 * strict=True into networks laid out like the official CycleGAN/pix2pix generators),
 * and what torch writes back read again by ai-art. Runs where /usr/bin/python3 can
 * import torch; skips cleanly elsewhere (the fixture tests cover reading torch's files).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIXTURES_DIR, type Json } from '../helpers/fixtures.js';
import {
  HostTensor,
  OrderedDict,
  PyTuple,
  readPickleObject,
  readPth,
  toFloat32,
  writePth,
  type PyValue,
} from '../../src/weights/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const script = path.join(here, '..', '..', 'scripts', 'fixtures', 'weights.py');
const fixture = (name: string): string => path.join(FIXTURES_DIR, 'weights', `${name}.pth`);
const PYTHON = '/usr/bin/python3';
const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
const skip = probe.status === 0 ? false : `needs ${PYTHON} with torch importable`;

let tmp: string;
before(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'ai-art-interop-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

interface Job {
  file: string;
  network?: Record<string, Json>;
  save_to?: string;
}
type Summary = {
  dtype: string;
  shape: number[];
  sum: number;
  nonfinite: number;
  first: (number | string)[];
  contiguous: boolean;
};
interface Result {
  error?: string;
  value?: Json;
  forward_sum?: number;
  strict_load?: boolean;
}

/** One python process for all jobs: importing torch dominates the cost. */
async function torchCheck(jobs: Job[]): Promise<Result[]> {
  const jobsFile = path.join(tmp, `jobs-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(jobsFile, JSON.stringify(jobs));
  const r = spawnSync(PYTHON, [script, 'check', jobsFile], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Result[];
}

function summary(t: HostTensor): Summary {
  // Python sums in float64: integers exactly, float16/bfloat16 widened through float32.
  const f: ArrayLike<number> =
    t.dtype === 'float16' || t.dtype === 'bfloat16'
      ? toFloat32(t.dtype, t.data)
      : Array.from(t.data as ArrayLike<number | bigint>, Number);
  let sum = 0;
  let nonfinite = 0;
  for (const v of Array.from(f)) {
    if (Number.isFinite(v)) sum += v;
    else nonfinite++;
  }
  // Python prints non-finite floats as 'inf', '-inf', 'nan'.
  const first = Array.from(f)
    .slice(0, 4)
    .map((v) => (Number.isFinite(v) ? v : Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf'));
  return { dtype: t.dtype, shape: [...t.shape], sum, nonfinite, first, contiguous: true };
}

/** ai-art's value in the shape weights.py's plain() gives torch's. */
function plain(v: PyValue): Json {
  if (v instanceof HostTensor) return { tensor: summary(v) as unknown as Json };
  if (v instanceof OrderedDict) {
    const out: Record<string, Json> = { ordered: [...v].map(([k, x]) => [plain(k), plain(x)]) };
    const md = v.attrs.get('_metadata');
    if (md instanceof Map)
      out.metadata = Object.fromEntries(
        [...md].map(([k, x]) => [String(k), Object.fromEntries(x as Map<string, Json>)]),
      );
    return out;
  }
  if (v instanceof Map) return { dict: [...v].map(([k, x]) => [plain(k), plain(x)]) };
  if (v instanceof PyTuple) return { tuple: v.items.map(plain) };
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Uint8Array) return { bytes: [...v] };
  if (typeof v === 'bigint') return { bigint: v.toString() };
  if (typeof v === 'number' && !Number.isInteger(v)) return { float: v };
  return v as Json;
}

/** Sums are compared loosely (float32 summed in float64 on one side); everything else exactly. */
function assertJsonClose(a: Json, b: Json, where: string): void {
  if (typeof a === 'number' && typeof b === 'number') {
    assert.ok(Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)), `${where}: ${a} vs ${b}`);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    assert.equal(a.length, b.length, `${where}: length`);
    a.forEach((x, i) => assertJsonClose(x, b[i], `${where}[${i}]`));
  } else if (
    a &&
    b &&
    typeof a === 'object' &&
    typeof b === 'object' &&
    !Array.isArray(a) &&
    !Array.isArray(b)
  ) {
    assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort(), `${where}: keys`);
    for (const k of Object.keys(a)) assertJsonClose(a[k], b[k], `${where}.${k}`);
  } else assert.deepEqual(a, b, where);
}

test(
  'torch.load reads ai-art checkpoints (zip and legacy): every dtype, nested optimizer state, _metadata',
  { skip },
  async () => {
    const jobs: Job[] = [];
    const expected: Json[] = [];
    for (const src of ['dtypes_zip', 'views_zip', 'checkpoint_legacy']) {
      const obj = await readPickleObject(fixture(src));
      for (const format of ['zip', 'legacy'] as const) {
        const file = path.join(tmp, `${src}.${format}.pth`);
        await writePth(file, obj, { format });
        jobs.push({ file, save_to: path.join(tmp, `${src}.${format}.back.pth`) });
        expected.push(plain(obj));
      }
    }
    const results = await torchCheck(jobs);
    results.forEach((r, i) => {
      assert.equal(r.error, undefined, `${jobs[i].file}: ${r.error}`);
      assertJsonClose(r.value!, expected[i], path.basename(jobs[i].file));
    });
    // And back: what torch.save wrote after loading our file reads identically here.
    for (const j of jobs) {
      const again = plain(await readPickleObject(j.save_to!));
      assertJsonClose(again, expected[jobs.indexOf(j)], `${path.basename(j.save_to!)}`);
    }
  },
);

test(
  'generator weights written by ai-art load with strict=True into the official layouts and compute the same output',
  { skip },
  async () => {
    const nets: [string, Record<string, Json>][] = [
      ['resnet_ngf2_zip', { netG: 'resnet_9blocks', ngf: 2, norm: 'instance' }],
      ['unet256_ngf1_zip', { netG: 'unet_256', ngf: 1, norm: 'batch', dropout: true }],
    ];
    const jobs: Job[] = [];
    for (const [name, network] of nets) {
      const sd = await readPth(fixture(name));
      const ours = path.join(tmp, `latest_net_G_${name}.pth`);
      await writePth(ours, sd);
      jobs.push({ file: fixture(name), network }, { file: ours, network });
    }
    // The pre-0.4 CycleGAN file: drop the stray InstanceNorm statistics, as the official loader does.
    const old = await readPth(fixture('cyclegan_pre04_legacy'));
    for (const k of [...old.keys()]) if (/running_(mean|var)$/.test(k)) old.delete(k);
    const patched = path.join(tmp, 'pre04_patched.pth');
    await writePth(patched, old);
    jobs.push({ file: patched, network: { netG: 'resnet_2blocks', ngf: 2, norm: 'instance' } });

    const r = await torchCheck(jobs);
    for (const [i, res] of r.entries()) assert.equal(res.error, undefined, `${jobs[i].file}: ${res.error}`);
    for (let i = 0; i < 4; i += 2) {
      assert.equal(r[i + 1].strict_load, true);
      assert.equal(
        r[i + 1].forward_sum,
        r[i].forward_sum,
        `${jobs[i].file}: same output from torch's file and ours`,
      );
    }
    assert.equal(r[4].strict_load, true);
  },
);
