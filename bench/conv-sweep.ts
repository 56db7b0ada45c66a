/**
 * `node --import tsx bench/conv-sweep.ts [C,K,H,W ...]`: one 3x3 pad-1 conv with frozen filters,
 * direct (ORT's Conv) against Winograd (conv2d's WinogradConv, including its layout conversions),
 * in CPU ms per run with ORT spinning off, so that other load on the machine matters less. The
 * table in docs/performance.md behind src/engine/policy.ts (`blockedWinogradApplies`) came from this. Defaults: the VGG-19
 * layers of a 256x192 image.
 */
import { F, Graph, Program, withPolicy } from '../src/engine/index.js';
import { Rng } from '../src/nn/index.js';
import { configArgs, cpuMedianMs, median } from './peer.js';

const DEFAULT = [
  '64,64,192,256',
  '64,128,96,128',
  '128,64,96,128',
  '128,128,96,128',
  '128,256,48,64',
  '256,256,48,64',
  '256,512,24,32',
  '512,512,24,32',
  '512,512,12,16',
];
const configs = configArgs(DEFAULT, 'C,K,H,W');

const rng = new Rng(1);
const rnd = (n: number, scale: number) => rng.fillUniform(new Float32Array(n), -scale / 2, scale / 2);

async function cpuMs(c: number, k: number, h: number, w: number, algorithm: 'direct' | 'winograd'): Promise<number> {
  const g = new Graph({ policy: withPolicy({ convAlgorithm: algorithm }) });
  const x = g.input('x', [1, c, h, w]);
  const y = F.conv2d(x, g.constant(rnd(k * c * 9, 0.1), [k, c, 3, 3]), null, { padding: 1 });
  const p = await Program.create({ y }, { spinning: false });
  const feeds = { x: rnd(c * h * w, 1) };
  const ms = await cpuMedianMs(() => p.run(feeds), 7);
  await p.release();
  return ms;
}

for (const [c, k, h, w] of configs) {
  const direct: number[] = [];
  const wino: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    direct.push(await cpuMs(c, k, h, w, 'direct'));
    wino.push(await cpuMs(c, k, h, w, 'winograd'));
  }
  const [d, v] = [median(direct), median(wino)];
  console.log(`${c}->${k} at ${h}x${w}: direct ${d.toFixed(1)}, Winograd ${v.toFixed(1)} CPU ms (${(v / d).toFixed(2)})`);
}
