/**
 * Reads part (or all, or none) of a checkpoint in a fresh process and reports its peak
 * resident memory around the read, for lazy-memory.test.ts. One JSON line on stdout.
 */
import { readPth } from '../../../src/weights/index.js';

const [file, mode] = process.argv.slice(2);
// Sampled, not getrusage's maxRSS: Linux carries that high-water mark over from the
// parent through fork and exec, so it would report the test runner's memory.
const base = process.memoryUsage().rss;
let peak = base;
const sample = (): void => {
  peak = Math.max(peak, process.memoryUsage().rss);
};
const timer = setInterval(sample, 2);
const sd = await readPth(file, {
  filter: mode === 'all' ? undefined : (k) => mode === 'features' && k.startsWith('features.'),
});
sample();
clearInterval(timer);
let bytes = 0;
let checksum = 0;
for (const t of sd.values()) {
  bytes += t.data.byteLength;
  const d = t.data as Float32Array;
  checksum += d[0] + d[d.length - 1];
}
console.log(JSON.stringify({ keys: sd.size, bytes, checksum, base, peak }));
