/**
 * Neural style transfer (Gatys et al.): optimise G to minimise
 * J(G) = α J_content(C,G) + β J_style(S,G) + γ J_tv(G), optionally coarse to fine.
 */
import { clampRaw, loadImage, resizeRaw, sizeForLongestSide, type RawImage } from '../images/index.js';
import { Rng } from '../nn/index.js';
import { Adam } from '../optim/adam.js';
import { lbfgs } from '../optim/lbfgs.js';
import { RelativeChangeStop } from '../optim/stopping.js';
import { StyleNet, meanSquare, type Coefficients, type CostValues, type RegionTargets, type Targets } from './objective.js';
import { tiledFeatures, tiledObjective } from './tiled.js';
import { planTiles, type TilePlan } from './tiles.js';
import { checkImageCounts, historyFor, resolveSettings, type StyleSettings, type StyleSettingsInput } from './options.js';
import { controlResultColors, controlStyleColors } from './color_control.js';
import { contentRegions, guidedScale, hex, layerChannels, parseRegionStyles, propagateMask, regionSizes, resizeLabels, styleRegions, type Regions } from './regions.js';
import { StyleOptionError } from './layers.js';
import { layerSize } from './tiles.js';
import { styleCommand } from '../options/commands/style.js';
import { loadVgg, type WeightsSpec } from './vgg.js';
import { contentTarget, positionRatio } from './scale_control.js';

export type ImageSource = string | Buffer | RawImage;

export interface StylizeOptions extends Omit<StyleSettingsInput, 'contentMask' | 'styleMasks'> {
  content: ImageSource;
  styles: ImageSource[];
  /** Spatial control: a colour mask of the output's regions (--content-mask). */
  contentMask?: ImageSource;
  /** One mask per style image (--style-masks). */
  styleMasks?: ImageSource[];
  weights?: WeightsSpec;
}

/** The images a run works on, read (and checked) before any weights are. */
interface Inputs {
  content: RawImage;
  styles: RawImage[];
  spatial: Spatial | null;
}

/** Spatial control at full resolution: the content mask's regions and each style image's labels. */
interface Spatial {
  regions: Regions;
  /** Per style image, labels at its own (full) size in the content's regions, or null (the whole image). */
  styleLabels: ({ labels: Int32Array; width: number; height: number } | null)[];
}

export interface StyleProgress extends CostValues {
  scale: number;
  scales: number;
  size: [number, number];
  evaluation: number;
  evaluations: number;
  evaluationsPerSecond: number;
  etaSeconds: number;
}

export interface StyleReport {
  seconds: number;
  evaluations: number;
  seconds_per_evaluation: number;
  /**
   * The costs of the returned image (clamped to [0, 1], before --original-colors): one more
   * evaluation after the optimisation, since the optimiser's last iterate may leave [0, 1].
   * After an abort, the costs of the last iterate instead (no further work).
   */
  final: CostValues;
  size: [number, number];
  weights: string;
  interrupted: boolean;
  output?: string;
}

export interface StylizeHooks {
  onProgress?: (p: StyleProgress) => void;
  /** Intermediate frames every `saveEvery` evaluations (and the last one). */
  onFrame?: (img: RawImage, evaluation: number) => void | Promise<void>;
  notice?: (msg: string) => void;
  signal?: AbortSignal;
  /** ORT's worker threads spin between ops (the default) or sleep; CPU-time benchmarks switch spinning off. */
  spinning?: boolean;
}

/**
 * The default β. Normalised per-layer style costs scale as 1/(nH·nW)² (the Gram's mean
 * square grows as (nH·nW)² while the 1/(4 nC² (nH nW)²) factor stays), so a fixed β would
 * give less style at larger sizes; this keeps the balance the same at every size
 * (1e10 at 128x96 was chosen by looking at results). Without normalisation the terms are
 * size-independent and β = 1e3 as in the reference script.
 */
export function autoStyleWeight(h: number, w: number, normalized: boolean): number {
  return normalized ? 1e10 * ((h * w) / (128 * 96)) ** 2 : 1e3;
}

/** Iterations per scale: the coarsest scales get the most, halving towards the finest. */
export function scheduleIterations(total: number, scales: number): number[] {
  const w = Array.from({ length: scales }, (_, k) => 2 ** (scales - 1 - k));
  const sum = w.reduce((a, b) => a + b, 0);
  const its = w.map((x) => Math.max(1, Math.round((total * x) / sum)));
  return its;
}


export async function stylize(opts: StylizeOptions, hooks: StylizeHooks = {}): Promise<{ image: RawImage; report: StyleReport }> {
  const t0 = performance.now();
  if (!opts.styles?.length) throw new Error('stylize: at least one style image is needed');
  const notice = hooks.notice ?? (() => undefined);
  const { content: _content, styles, contentMask, styleMasks, ...options } = opts;
  // Every option is checked before any weights or images are read; masks given as images
  // stand in the schema as a placeholder name.
  const name = (m: ImageSource) => (typeof m === 'string' ? m : '(image)');
  const o = styleCommand.resolve({
    ...options,
    ...(contentMask !== undefined ? { contentMask: name(contentMask) } : {}),
    ...(styleMasks !== undefined ? { styleMasks: styleMasks.map(name) } : {}),
  });
  checkImageCounts(o, styles.length, styleMasks?.length);
  const inputs = await readInputs(opts, o.regionStyles, styles.length, notice);
  const loaded = await loadVgg(o.weights, o.seed, { notice, signal: hooks.signal });
  const s: StyleSettings = resolveSettings(o, styles.length, loaded.random);
  const vgg = loaded.build(s.pooling);
  const net = new StyleNet(vgg, `${loaded.id}|${s.pooling}`, { threads: s.threads, spinning: hooks.spinning });
  try {
    return await run(net, s, inputs, hooks, loaded.id, t0);
  } finally {
    await net.release();
  }
}

async function run(
  net: StyleNet,
  s: StyleSettings,
  inputs: Inputs,
  hooks: StylizeHooks,
  weightsId: string,
  t0: number,
): Promise<{ image: RawImage; report: StyleReport }> {
  const notice = hooks.notice ?? (() => undefined);
  const contentFull = inputs.content;
  const styleImages = inputs.styles.map((st) => controlStyleColors(st, contentFull, s.colorControl));
  const spatial = inputs.spatial;
  const layersOf = (i: number) => s.layersPerImage?.[i] ?? s.styleLayers;
  const noticed = new Set<string>();
  const noticeOnce = (m: string) => {
    if (!noticed.has(m)) notice(m);
    noticed.add(m);
  };
  const iters = scheduleIterations(s.iterations, s.scales);
  const totalEvals = iters.reduce((a, b) => a + b, 0);
  let x: RawImage | null = null;
  let evalsDone = 0;
  let optSeconds = 0;
  let last: CostValues = { total: NaN, content: NaN, style: NaN, tv: NaN };
  // The last scale's objective, to evaluate the returned image.
  let evaluate: ((v: Float32Array) => Promise<CostValues>) | null = null;
  let size: [number, number] = [0, 0];
  const blendSum = s.styleBlendWeights.reduce((a, b) => a + b, 0);

  const layers = [...s.contentLayers, ...s.styleLayers];
  const plan = (img: RawImage) => planTiles(img.height, img.width, layers, s.tileSize ** 2);
  let prevSide = 0;
  const sideOf = (k: number) => Math.max(minLongSide(contentFull), Math.round(s.size / 2 ** (s.scales - 1 - k)));
  for (let k = 0; k < s.scales && !hooks.signal?.aborted; k++) {
    const side = sideOf(k);
    const dims = sizeForLongestSide(contentFull.width, contentFull.height, side);
    const content = resizeRaw(contentFull, dims.width, dims.height);
    const [h, w] = [content.height, content.width];
    size = [h, w];

    // Each size compiles its own programs; a new size lets the previous one's (and their
    // memory) go, while a scale clamped to the same size keeps them.
    if (side !== prevSide) await net.release();
    prevSide = side;
    const contentPlan = plan(content);
    x = x ? resizeRaw(x, w, h, 'bilinear') : await initialImage(s, content, notice);
    const cFeat = await features(net, contentTarget(k, content, x, s.keepCoarse), contentPlan, s.contentLayers, []);
    const grams = new Map<string, Float32Array>();
    const styleAt = (st: RawImage) => {
      const sd = sizeForLongestSide(st.width, st.height, Math.max(minLongSide(st), Math.round(side * s.styleScale)));
      return resizeRaw(st, sd.width, sd.height);
    };
    if (!spatial) {
      for (const [i, st] of styleImages.entries()) {
        const simg = styleAt(st);
        const f = await features(net, simg, plan(simg), [], layersOf(i));
        for (const l of layersOf(i)) {
          // The style's Gram as its mean outer product times the output's position count.
          const count = positionRatio(l, h, w, simg.height, simg.width);
          // With one layer list per image, a layer's blend covers the images that use it.
          const sum = s.layersPerImage ? s.styleBlendWeights.reduce((a, wj, j) => (layersOf(j).includes(l) ? a + wj : a), 0) : blendSum;
          const b = s.styleBlendWeights[i] / sum;
          const gi = f.grams.get(l)!;
          const acc = grams.get(l) ?? new Float32Array(gi.length);
          for (let j = 0; j < gi.length; j++) acc[j] += b * count * gi[j];
          grams.set(l, acc);
        }
      }
    }
    const regionTargets = spatial ? await guidedTargets(net, s, spatial, styleImages.map(styleAt), h, w, layersOf, plan, noticeOnce) : undefined;
    const targets: Targets = { content: cFeat.acts, grams, ...(regionTargets ? { regions: regionTargets } : {}) };
    // The targets are computed: their programs' memory goes before the cost program's is taken.
    await net.releaseTargets();
    const coef: Coefficients = {
      alpha: s.contentWeight,
      beta: s.styleWeight ?? autoStyleWeight(h, w, s.normalizeLayers),
      gamma: s.tvWeight,
      content: new Map(s.contentLayers.map((l) => [l, s.normalizeLayers ? 1 / (meanSquare(targets.content.get(l)!) + 1e-12) : 1])),
      style: new Map(
        s.styleLayers.map((l, i) => [l, s.styleLayerWeights[i] * (s.normalizeLayers ? 1 / (targetMeanSquare(l, grams, regionTargets) + 1e-12) : 1)]),
      ),
    };

    const image = x.data;
    if (contentPlan) {
      const { rows, cols, tw, th } = contentPlan;
      notice(`${w}x${h}: evaluating in ${rows.length * cols.length} windows of ${tw}x${th} (--tile-size ${s.tileSize})`);
    }
    const nRegions = spatial?.regions.colors.length ?? 0;
    const objective = contentPlan
      ? await tiledObjective(net, contentPlan, s.contentLayers, s.styleLayers, nRegions)
      : await net.objective(h, w, s.contentLayers, s.styleLayers, nRegions);
    evaluate = (v) => objective(v, targets, coef);
    const f = async (v: Float32Array) => {
      const r = await objective(v, targets, coef);
      last = { total: r.total, content: r.content, style: r.style, tv: r.tv };
      return { loss: r.total, grad: r.grad };
    };
    const tk = performance.now();
    // --tolerance ends this scale (not the run): its own signal, besides the caller's.
    const converged = new AbortController();
    const stop = new RelativeChangeStop(s.tolerance);
    const signal = hooks.signal ? AbortSignal.any([hooks.signal, converged.signal]) : converged.signal;
    const onEvaluation = async (count: number) => {
      evalsDone++;
      if (stop.push(last.total)) converged.abort();
      const elapsed = (performance.now() - tk) / 1000;
      const rate = count / Math.max(elapsed, 1e-9);
      hooks.onProgress?.({
        ...last,
        scale: k + 1,
        scales: s.scales,
        size: [h, w],
        evaluation: evalsDone,
        evaluations: totalEvals,
        evaluationsPerSecond: rate,
        etaSeconds: (totalEvals - evalsDone) / rate,
      });
      if (hooks.onFrame && s.saveEvery > 0 && evalsDone % s.saveEvery === 0) {
        await hooks.onFrame(clampRaw({ width: w, height: h, data: image }), evalsDone);
      }
    };
    if (s.optimizer === 'lbfgs') {
      await lbfgs(f, image, { evaluations: iters[k], lr: s.learningRate, history: s.lbfgsHistory ?? historyFor(h * w), signal, onEvaluation, ...(s.keepInRange ? { bounds: [0, 1] as [number, number] } : {}) });
    } else {
      const adam = new Adam(image.length, { lr: s.learningRate });
      for (let i = 0; i < iters[k] && !signal.aborted; i++) {
        const r = await f(image);
        await onEvaluation(i + 1);
        adam.update(image, r.grad);
        if (s.keepInRange) clampInPlace(image);
      }
    }
    optSeconds += (performance.now() - tk) / 1000;
  }

  let out = clampRaw(x!);
  if (evaluate && !hooks.signal?.aborted) {
    const r = await evaluate(out.data);
    last = { total: r.total, content: r.content, style: r.style, tv: r.tv };
  }
  out = controlResultColors(out, contentFull, s.colorControl);
  const report: StyleReport = {
    seconds: (performance.now() - t0) / 1000,
    evaluations: evalsDone,
    seconds_per_evaluation: optSeconds / Math.max(1, evalsDone),
    final: last,
    size,
    weights: weightsId,
    interrupted: hooks.signal?.aborted ?? false,
  };
  return { image: out, report };
}

function clampInPlace(v: Float32Array): void {
  for (let i = 0; i < v.length; i++) v[i] = Math.min(1, Math.max(0, v[i]));
}

/** The mean square of a layer's style target(s), for normalised layer costs: over the regions that have one. */
function targetMeanSquare(l: string, grams: Map<string, Float32Array>, regions: RegionTargets | undefined): number {
  if (!regions) return meanSquare(grams.get(l)!);
  const scales = regions.scales.get(l)!;
  const ms = regions.grams.get(l)!.filter((_, r) => scales[r] > 0).map(meanSquare);
  return ms.length ? ms.reduce((a, b) => a + b, 0) / ms.length : 0;
}

/**
 * Reads the content, style images and masks, and checks the masks against the images: a mask
 * of another size is resized (nearest) with a notice; a region must not vanish.
 */
async function readInputs(opts: StylizeOptions, regionStyles: string | undefined, nStyles: number, notice: (m: string) => void): Promise<Inputs> {
  const content = await loadImage(opts.content, { notice });
  const styles = await Promise.all(opts.styles.map((src) => loadImage(src, { notice })));
  if (opts.contentMask === undefined) return { content, styles, spatial: null };
  const mask = await loadImage(opts.contentMask, { notice });
  const assigned = regionStyles === undefined ? undefined : parseRegionStyles(regionStyles, nStyles);
  const regions = fitRegions(contentRegions(mask, assigned, nStyles), content, '--content-mask', notice);
  const used = new Set(regions.styleOf);
  for (let i = 0; i < nStyles; i++) if (!used.has(i)) notice(`style image ${i + 1} styles no region of the content mask (colours ${regions.colors.map(hex).join(', ')}); it is not used`);
  const styleLabels: Spatial['styleLabels'] = [];
  for (const [i, st] of styles.entries()) {
    const src = opts.styleMasks?.[i];
    if (src === undefined) {
      styleLabels.push(null);
      continue;
    }
    const what = `--style-masks ${i + 1}`;
    const m = await loadImage(src, { notice });
    let labels = styleRegions(m, regions, i, what);
    if (m.width !== st.width || m.height !== st.height) {
      notice(`${what} is ${m.width}x${m.height}, style image ${i + 1} is ${st.width}x${st.height}: the mask is resized to it`);
      labels = resizeLabels(labels, m.width, m.height, st.width, st.height);
      const sizes = regionSizes(labels, regions.colors.length);
      for (const [r, si] of regions.styleOf.entries()) {
        if (si === i && sizes[r] === 0) throw new StyleOptionError(`${what}: region ${hex(regions.colors[r])} vanishes when the mask is resized to the style image`, 'styleMasks');
      }
    }
    styleLabels.push({ labels, width: st.width, height: st.height });
  }
  return { content, styles, spatial: { regions, styleLabels } };
}

function fitRegions(regions: Regions, content: RawImage, what: string, notice: (m: string) => void): Regions {
  const { width: w0, height: h0 } = regions;
  if (w0 === content.width && h0 === content.height) return regions;
  notice(`${what} is ${w0}x${h0}, the content is ${content.width}x${content.height}: the mask is resized to it`);
  const labels = resizeLabels(regions.labels, w0, h0, content.width, content.height);
  const sizes = regionSizes(labels, regions.colors.length);
  const gone = sizes.findIndex((n) => n === 0);
  if (gone >= 0) throw new StyleOptionError(`${what}: region ${hex(regions.colors[gone])} vanishes when the mask is resized to the content`, 'contentMask');
  return { ...regions, width: content.width, height: content.height, labels };
}

/**
 * Guided Gram targets of one scale: each region's mask on every style layer's grid of the
 * h × w output, and its style image's guided Grams over the matching region of that image
 * (the whole image without a style mask). A region left empty at a layer (small regions with
 * 'inside' masks at deep layers) drops out of that layer, with a notice.
 */
async function guidedTargets(
  net: StyleNet,
  s: StyleSettings,
  sp: Spatial,
  styles: RawImage[],
  h: number,
  w: number,
  layersOf: (i: number) => string[],
  plan: (img: RawImage) => TilePlan | null,
  notice: (m: string) => void,
): Promise<RegionTargets> {
  const { regions } = sp;
  const R = regions.colors.length;
  const labels = resizeLabels(regions.labels, regions.width, regions.height, w, h);
  const t: RegionTargets = { masks: new Map(), scales: new Map(), grams: new Map() };
  for (const l of s.styleLayers) {
    t.masks.set(l, []);
    t.scales.set(l, []);
    t.grams.set(l, []);
  }
  for (let r = 0; r < R; r++) {
    const i = regions.styleOf[r];
    const st = styles[i];
    const sLabels = sp.styleLabels[i];
    const stLabels = sLabels ? resizeLabels(sLabels.labels, sLabels.width, sLabels.height, st.width, st.height) : null;
    const styleMasks = new Map<string, Float32Array>();
    const styleScales = new Map<string, number>();
    for (const l of layersOf(i)) {
      const m = stLabels ? propagateMask(stLabels, st.width, st.height, r, l, s.maskPropagation) : onesMask(l, st.width, st.height);
      styleMasks.set(l, m);
      styleScales.set(l, guidedScale(m));
    }
    const G = await maskedGrams(net, st, plan(st), styleMasks);
    for (const l of s.styleLayers) {
      const m = propagateMask(labels, w, h, r, l, s.maskPropagation);
      let scale = layersOf(i).includes(l) ? guidedScale(m) : 0;
      const sScale = styleScales.get(l) ?? 0;
      if (layersOf(i).includes(l) && (scale === 0 || sScale === 0)) {
        notice(`region ${hex(regions.colors[r])} is empty at ${l} (${scale === 0 ? 'output' : `style image ${i + 1}`}, --mask-propagation ${s.maskPropagation}); it has no style cost there`);
        scale = 0;
      }
      const gS = G.get(l);
      const target = new Float32Array(layerChannels(l) ** 2);
      // Both sides are the region's mean outer product times the output's nH·nW, so a style
      // image (or region) of another size than the output's compares like for like.
      const k = sScale * (m.length / (styleMasks.get(l)?.length ?? 1));
      if (gS && scale > 0) for (let j = 0; j < gS.length; j++) target[j] = gS[j] * k;
      t.masks.get(l)!.push(m);
      t.scales.get(l)!.push(scale);
      t.grams.get(l)!.push(target);
    }
  }
  return t;
}

/**
 * The smallest longest side at which an image's short side still reaches the deepest usable
 * layer, for coarse scales and small style scales: conv5_x, after four poolings, needs 16 px
 * (pool5 is not a cost layer).
 */
function minLongSide(img: { width: number; height: number }): number {
  return Math.ceil((16 * Math.max(img.width, img.height)) / Math.min(img.width, img.height));
}

function onesMask(l: string, w: number, h: number): Float32Array {
  return new Float32Array(layerSize(l, h) * layerSize(l, w)).fill(1);
}

/** Unscaled guided Grams of one image (masks on each layer's grid), window by window when `plan` tiles it. */
async function maskedGrams(net: StyleNet, img: RawImage, plan: TilePlan | null, masks: Map<string, Float32Array>): Promise<Map<string, Float32Array>> {
  if (masks.size === 0) return new Map();
  if (plan) return (await tiledFeatures(net, plan, img.data, [], [...masks.keys()], masks)).grams;
  return net.maskedGrams(img.data, img.height, img.width, masks);
}

/** Activations and Gram matrices of one image, window by window when `plan` tiles it. */
async function features(
  net: StyleNet,
  img: RawImage,
  plan: TilePlan | null,
  acts: readonly string[],
  grams: readonly string[],
): Promise<{ acts: Map<string, Float32Array>; grams: Map<string, Float32Array> }> {
  // A list may be empty where its cost's weight is 0 (options.ts); with both empty there is
  // nothing to compute, and no program to build (one needs an output).
  if (acts.length === 0 && grams.length === 0) return { acts: new Map(), grams: new Map() };
  return plan ? tiledFeatures(net, plan, img.data, acts, grams) : net.features(img.data, img.height, img.width, acts, grams);
}

async function initialImage(s: StyleSettings, content: RawImage, notice: (m: string) => void): Promise<RawImage> {
  const { width: w, height: h } = content;
  if (s.init === 'content') return { width: w, height: h, data: content.data.slice() };
  if (s.init === 'noise') {
    const rng = new Rng(s.seed);
    return { width: w, height: h, data: rng.fillUniform(new Float32Array(3 * w * h), 0, 1) };
  }
  const img = await loadImage(s.init, { notice });
  return resizeRaw(img, w, h);
}
