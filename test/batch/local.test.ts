import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { demoScenePng } from '../../src/images/index.js';
import { runCli } from '../helpers/cli.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-art-batch-local-'));

test('batch run: Ctrl-C stops cleanly (no partial file), a re-run resumes and does only the rest', async () => {
  for (const [i, scene] of (['landscape', 'mosaic', 'landscape', 'mosaic'] as const).entries()) {
    fs.writeFileSync(path.join(tmp, `c${i}.png`), await demoScenePng(scene, { width: 40 + 4 * i, height: 32 }));
  }
  fs.writeFileSync(path.join(tmp, 's.png'), await demoScenePng('mosaic', { width: 32, height: 32 }));
  const file = path.join(tmp, 'job.yaml');
  fs.writeFileSync(
    file,
    'output: out\ntasks:\n  - style:\n      contents: [c0.png, c1.png, c2.png, c3.png]\n      styles: [s.png]\n' +
      '      options: {size: 32, iterations: 20, weights: random, style-layers: "conv1_1,conv2_1", content-layers: conv2_1}\n',
  );
  const out = path.join(tmp, 'out', 'style');
  let sent = false;
  const r = await runCli(['batch', 'run', file, '--workers', '1', '--threads', '1'], {
    onStderr: (_chunk, kill) => {
      // The first job has finished: interrupt the second mid-way.
      if (!sent && fs.existsSync(out) && fs.readdirSync(out).some((f) => f.endsWith('.png'))) {
        sent = true;
        kill('SIGINT');
      }
    },
  });
  assert.ok(sent, r.stderr);
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /interrupted: stopping the workers; run again to resume/);
  const first = fs.readdirSync(out);
  assert.ok(first.every((f) => f.endsWith('.png')), `no temp files: ${first.join(' ')}`);
  assert.ok(first.length >= 1 && first.length < 4, first.join(' '));
  const again = await runCli(['batch', 'run', file, '--workers', '2', '--threads', '1', '--json']);
  assert.equal(again.code, 0, again.stderr);
  const rep = JSON.parse(again.stdout) as { skipped: number; done: number };
  assert.equal(rep.skipped, first.length);
  assert.equal(rep.done, 4 - first.length);
  assert.equal(fs.readdirSync(out).length, 4);
  fs.rmSync(tmp, { recursive: true, force: true });
});
