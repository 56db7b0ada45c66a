/** Independent, reproducible random streams (data order, image pools, dropout...) from one --seed. */
import { Rng } from '../../nn/random.js';

/** FNV-1a of the stream name mixed with the seed: streams do not overlap and adding one disturbs no other. */
export function deriveSeed(seed: number, stream: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < stream.length; i++) h = Math.imul(h ^ stream.charCodeAt(i), 0x01000193) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  return (h ^ (h >>> 12)) >>> 0;
}

export function streamRng(seed: number, stream: string): Rng {
  return new Rng(deriveSeed(seed, stream));
}
