/**
 * Quality parity with the PyTorch reference (../shared/peers/nst_torch.py): same random
 * weights (written by the peer with --save-weights and read by our .pth reader), same
 * images, layers and weights, same L-BFGS budget. Runs only where Debian's PyTorch and
 * ../shared exist; skips cleanly elsewhere. The full 256 px / 100-evaluation bar is in
 * `npm run bench:quality`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { stylize } from '../../src/style/stylize.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PEER = path.resolve(root, '..', 'shared', 'peers', 'nst_torch.py');
const IMAGES = path.resolve(root, '..', 'shared', 'images');
const PY = '/usr/bin/python3';
const haveTorch = fs.existsSync(PEER) && spawnSync(PY, ['-c', 'import torch, PIL'], { stdio: 'ignore' }).status === 0;

test('the same objective as PyTorch, and a last iterate no costlier than 1.05x PyTorch\'s with the same weights, images and budget', { skip: !haveTorch && 'needs ../shared and python3-torch' }, async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-art-parity-'));
  try {
    const weights = path.join(tmp, 'vgg.pth');
    const content = path.join(IMAGES, 'tubingen.jpg');
    // The style cropped to the content's 4:3, so that its Grams cover as many positions as the
    // output's: ai-art scales a style Gram to the output's position count (as the paper and
    // jcjohnson/neural-style normalise), the peer does not, and the two agree exactly here.
    const style = path.join(tmp, 'starry_night_4x3.png');
    await sharp(path.join(IMAGES, 'starry_night.jpg')).resize(1024, 768, { fit: 'cover' }).png().toFile(style);
    const common = ['--size', '64', '--iterations', '30', '--normalize-layers', '--beta', '1e12', '--pooling', 'avg'];
    const out = execFileSync(PY, [PEER, content, style, ...common, '--save-weights', weights, '--threads', '2'], { encoding: 'utf8' });
    const peer = JSON.parse(out.trim().split('\n').pop()!);
    // The peer builds its network before saving, so a second run loads exactly those weights.
    // The peer reports the costs of its last iterate; report.final is of the clamped image
    // returned (one more evaluation), so the last iterate's costs are compared.
    let last = NaN;
    const { report } = await stylize({
      content,
      styles: [style],
      size: 64,
      iterations: 30,
      weights,
      normalizeLayers: true,
      styleWeight: 1e12,
      pooling: 'avg',
      styleLayerWeights: 'equal',
    }, { onProgress: (p) => void (last = p.total) });
    assert.deepEqual(report.size, peer.size);
    const ratio = last / peer.final.total;
    assert.ok(ratio <= 1.05, `ai-art ${last} vs PyTorch ${peer.final.total} (ratio ${ratio.toFixed(3)})`);
    assert.ok(ratio >= 0.5, `suspiciously low: ratio ${ratio.toFixed(3)}`);
    // The same objective: the first evaluation (the content image) costs the same on both sides
    // (30 L-BFGS steps at this β are chaotic enough to part the trajectories by tens of percent).
    const first = JSON.parse(execFileSync(PY, [PEER, content, style, ...common.map((a) => (a === '30' ? '1' : a)), '--weights', weights, '--threads', '2'], { encoding: 'utf8' }).trim().split('\n').pop()!);
    let ours = NaN;
    await stylize({ content, styles: [style], size: 64, iterations: 1, weights, normalizeLayers: true, styleWeight: 1e12, pooling: 'avg', styleLayerWeights: 'equal' }, { onProgress: (p) => void (ours = p.total) });
    assert.ok(Math.abs(ours / first.final.total - 1) < 5e-3, `first evaluation: ai-art ${ours} vs PyTorch ${first.final.total}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
