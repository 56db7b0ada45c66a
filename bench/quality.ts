/**
 * `npm run bench:quality`: the quality bar. Same random weights (the peer writes them with
 * --save-weights), same images, layers and weights, 100 L-BFGS evaluations at 256 px:
 * ai-art's final total cost must be at most 1.05x PyTorch's.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stylize } from '../src/style/stylize.js';
import { SHARED_IMAGES, intArg, runPeer, torchAvailable } from './peer.js';

const SIZE = intArg('size', 256, 1);
const EVALS = intArg('evaluations', 100, 1);

if (!torchAvailable()) {
  console.log('needs ../shared/peers/nst_torch.py and /usr/bin/python3 with torch');
  process.exit(0);
}
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-art-quality-'));
const weights = path.join(tmp, 'vgg.pth');
const content = path.join(SHARED_IMAGES, 'tubingen.jpg');
const cases = [
  { style: 'starry_night.jpg', beta: 1e11, pooling: 'avg' },
  { style: 'the_scream.jpg', beta: 1e11, pooling: 'avg' },
  { style: 'shipwreck.jpg', beta: 1e12, pooling: 'max' },
];
for (const c of cases) {
  const style = path.join(SHARED_IMAGES, c.style);
  const common = ['--size', String(SIZE), '--iterations', String(EVALS), '--normalize-layers', '--beta', String(c.beta), '--pooling', c.pooling];
  const peer = runPeer([content, style, ...common, '--save-weights', weights, '-o', path.join(tmp, 'torch.png')]);
  const { report } = await stylize({
    content,
    styles: [style],
    size: SIZE,
    iterations: EVALS,
    weights,
    normalizeLayers: true,
    styleWeight: c.beta,
    pooling: c.pooling as 'avg' | 'max',
    styleLayerWeights: 'equal',
  });
  const ratio = report.final.total / peer.final.total;
  console.log(
    `${c.style} beta ${c.beta} ${c.pooling}: final total ai-art ${report.final.total.toExponential(4)} vs PyTorch ` +
      `${peer.final.total.toExponential(4)}: ratio ${ratio.toFixed(3)} (bar <= 1.05) ${ratio <= 1.05 ? 'PASS' : 'FAIL'}`,
  );
}
fs.rmSync(tmp, { recursive: true, force: true });
