/** Tiny synthetic CycleGAN / pix2pix datasets written as real PNG files. */
import path from 'node:path';
import { saveImage } from '../../src/images/index.js';

type RGB = [number, number, number];

/** A PNG from a pixel function returning 0..255 RGB. */
export async function writePng(
  file: string,
  w: number,
  h: number,
  px: (x: number, y: number) => RGB,
): Promise<void> {
  const data = new Float32Array(3 * w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const c = px(x, y);
      for (let k = 0; k < 3; k++) data[k * w * h + y * w + x] = c[k] / 255;
    }
  }
  await saveImage({ width: w, height: h, data }, file, { mkdirs: true });
}

/** A disc of radius r at (cx, cy): `fg` inside, a soft gradient of `bg` outside. */
function disc(cx: number, cy: number, r: number, fg: RGB, bg: RGB): (x: number, y: number) => RGB {
  return (x, y) =>
    (x - cx) ** 2 + (y - cy) ** 2 < r * r ? fg : [bg[0], (bg[1] + 3 * y) % 256, (bg[2] + 2 * x) % 256];
}

/**
 * root/[phase]A and root/[phase]B for each phase: discs on red (A) and on blue (B), `nA` and
 * `nB` pictures of w x h (B slightly wider, as real unpaired sets differ in size).
 */
export async function unalignedDataset(
  root: string,
  o: { phases?: string[]; nA?: number; nB?: number; size?: number } = {},
): Promise<void> {
  const s = o.size ?? 36;
  for (const phase of o.phases ?? ['train', 'test']) {
    for (let i = 0; i < (o.nA ?? 3); i++)
      await writePng(
        path.join(root, `${phase}A`, `a${i}.png`),
        s,
        s,
        disc(10 + 4 * i, 18, 6 + i, [255, 255, 255], [200, 20, 20]),
      );
    for (let i = 0; i < (o.nB ?? 2); i++)
      await writePng(
        path.join(root, `${phase}B`, `b${i}.png`),
        s + 4,
        s,
        disc(24 - 3 * i, 16, 5 + 2 * i, [255, 255, 255], [20, 20, 200]),
      );
  }
}

/** root/[phase]/pN.png: side-by-side pairs, A an outline of a disc and B the disc filled. */
export async function alignedDataset(
  root: string,
  o: { phases?: string[]; n?: number; size?: number } = {},
): Promise<void> {
  const s = o.size ?? 128;
  for (const phase of o.phases ?? ['train', 'test']) {
    for (let i = 0; i < (o.n ?? 3); i++) {
      const cx = s / 2 + 6 * i;
      const r = s / 5 + 4 * i;
      await writePng(path.join(root, phase, `p${i}.png`), 2 * s, s, (x, y) => {
        const inA = x < s;
        const d = Math.sqrt(((inA ? x : x - s) - cx) ** 2 + (y - s / 2) ** 2);
        if (inA) return Math.abs(d - r) < 1.5 ? [255, 255, 255] : [0, 0, 0];
        return d < r ? [230, 160, 60] : [20, 40, 90];
      });
    }
  }
}
