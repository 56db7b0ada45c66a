/**
 * `npm run bench:style-control`: each control of Gatys et al. 2017 on ../shared/images
 * (tubingen with starry_night and the_scream), on a seeded random VGG-19 (no pretrained
 * weights offline), written as a contact sheet to docs/style-control-sheet.png with the
 * measurements printed as JSON. Skips cleanly without ../shared.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { colorStats, contactSheetPng, cropRaw, loadImage, matchColorStats, resizeLongestSide, resizeRaw, writeFileAtomic, type RawImage } from '../src/images/index.js';
import { stylize, type StylizeOptions } from '../src/style/stylize.js';

// ../shared next to the checkout; AI_ART_SHARED points elsewhere (e.g. from a git worktree).
const IMAGES = path.resolve(process.env.AI_ART_SHARED ?? '../shared', 'images');
if (!fs.existsSync(path.join(IMAGES, 'tubingen.jpg'))) {
  console.log(`${IMAGES} is absent: nothing to run`);
  process.exit(0);
}
const SIZE = Number(process.env.SIZE ?? 96);
const ITERS = Number(process.env.ITERATIONS ?? 40);
const t0 = performance.now();
const content = resizeLongestSide(await loadImage(path.join(IMAGES, 'tubingen.jpg')), SIZE);
const starry = await loadImage(path.join(IMAGES, 'starry_night.jpg'));
const scream = await loadImage(path.join(IMAGES, 'the_scream.jpg'));

function leftRight(w: number, h: number): RawImage {
  const data = new Float32Array(3 * w * h);
  for (let c = 0; c < 3; c++) for (let y = 0; y < h; y++) data.fill(1, c * w * h + y * w, c * w * h + y * w + Math.floor(w / 2));
  return { width: w, height: h, data };
}
const mask = leftRight(content.width, content.height);

const base: StylizeOptions = { content, styles: [starry, scream], size: SIZE, iterations: ITERS, weights: 'random', contentWeight: 0.2 };
async function run(label: string, extra: Partial<StylizeOptions>): Promise<RawImage> {
  const t = performance.now();
  const { image } = await stylize({ ...base, ...extra }, { notice: (m) => console.error(`note: ${m}`) });
  console.error(`${label}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return image;
}

const mean = (img: RawImage) => [...colorStats(img).mean];
const dist = (a: number[], b: number[]) => Math.hypot(...a.map((v, i) => v - b[i]));
/** Mean absolute difference at the coarse result's size: how much of its large-scale structure a result keeps. */
function lowPassDiff(img: RawImage, ref: RawImage): number {
  const d = resizeRaw(img, ref.width, ref.height);
  let s = 0;
  for (let i = 0; i < d.data.length; i++) s += Math.abs(d.data[i] - ref.data[i]);
  return s / d.data.length;
}
/** Per-channel standard deviation of the middle half (both axes): a washed-out centre has little. */
const centreStd = (img: RawImage) => {
  const { cov } = colorStats(cropRaw(img, img.width >> 2, img.height >> 2, img.width >> 1, img.height >> 1));
  return [0, 4, 8].map((i) => +Math.sqrt(cov[i]).toFixed(3));
};
const halves = (img: RawImage) => [cropRaw(img, 0, 0, img.width >> 1, img.height), cropRaw(img, img.width >> 1, 0, img.width - (img.width >> 1), img.height)];

const unguided = await run('unguided', {});
const guided = await run('guided', { contentMask: mask });
const inside = await run('guided inside', { contentMask: mask, maskPropagation: 'inside' });
const colorNone = await run('colour none', { styles: [scream] });
const colorLum = await run('colour luminance', { styles: [scream], colorControl: 'luminance' });
const colorHist = await run('colour histogram', { styles: [scream], colorControl: 'histogram' });
const fineStarry = await run('scale: fine starry, coarse scream', { styleLayersPerImage: 'conv1_1,conv2_1;conv3_1,conv4_1,conv5_1' });
const fineScream = await run('scale: fine scream, coarse starry', { styleLayersPerImage: 'conv3_1,conv4_1,conv5_1;conv1_1,conv2_1' });
const BIG = Math.round(1.5 * SIZE);
const c2f = await run('coarse-to-fine', { styles: [starry], size: BIG, scales: 2 });
const c2fKeep = await run('coarse-to-fine, keep coarse', { styles: [starry], size: BIG, scales: 2, keepCoarse: true });
const direct = await run('one scale at the large size', { styles: [starry], size: BIG, scales: 1 });
// The first of two scales alone (scheduleIterations: 2/3 of the evaluations), to measure what the finer scale keeps.
const coarse = await run('the coarse scale alone', { styles: [starry], size: Math.round(BIG / 2), scales: 1, iterations: Math.round((2 * ITERS) / 3) });
const smallStyle = await run('style scale 0.5', { styles: [starry], size: BIG, scales: 1, styleScale: 0.5 });

const [mS, mC] = [mean(starry), mean(scream)];
const report = {
  size: SIZE,
  iterations: ITERS,
  weights: 'random (seed 0)',
  spatial: Object.fromEntries(
    (['unguided', 'guided', 'inside'] as const).map((k, i) => {
      const [l, r] = halves([unguided, guided, inside][i]);
      return [k, { left_to_starry: +dist(mean(l), mS).toFixed(4), left_to_scream: +dist(mean(l), mC).toFixed(4), right_to_scream: +dist(mean(r), mC).toFixed(4), right_to_starry: +dist(mean(r), mS).toFixed(4) }];
    }),
  ),
  color_mean_distance_to_content: {
    scream: +dist(mC, mean(content)).toFixed(4),
    scream_matched: +dist(mean(matchColorStats(scream, content)), mean(content)).toFixed(4),
    result_none: +dist(mean(colorNone), mean(content)).toFixed(4),
    result_luminance: +dist(mean(colorLum), mean(content)).toFixed(4),
    result_histogram: +dist(mean(colorHist), mean(content)).toFixed(4),
  },
  coarse_to_fine: Object.fromEntries(
    Object.entries({ two_scales: c2f, keep_coarse: c2fKeep, one_scale: direct, style_scale_half: smallStyle }).map(([k, img]) => [
      k,
      { low_pass_difference_to_coarse: +lowPassDiff(img, coarse).toFixed(4), centre_std: centreStd(img) },
    ]),
  ),
  seconds: Math.round((performance.now() - t0) / 1000),
};

const cell = 160;
const png = await contactSheetPng(
  [
    { image: content, label: 'content' },
    { image: mask, label: 'mask: starry | scream' },
    { image: unguided, label: 'both styles, no mask' },
    { image: guided, label: 'mask (resize)' },
    { image: inside, label: 'mask (inside)' },
    { image: starry, label: 'style 1: starry_night' },
    { image: scream, label: 'style: the_scream' },
    { image: matchColorStats(scream, content), label: 'scream, colours matched' },
    { image: colorNone, label: 'colour: none' },
    { image: colorLum, label: 'colour: luminance' },
    { image: colorHist, label: 'colour: histogram' },
    { image: scream, label: 'style 2: the_scream' },
    { image: fineStarry, label: 'fine starry/coarse scream' },
    { image: fineScream, label: 'fine scream/coarse starry' },
    { image: c2f, label: `2 scales to ${BIG} px` },
    { image: c2fKeep, label: '2 scales, --keep-coarse' },
    { image: direct, label: `1 scale at ${BIG} px` },
    { image: smallStyle, label: '--style-scale 0.5' },
  ].map((it) => ({ ...it, image: it.image.width > 4 * SIZE ? resizeLongestSide(it.image, 2 * SIZE) : it.image })),
  { columns: 6, cellSize: cell, title: `Controlling perceptual factors (Gatys et al. 2017): random VGG-19, ${SIZE} px, ${ITERS} evaluations` },
);
// A palette PNG keeps the committed sheet small.
const small = await sharp(png).png({ palette: true, quality: 90, compressionLevel: 9 }).toBuffer();
const out = path.resolve('docs/style-control-sheet.png');
await writeFileAtomic(out, small);
console.log(JSON.stringify({ ...report, sheet: path.relative(process.cwd(), out), sheet_bytes: small.length }));
