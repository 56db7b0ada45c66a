/**
 * Neural style transfer (Gatys et al.): optimise G to minimise
 * J(G) = α J_content(C,G) + β J_style(S,G) + γ J_tv(G), optionally coarse to fine.
 */
import { clampRaw, loadImage, originalColors, resizeRaw, sizeForLongestSide, type RawImage } from '../images/index.js';
import { Rng } from '../nn/index.js';
import { Adam } from '../optim/adam.js';
import { lbfgs } from '../optim/lbfgs.js';
import { StyleNet, meanSquare, type Coefficients, type CostValues, type Targets } from './objective.js';
import { tiledFeatures, tiledObjective } from './tiled.js';
import { planTiles, type TilePlan } from './tiles.js';
import { blendWeights, resolveSettings, type StyleSettings, type StyleSettingsInput } from './options.js';
import { styleCommand } from '../options/commands/style.js';
import { loadVgg, type WeightsSpec } from './vgg.js';

export type ImageSource = string | Buffer | RawImage;

export interface StylizeOptions extends StyleSettingsInput {
  content: ImageSource;
  styles: ImageSource[];
  weights?: WeightsSpec;
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
  const { content: _content, styles, ...options } = opts;
  // Every option is checked before any weights or images are read.
  const o = styleCommand.resolve(options);
  blendWeights(o, styles.length);
  const loaded = await loadVgg(o.weights, o.seed, { notice, signal: hooks.signal });
  const s: StyleSettings = resolveSettings(o, styles.length, loaded.random);
  const vgg = loaded.build(s.pooling);
  const net = new StyleNet(vgg, `${loaded.id}|${s.pooling}`, s.threads);
  try {
    return await run(net, s, opts, hooks, loaded.id, t0);
  } finally {
    await net.release();
  }
}

async function run(
  net: StyleNet,
  s: StyleSettings,
  opts: StylizeOptions,
  hooks: StylizeHooks,
  weightsId: string,
  t0: number,
): Promise<{ image: RawImage; report: StyleReport }> {
  const notice = hooks.notice ?? (() => undefined);
  const contentFull = await loadImage(opts.content, { notice });
  const styleImages = await Promise.all(opts.styles.map((src) => loadImage(src, { notice })));
  const iters = scheduleIterations(s.iterations, s.scales);
  const totalEvals = iters.reduce((a, b) => a + b, 0);
  let x: RawImage | null = null;
  let evalsDone = 0;
  let optSeconds = 0;
  let last: CostValues = { total: NaN, content: NaN, style: NaN, tv: NaN };
  let size: [number, number] = [0, 0];
  const blendSum = s.styleBlendWeights.reduce((a, b) => a + b, 0);

  const layers = [...s.contentLayers, ...s.styleLayers];
  const plan = (img: RawImage) => planTiles(img.height, img.width, layers, s.tileSize ** 2);
  let prevSide = 0;
  for (let k = 0; k < s.scales && !hooks.signal?.aborted; k++) {
    const side = Math.max(minLongSide(contentFull), Math.round(s.size / 2 ** (s.scales - 1 - k)));
    const dims = sizeForLongestSide(contentFull.width, contentFull.height, side);
    const content = resizeRaw(contentFull, dims.width, dims.height);
    const [h, w] = [content.height, content.width];
    size = [h, w];

    // Each size compiles its own programs; a new size lets the previous one's (and their
    // memory) go, while a scale clamped to the same size keeps them.
    if (side !== prevSide) await net.release();
    prevSide = side;
    const contentPlan = plan(content);
    const cFeat = await features(net, content, contentPlan, s.contentLayers, []);
    const grams = new Map<string, Float32Array>();
    for (const [i, st] of styleImages.entries()) {
      const sd = sizeForLongestSide(st.width, st.height, Math.max(minLongSide(st), Math.round(side * s.styleScale)));
      const simg = resizeRaw(st, sd.width, sd.height);
      const f = await features(net, simg, plan(simg), [], s.styleLayers);
      const b = s.styleBlendWeights[i] / blendSum;
      for (const l of s.styleLayers) {
        const gi = f.grams.get(l)!;
        const acc = grams.get(l) ?? new Float32Array(gi.length);
        for (let j = 0; j < gi.length; j++) acc[j] += b * gi[j];
        grams.set(l, acc);
      }
    }
    const targets: Targets = { content: cFeat.acts, grams };
    const coef: Coefficients = {
      alpha: s.contentWeight,
      beta: s.styleWeight ?? autoStyleWeight(h, w, s.normalizeLayers),
      gamma: s.tvWeight,
      content: new Map(s.contentLayers.map((l) => [l, s.normalizeLayers ? 1 / (meanSquare(targets.content.get(l)!) + 1e-12) : 1])),
      style: new Map(
        s.styleLayers.map((l, i) => [l, s.styleLayerWeights[i] * (s.normalizeLayers ? 1 / (meanSquare(grams.get(l)!) + 1e-12) : 1)]),
      ),
    };

    x = x ? resizeRaw(x, w, h, 'bilinear') : await initialImage(s, content, notice);
    const image = x.data;
    if (contentPlan) {
      const { rows, cols, tw, th } = contentPlan;
      notice(`${w}x${h}: evaluating in ${rows.length * cols.length} windows of ${tw}x${th} (--tile-size ${s.tileSize})`);
    }
    const objective = contentPlan
      ? await tiledObjective(net, contentPlan, s.contentLayers, s.styleLayers)
      : await net.objective(h, w, s.contentLayers, s.styleLayers);
    const f = async (v: Float32Array) => {
      const r = await objective(v, targets, coef);
      last = { total: r.total, content: r.content, style: r.style, tv: r.tv };
      return { loss: r.total, grad: r.grad };
    };
    const tk = performance.now();
    const onEvaluation = async (count: number) => {
      evalsDone++;
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
      await lbfgs(f, image, { evaluations: iters[k], lr: s.learningRate, history: s.lbfgsHistory, signal: hooks.signal, onEvaluation });
    } else {
      const adam = new Adam(image.length, { lr: s.learningRate });
      for (let i = 0; i < iters[k] && !hooks.signal?.aborted; i++) {
        const r = await f(image);
        await onEvaluation(i + 1);
        adam.update(image, r.grad);
      }
    }
    optSeconds += (performance.now() - tk) / 1000;
  }

  let out = clampRaw(x!);
  if (s.originalColors) {
    out = originalColors(out, contentFull);
  }
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

/**
 * The smallest longest side at which an image's short side still reaches the deepest usable
 * layer, for coarse scales and small style scales: conv5_x, after four poolings, needs 16 px
 * (pool5 is not a cost layer).
 */
function minLongSide(img: { width: number; height: number }): number {
  return Math.ceil((16 * Math.max(img.width, img.height)) / Math.min(img.width, img.height));
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
