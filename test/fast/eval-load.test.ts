/**
 * A model saved by `fast train` loads as pytorch/examples' `neural_style.py eval` loads one
 * (torch.load, the obsolete running-stat keys deleted, a strict load_state_dict into the
 * full-width TransformerNet) and gives our output. Runs Debian's PyTorch (/usr/bin/python3) with
 * the reference's TransformerNet as written out in scripts/fixtures/fast_train.py; skipped
 * without it. docs/fast-train.md describes the same check with neural_style.py itself.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Graph, Program } from '../../src/engine/index.js';
import { trainFast } from '../../src/fast/train.js';
import { TransformerNet } from '../../src/models/transformer_net.js';
import { Ctx } from '../../src/nn/index.js';
import { readModuleStateDict } from '../../src/weights/index.js';
import { ROOT } from '../helpers/cli.js';
import { fastDataset, styleImage } from '../helpers/fast_data.js';
import { tempDir } from '../images/helpers.js';

const PY = '/usr/bin/python3';
const hasTorch = spawnSync(PY, ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status === 0;

const EVAL = `
import re, sys
import numpy as np, torch
sys.path.insert(0, sys.argv[1])
from fast_train import TransformerNet
model, inp, out, h, w = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
with torch.no_grad():
    style_model = TransformerNet()
    state_dict = torch.load(model)
    for k in list(state_dict.keys()):
        if re.search(r'in\\d+\\.running_(mean|var)$', k):
            del state_dict[k]
    style_model.load_state_dict(state_dict)
    style_model.eval()
    x = torch.from_numpy(np.fromfile(inp, dtype=np.float32).reshape(1, 3, h, w))
    style_model(x).numpy().astype(np.float32).tofile(out)
`;

test('a trained model loads and runs in the reference eval path (PyTorch)', { skip: !hasTorch && 'no /usr/bin/python3 with torch' }, async () => {
  const tmp = tempDir('fast-eval');
  const data = await fastDataset(path.join(tmp, 'data'), 4);
  const style = await styleImage(path.join(tmp, 'style.png'));
  const r = await trainFast(
    { dataset: data, styleImage: style, saveModelDir: path.join(tmp, 'out'), imageSize: 32, batchSize: 2, vgg: 'random', iterations: 2, holdBack: 0, threads: 2 },
    { log: () => undefined, warn: () => undefined },
  );
  assert.ok(r.model);
  const [h, w] = [24, 36];
  const x = Float32Array.from({ length: 3 * h * w }, (_, i) => (i * 37) % 256);
  writeFileSync(path.join(tmp, 'x.bin'), x);
  execFileSync(PY, ['-c', EVAL, path.join(ROOT, 'scripts/fixtures'), r.model, path.join(tmp, 'x.bin'), path.join(tmp, 'y.bin'), String(h), String(w)], {
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  const theirs = new Float32Array(readFileSync(path.join(tmp, 'y.bin')).buffer.slice(0));
  const net = new TransformerNet();
  net.loadStateDict(await readModuleStateDict(r.model));
  const g = new Graph();
  const y = net.eval().forward(new Ctx(g, { root: net }), g.input('x', [1, 3, h, w]));
  const p = await Program.create({ y }, { threads: 2 });
  const ours = (await p.run({ x })).y;
  await p.release();
  assert.equal(ours.length, theirs.length);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < ours.length; i++) {
    worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
    scale = Math.max(scale, Math.abs(theirs[i]));
  }
  assert.ok(worst <= 1e-4 * scale, `worst difference ${worst} against values up to ${scale}`);
});
