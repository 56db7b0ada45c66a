/**
 * `node --import tsx bench/wgrad-sweep.ts [C,K,H,W,k,s,p ...]`: the weight gradient of one conv
 * (the forward conv is timed alone for scale; the gradient graph does not need it), per-tap MatMuls against the Conv trick
 * (conv_grad.ts), in CPU ms per run with ORT spinning off. Defaults: the pix2pix (unet_256,
 * basic D) and CycleGAN (resnet_9blocks) layers at batch 1. A ConvTranspose's weight gradient
 * is the same computation as a Conv's with input and output exchanged, so its rows are
 * written as the equivalent Conv (C = its output channels, H,W = its output size).
 */
import { F, Graph, Program, grad, runtimeDefaults } from '../src/engine/index.js';
import { weightGradDefaults } from '../src/engine/ops/conv_grad.js';
import { cpuMedianMs, median } from './peer.js';

runtimeDefaults.spinning = false;
const DEFAULT = [
  // unet_256 downs (Conv 4x4 s2 p1) and ups (ConvTranspose, as the equivalent Conv)
  '3,64,256,256,4,2,1', '64,128,128,128,4,2,1', '128,256,64,64,4,2,1', '256,512,32,32,4,2,1',
  '512,512,16,16,4,2,1', '512,512,8,8,4,2,1', '512,512,4,4,4,2,1', '512,512,2,2,4,2,1',
  '3,128,256,256,4,2,1', '64,256,128,128,4,2,1', '128,512,64,64,4,2,1', '256,1024,32,32,4,2,1',
  '512,1024,16,16,4,2,1', '512,1024,4,4,4,2,1',
  // basic D
  '6,64,256,256,4,2,1', '256,512,32,32,4,1,1', '512,1,31,31,4,1,1',
  // resnet_9blocks at 128: 7x7 stem, 3x3 s2 downs, 3x3 blocks at 32x32
  '3,64,134,134,7,1,0', '64,128,128,128,3,2,1', '128,256,64,64,3,2,1', '256,256,34,34,3,1,0',
];
const configs = (process.argv.length > 2 ? process.argv.slice(2) : DEFAULT).map((s) => s.split(',').map(Number));
let seed = 1;
const rnd = (n: number) => Float32Array.from({ length: n }, () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5);

async function cpuMs(cfg: number[], method: 'taps' | 'im2col' | 'conv' | 'fwd'): Promise<number> {
  const [c, k, h, w, ks, s, p] = cfg;
  weightGradDefaults.method = method === 'fwd' ? 'conv' : method;
  const g = new Graph();
  const x = g.input('x', [1, c, h, w]);
  const wt = g.input('w', [k, c, ks, ks]);
  const y = F.conv2d(x, wt, null, { stride: s, padding: p, algorithm: 'direct' });
  const r = g.input('r', y.shape);
  const [gw] = grad(F.reduceSum(F.mul(y, r)), [wt]);
  const prog = await Program.create(method === 'fwd' ? { y } : { gw });
  const feeds = { x: rnd(c * h * w), w: rnd(k * c * ks * ks), r: rnd(y.shape.reduce((a, b) => a * b, 1)) };
  const ms = await cpuMedianMs(() => prog.run(feeds), 5);
  await prog.release();
  weightGradDefaults.method = 'auto';
  return ms;
}

for (const cfg of configs) {
  const taps: number[] = [];
  const cols: number[] = [];
  const conv: number[] = [];
  for (let rep = 0; rep < 2; rep++) {
    taps.push(await cpuMs(cfg, 'taps'));
    cols.push(await cpuMs(cfg, 'im2col'));
    conv.push(await cpuMs(cfg, 'conv'));
  }
  const f = await cpuMs(cfg, 'fwd');
  const [t, c, v] = [median(taps), median(cols), median(conv)];
  console.log(`${cfg.join(',')}: forward ${f.toFixed(1)}; weight gradient: taps ${t.toFixed(1)}, im2col ${c.toFixed(1)}, conv ${v.toFixed(1)} CPU ms`);
}
