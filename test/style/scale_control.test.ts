/**
 * Scale control (Gatys et al. 2017, section 5): style targets normalised by position count
 * (masked and unmasked paths agree, whatever the style image's size), and coarse to fine
 * keeping the coarse result's structure while the finer scale adds fine strokes, without the
 * grey centre of issue #15.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resizeRaw, type RawImage } from '../../src/images/index.js';
import { StyleNet } from '../../src/style/objective.js';
import { positionRatio } from '../../src/style/scale_control.js';
import { stylize, type StylizeOptions } from '../../src/style/stylize.js';
import { loadVgg } from '../../src/style/vgg.js';
import { image } from '../helpers/images.js';


const content = (w: number, h: number) => image(w, h, (x, y) => [0.5 + 0.3 * Math.sin(x / 6), 0.45 + 0.25 * Math.cos(y / 5), 0.5 + 0.2 * Math.sin((x + y) / 9)]);
/** Blue dots on dark and orange diagonal strokes: fine structure and colours unlike the content's. */
const texture = (w: number, h: number, p = 6) =>
  image(w, h, (x, y) => (((x % p) - p / 2 + 0.5) ** 2 + ((y % p) - p / 2 + 0.5) ** 2 < (p * p) / 9 ? [0.3, 0.5, 1] : (x + 2 * y) % (1.5 * p) < p / 2 ? [0.95, 0.6, 0.1] : [0.05, 0.08, 0.3]));

const base = (extra: Partial<StylizeOptions>): StylizeOptions => ({
  content: content(48, 48),
  styles: [texture(40, 64)],
  size: 48,
  iterations: 1,
  weights: 'random',
  styleLayers: ['conv1_1', 'conv2_1', 'conv3_1'],
  contentWeight: 0.05,
  ...extra,
});

/** J's terms at the first evaluation (the starting image), by stylize's progress report. */
async function firstCosts(o: StylizeOptions): Promise<{ content: number; style: number; total: number }> {
  let first: { content: number; style: number; total: number } | undefined;
  await stylize(o, { onProgress: (p) => (first ??= { content: p.content, style: p.style, total: p.total }) });
  return first!;
}

test('positionRatio: the output grid over the style grid, per layer', () => {
  assert.equal(positionRatio('conv1_1', 48, 48, 48, 48), 1);
  assert.equal(positionRatio('conv1_1', 48, 48, 96, 96), 1 / 4);
  // conv3_1 has stride 4: 12x12 over 10x16.
  assert.equal(positionRatio('conv3_1', 48, 48, 64, 40), 144 / 160);
});

test('one all-covering region gives the unmasked targets and costs, for a style image of another shape', async () => {
  const white = image(48, 48, () => [1, 1, 1]);
  for (const styleScale of [1, 1.5]) {
    const plain = await firstCosts(base({ styleScale }));
    const masked = await firstCosts(base({ styleScale, contentMask: white }));
    for (const k of ['content', 'style', 'total'] as const) {
      assert.ok(Math.abs(masked[k] - plain[k]) <= 1e-5 * Math.abs(plain[k]), `style scale ${styleScale}, ${k}: masked ${masked[k]} vs unmasked ${plain[k]}`);
    }
  }
});

test('the style cost does not depend on the style image\'s size (Grams normalised by position count)', async () => {
  // A flat style image is the same picture at every size, up to the zero-padded border.
  const flat = image(64, 64, () => [0.8, 0.3, 0.2]);
  const costs: number[] = [];
  for (const styleScale of [1, 2]) costs.push((await firstCosts(base({ styles: [flat], styleScale, styleLayers: ['conv1_1', 'conv2_1'], normalizeLayers: false }))).style);
  const ratio = costs[1] / costs[0];
  assert.ok(ratio > 0.85 && ratio < 1.18, `style cost with the style at 96 px over at 48 px: ${ratio.toFixed(3)}`);
});

/** Per-channel standard deviation of the middle half (both axes) of an image. */
function centreStd(img: RawImage): number[] {
  const { width: w, height: h } = img;
  const n = w * h;
  return [0, 1, 2].map((c) => {
    let s = 0;
    let q = 0;
    let k = 0;
    for (let y = h >> 2; y < (3 * h) >> 2; y++) {
      for (let x = w >> 2; x < (3 * w) >> 2; x++) {
        const v = img.data[c * n + y * w + x];
        s += v;
        q += v * v;
        k++;
      }
    }
    return Math.sqrt(Math.max(0, q / k - (s / k) ** 2));
  });
}

/** Mean absolute difference after both are brought down to `ref`'s size: what differs at coarse scales. */
function lowPassDiff(img: RawImage, ref: RawImage): number {
  const d = resizeRaw(img, ref.width, ref.height);
  let s = 0;
  for (let i = 0; i < d.data.length; i++) s += Math.abs(d.data[i] - ref.data[i]);
  return s / d.data.length;
}

test('coarse to fine keeps the coarse result\'s structure, adds fine strokes, and keeps contrast in the centre', async () => {
  const W = 64;
  const H = 48;
  // Strokes large enough to survive the coarse scale (18 px at 96, 6 px at 32).
  const o = base({ content: content(W, H), styles: [texture(96, 96, 18)], size: W, iterations: 30 });
  // scheduleIterations(30, 2) = [20, 10]: the first scale alone is the coarse result.
  const { image: coarse } = await stylize({ ...o, size: W / 2, iterations: 20, scales: 1 });
  const firstAtScale2 = (seen: number[]) => ({ onProgress: (p: { scale: number; content: number }) => void (p.scale === 2 && seen.length === 0 && seen.push(p.content)) });
  const [c0, c1]: number[][] = [[], []];
  const { image: c2f } = await stylize({ ...o, scales: 2 }, firstAtScale2(c0));
  const { image: kept } = await stylize({ ...o, scales: 2, keepCoarse: true }, firstAtScale2(c1));
  const { image: direct } = await stylize({ ...o, scales: 1 });
  // --keep-coarse: the finer scale starts where its content target is, so J_content starts at 0.
  assert.ok(c0[0] > 0, `default: the finer scale's content target is the content image (J_content ${c0[0]})`);
  assert.ok(c1[0] <= 1e-6 * c0[0], `--keep-coarse: the finer scale's content target is its start, the upsampled coarse result (J_content ${c1[0]})`);
  const up = resizeRaw(coarse, W, H, 'bilinear');

  const loaded = await loadVgg('random', 0);
  const net = new StyleNet(loaded.build('avg'), 'measure');
  const fine = ['conv1_1', 'conv2_1'];
  const style = resizeRaw(o.styles[0] as RawImage, W, W);
  // Relative distance of size-normalised fine-layer Grams to the style's at full resolution.
  const target = (await net.features(style.data, style.height, style.width, [], fine)).grams;
  const fineCost = async (img: RawImage) => {
    const g = (await net.features(img.data, img.height, img.width, [], fine)).grams;
    let r = 0;
    for (const l of fine) {
      const [a, b] = [target.get(l)!, g.get(l)!];
      let d = 0;
      let n = 0;
      for (let i = 0; i < a.length; i++) {
        const t = a[i] / (style.width * style.height);
        d += (t - b[i] / (W * H)) ** 2;
        n += t * t;
      }
      r += d / n;
    }
    return r;
  };
  try {
    const drift = lowPassDiff(direct, coarse);
    for (const [name, img] of [['default', c2f], ['--keep-coarse', kept]] as const) {
      const keep = lowPassDiff(img, coarse);
      assert.ok(keep < 0.6 * drift, `${name}: coarse structure kept (low-pass difference to the coarse result ${keep.toFixed(4)} vs one scale ${drift.toFixed(4)})`);
      const [f0, f1] = [await fineCost(up), await fineCost(img)];
      assert.ok(f1 < 0.5 * f0, `${name}: fine-layer style cost falls at full resolution (${f0.toFixed(4)} -> ${f1.toFixed(4)})`);
      const [sd, sdDirect] = [centreStd(img), centreStd(direct)];
      for (let c = 0; c < 3; c++) assert.ok(sd[c] > 0.7 * sdDirect[c], `${name}: channel ${c} keeps contrast in the centre (std ${sd[c].toFixed(3)} vs one scale ${sdDirect[c].toFixed(3)})`);
    }
  } finally {
    await net.release();
  }
});
