/**
 * `node --import tsx bench/wgrad-sweep.ts [C,K,H,W,k,s,p ...]`: the weight gradient of one conv
 * by each lowering of src/engine/lowering/conv_backprop_filter.ts (per-tap MatMuls, im2col, the Conv trick, and for stride 1
 * the shifted-gradient MatMuls, 'gshift'), with the forward conv timed alone for scale (the
 * gradient graph does not need it), in CPU ms per run with ORT spinning off. Defaults: the
 * pix2pix (unet_256, basic D) and CycleGAN (resnet_9blocks) layers at batch 1. A
 * ConvTranspose's weight gradient is the same computation as a Conv's with input and output
 * exchanged, so its rows are written as the equivalent Conv (C = its output channels, H,W =
 * its output size).
 */
import { F, Graph, Program, grad, withPolicy, type Tensor, type WeightGradMethod } from '../src/engine/index.js';
import { Rng } from '../src/nn/index.js';
import { configArgs, cpuMedianMs, median } from './peer.js';

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
const configs = configArgs(DEFAULT, 'C,K,H,W,k,s,p');
const rng = new Rng(1);
const rnd = (n: number) => rng.fillUniform(new Float32Array(n), -0.5, 0.5);

/** CPU ms of the forward conv ('fwd') or of its weight gradient lowered by `method`. */
async function cpuMs(cfg: number[], method: WeightGradMethod | 'fwd'): Promise<number> {
  const [c, k, h, w, ks, s, p] = cfg;
  // The method is the graph's policy, read while the gradient is built (not at run time).
  const g = new Graph({ policy: withPolicy({ convAlgorithm: 'direct', weightGrad: method === 'fwd' ? 'auto' : method }) });
  const x = g.input('x', [1, c, h, w]);
  const wt = g.input('w', [k, c, ks, ks]);
  const y = F.conv2d(x, wt, null, { stride: s, padding: p });
  const feeds: Record<string, Float32Array> = { x: rnd(c * h * w), w: rnd(k * c * ks * ks) };
  let outputs: Record<string, Tensor> = { y };
  if (method !== 'fwd') {
    const r = g.input('r', y.shape);
    feeds.r = rnd(y.shape.reduce((a, b) => a * b, 1));
    outputs = { gw: grad(F.reduceSum(F.mul(y, r)), [wt])[0] };
  }
  const prog = await Program.create(outputs, { spinning: false });
  const ms = await cpuMedianMs(() => prog.run(feeds), 5);
  await prog.release();
  return ms;
}

const METHODS: readonly WeightGradMethod[] = ['taps', 'im2col', 'conv', 'gshift'];
for (const cfg of configs) {
  // gshift needs unit stride (weightGradMethod falls back to taps otherwise): not timed there.
  const methods = METHODS.filter((m) => m !== 'gshift' || cfg[5] === 1);
  const times = new Map<WeightGradMethod, number[]>(methods.map((m) => [m, []]));
  for (let rep = 0; rep < 2; rep++) for (const m of methods) times.get(m)!.push(await cpuMs(cfg, m));
  const f = await cpuMs(cfg, 'fwd');
  const cells = METHODS.map((m) => `${m} ${times.has(m) ? median(times.get(m)!).toFixed(1) : '-'}`);
  console.log(`${cfg.join(',')}: forward ${f.toFixed(1)}; weight gradient: ${cells.join(', ')} CPU ms`);
}
