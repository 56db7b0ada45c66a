/** RSS after each phase of a 512 px style job: where the memory goes (env: THREADS, EVALS, POOL=avg|max, REL=1 releases the target programs first; args: H W). */
import { loadVgg } from '../src/style/vgg.js';
import { StyleNet } from '../src/style/objective.js';
const rss = () => (process.memoryUsage().rss / 2 ** 20).toFixed(0);
const H = Number(process.argv[2] ?? 384),
  W = Number(process.argv[3] ?? 512);
console.log('start', rss());
const loaded = await loadVgg('random', 0, {});
const vgg = loaded.build((process.env.POOL ?? 'avg') as 'avg' | 'max');
console.log('vgg built', rss());
const net = new StyleNet(vgg, 'r', { threads: Number(process.env.THREADS ?? 2), spinning: false });
const img = new Float32Array(3 * H * W).fill(0.5);
const cl = ['conv4_2'],
  sl = ['conv1_1', 'conv2_1', 'conv3_1', 'conv4_1', 'conv5_1'];
const c = await net.features(img, H, W, cl, []);
console.log('content features', rss());
const s = await net.features(img, H, W, [], sl);
console.log('style features', rss());
if (process.env.REL) {
  await net.release();
  (globalThis as { gc?: () => void }).gc?.();
  console.log('features released', rss());
}
const obj = await net.objective(H, W, cl, sl);
console.log('objective compiled+warm', rss());
const k = {
  alpha: 1,
  beta: 1,
  gamma: 1,
  content: new Map(cl.map((l) => [l, 1])),
  style: new Map(sl.map((l) => [l, 1])),
};
const ts: number[] = [];
const cpu0 = process.cpuUsage();
for (let i = 0; i < Number(process.env.EVALS ?? 3); i++) {
  const t = performance.now();
  await obj(img, { content: c.acts, grams: s.grams }, k);
  ts.push(performance.now() - t);
}
ts.sort((a, b) => a - b);
const cpu = process.cpuUsage(cpu0);
console.log('cpu ms/eval', ((cpu.user + cpu.system) / 1000 / ts.length).toFixed(0));
console.log('evals', rss(), 'median ms', ts[ts.length >> 1].toFixed(0));
await net.release();
(globalThis as { gc?: () => void }).gc?.();
console.log('released', rss());
