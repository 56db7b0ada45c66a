/**
 * Runs inside a private mount namespace with a 1 MiB tmpfs at argv[2] (see writer.test.ts):
 * writes a small checkpoint, then tries to replace it with one that does not fit, and
 * reports what happened as one JSON line.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { HostTensor, WeightsError, readPth, writePth } from '../../../src/weights/index.js';

const dir = process.argv[2];
const file = path.join(dir, 'latest_net_G.pth');
const small = Float32Array.from({ length: 20_000 }, (_, i) => i);
await writePth(file, new Map([['w', HostTensor.of(small, [small.length])]]));
let code = 'none';
let message = '';
try {
  await writePth(file, new Map([['w', HostTensor.of(new Float32Array(1_000_000), [1_000_000])]]));
} catch (e) {
  code = e instanceof WeightsError ? e.code : 'other';
  message = (e as Error).message;
}
const back = await readPth(file);
const w = back.get('w')!.data as Float32Array;
const intact = w.length === small.length && w.every((v, i) => v === small[i]);
const leftovers = (await readdir(dir)).filter((f) => f !== 'latest_net_G.pth');
console.log(JSON.stringify({ code, message, intact, leftovers }));
