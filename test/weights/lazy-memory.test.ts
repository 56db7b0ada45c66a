/**
 * Lazy reading: loading `features.*` from a large checkpoint holds only those tensors,
 * not the file or the other tensors. A ~190 MB file (VGG-like: 20 MB of features, 170 MB
 * of classifier) is written in both formats; fresh processes read part or all of it
 * and report their peak RSS.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HostTensor, writePth } from '../../src/weights/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const child = path.join(here, 'helpers', 'lazy-read-child.ts');
const MB = 1 << 20;
let tmp: string;
let featureBytes = 0;
let classifierBytes = 0;

before(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'ai-art-lazy-'));
  const sd = new Map<string, HostTensor>();
  for (let i = 0; i < 8; i++) {
    const n = (2.5 * MB) / 4;
    sd.set(`features.${i * 2}.weight`, HostTensor.of(new Float32Array(n).fill(i + 1), [n]));
    featureBytes += n * 4;
  }
  const n = (170 * MB) / 4;
  sd.set('classifier.0.weight', HostTensor.of(new Float32Array(n).fill(0.25), [n / 1024, 1024]));
  classifierBytes = n * 4;
  await writePth(path.join(tmp, 'big_zip.pth'), sd);
  await writePth(path.join(tmp, 'big_legacy.pth'), sd, { format: 'legacy' });
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

interface Report {
  keys: number;
  bytes: number;
  checksum: number;
  base: number;
  peak: number;
}

function run(file: string, mode: string): Report {
  const r = spawnSync(process.execPath, ['--import', 'tsx', child, file, mode], {
    encoding: 'utf8',
    cwd: path.join(here, '..', '..'),
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Report;
}

for (const format of ['zip', 'legacy']) {
  test(`partial read of a ~190 MB ${format} checkpoint stays near the size of the wanted tensors`, (t) => {
    const file = path.join(tmp, `big_${format}.pth`);
    const part = run(file, 'features');
    assert.equal(part.keys, 8);
    assert.equal(part.bytes, featureBytes);
    assert.equal(part.checksum, 2 * (1 + 2 + 3 + 4 + 5 + 6 + 7 + 8));
    const all = run(file, 'all');
    assert.equal(all.bytes, featureBytes + classifierBytes);
    const partGrowth = part.peak - part.base;
    const allGrowth = all.peak - all.base;
    t.diagnostic(
      `${format}: features ${(featureBytes / MB).toFixed(0)} MB -> peak RSS +${(partGrowth / MB).toFixed(1)} MB ` +
        `(${(part.peak / MB).toFixed(0)} MB total); whole file -> +${(allGrowth / MB).toFixed(1)} MB`,
    );
    // The measurement can see a full read...
    assert.ok(allGrowth > classifierBytes * 0.9, `full read grew RSS by only ${allGrowth} bytes`);
    // ...and the partial read costs its tensors plus slack, nowhere near the classifier.
    assert.ok(
      partGrowth < featureBytes + 24 * MB,
      `partial read grew RSS by ${(partGrowth / MB).toFixed(1)} MB`,
    );
  });
}
