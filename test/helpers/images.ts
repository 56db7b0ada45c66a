import type { RawImage } from '../../src/images/index.js';

/** A w x h planar RGB picture whose pixel (x, y) is f(x, y), values in [0, 1]. */
export function image(w: number, h: number, f: (x: number, y: number) => [number, number, number]): RawImage {
  const data = new Float32Array(3 * w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = f(x, y);
      for (let c = 0; c < 3; c++) data[c * w * h + y * w + x] = p[c];
    }
  }
  return { width: w, height: h, data };
}
