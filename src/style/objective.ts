/**
 * Compiled programs for style transfer on one VGG-19: a feature extractor (targets)
 * and the cost J(G) with its gradient. Targets and coefficients are graph inputs, not
 * constants, so a session compiled for one image size serves every job of that size.
 */
import { F, Graph, Program, ProgramCache, grad, withPolicy, type LoweringPolicy, type RuntimeOptions, type Tensor } from '../engine/index.js';
import { IMAGENET_MEAN, IMAGENET_STD, type VGG19Features } from '../models/vgg19.js';
import { Ctx } from '../nn/index.js';
import { J_content, J_style_layer, J_style_region, J_tv, gram } from './costs.js';

export interface CostValues {
  total: number;
  content: number;
  style: number;
  tv: number;
}

export interface Targets {
  /** Content activations per content layer. */
  content: Map<string, Float32Array>;
  /** Style Gram matrices per style layer (already blended over style images). */
  grams: Map<string, Float32Array>;
  /** Spatial control: replaces `grams` when the objective was built with regions. */
  regions?: RegionTargets;
}

/** Per style layer, one entry per region (costs.ts: guided Grams). */
export interface RegionTargets {
  /** The region's mask on the layer's grid (nH·nW values). */
  masks: Map<string, Float32Array[]>;
  /** nH·nW / Σ mask²; 0 leaves the region out of this layer (empty there, or not its style's layer). */
  scales: Map<string, number[]>;
  /** The style's guided Gram matrix for the region. */
  grams: Map<string, Float32Array[]>;
}

export interface Coefficients {
  alpha: number;
  beta: number;
  gamma: number;
  /** Per content layer (normalisation factor). */
  content: Map<string, number>;
  /** Per style layer (layer weight × normalisation factor). */
  style: Map<string, number>;
}

/** VGG-19 activations at `layers` (repeats allowed) of an image tensor in [0, 1]. */
export function vggFeatures(vgg: VGG19Features, g: Graph, image: Tensor, layers: readonly string[]): Map<string, Tensor> {
  const mean = g.constant(Float32Array.from(IMAGENET_MEAN), [1, 3, 1, 1], 'imagenet_mean');
  const std = g.constant(Float32Array.from(IMAGENET_STD), [1, 3, 1, 1], 'imagenet_std');
  return vgg.extract(new Ctx(g, { root: vgg }), F.div(F.sub(image, mean), std), layers);
}

/**
 * Compiles a program run on every evaluation, without ORT's memory pattern (less memory at the
 * same speed), and runs it once on zeros: ORT's first run is slower (allocations, first
 * touches), and the PyTorch reference also warms up untimed (docs/performance.md).
 */
export async function compileWarm(outputs: Record<string, Tensor>, runtime: SessionOptions = {}): Promise<Program> {
  const p = await Program.create(outputs, { ...runtime, allowConstantOutputs: true, memPattern: false });
  await p.run(Object.fromEntries(p.inputs.map((t) => [t.name, new Float32Array(t.size)])));
  return p;
}

/**
 * The graph of J(G) and dJ/dG for one image size: outputs total, content, style, tv, grad;
 * inputs image, alpha, beta, gamma, content_<l>, k_content_<l>, gram_<l>, k_style_<l>.
 * With `regions` > 0 (spatial control) each style layer instead takes, per region r,
 * rmask_<l>_<r> [1,1,nH,nW], rscale_<l>_<r> and rgram_<l>_<r>: J_style_region summed over r.
 */
export function objectiveGraph(
  vgg: VGG19Features,
  h: number,
  w: number,
  contentLayers: readonly string[],
  styleLayers: readonly string[],
  regions = 0,
): Record<'total' | 'content' | 'style' | 'tv' | 'grad', Tensor> {
  const g = new Graph();
  const x = g.input('image', [1, 3, h, w]);
  const f = vggFeatures(vgg, g, x, [...contentLayers, ...styleLayers]);
  const scalar = (name: string) => g.input(name, []);
  let content: Tensor = g.scalar(0);
  for (const l of contentLayers) {
    const aG = f.get(l)!;
    const aC = g.input(`content_${l}`, aG.shape);
    content = F.add(content, F.mul(J_content(aC, aG), scalar(`k_content_${l}`)));
  }
  let style: Tensor = g.scalar(0);
  for (const l of styleLayers) {
    const aG = f.get(l)!;
    const c = aG.shape[1];
    if (regions > 0) {
      let layer: Tensor = g.scalar(0);
      for (let r = 0; r < regions; r++) {
        const m = g.input(`rmask_${l}_${r}`, [1, 1, aG.shape[2], aG.shape[3]]);
        layer = F.add(layer, J_style_region(g.input(`rgram_${l}_${r}`, [c, c]), aG, m, scalar(`rscale_${l}_${r}`)));
      }
      style = F.add(style, F.mul(layer, scalar(`k_style_${l}`)));
      continue;
    }
    const gS = g.input(`gram_${l}`, [c, c]);
    style = F.add(style, F.mul(J_style_layer(gS, aG), scalar(`k_style_${l}`)));
  }
  const tv = J_tv(x);
  const total = F.add(F.add(F.mul(content, scalar('alpha')), F.mul(style, scalar('beta'))), F.mul(tv, scalar('gamma')));
  const [gx] = grad(total, [x]);
  return { total, content, style, tv, grad: gx };
}

/**
 * The lowering policy of feature programs, run a few times per scale: direct convolutions, as
 * Winograd's transformed filters would hold 4x the filters in memory in each of them for little
 * gain (docs/performance.md).
 */
export const FEATURES_POLICY: LoweringPolicy = withPolicy({ convAlgorithm: 'direct' });

/** What the style programs take of ORT's session options. */
export type SessionOptions = Pick<RuntimeOptions, 'threads' | 'spinning'>;

export class StyleNet {
  /** Compiled cost programs by size and layers, shared with the tiled path (tiled.ts). */
  readonly programs = new ProgramCache(6);
  /**
   * Programs that compute targets (activations, Grams), used a few times per size: kept apart
   * so that they can go before the cost program of the same size is compiled.
   */
  readonly targetPrograms = new ProgramCache(6);
  constructor(
    readonly vgg: VGG19Features,
    /** Identifies the weights in cache keys. */
    readonly weightsId: string,
    /** ORT threads and spinning for every program (benchmarks switch spinning off). */
    readonly runtime: SessionOptions = {},
  ) {}

  /**
   * Activations (for `acts`) and Gram matrices (for `grams`) of one image; at least one
   * list must be non-empty (a program needs an output).
   */
  async features(
    image: Float32Array,
    h: number,
    w: number,
    acts: readonly string[],
    grams: readonly string[],
  ): Promise<{ acts: Map<string, Float32Array>; grams: Map<string, Float32Array> }> {
    const key = `features|${this.weightsId}|${h}x${w}|${acts}|${grams}`;
    const prog = await this.targetPrograms.get(key, () => {
      const g = new Graph({ policy: FEATURES_POLICY });
      const x = g.input('image', [1, 3, h, w]);
      const f = vggFeatures(this.vgg, g, x, [...acts, ...grams]);
      const outs: Record<string, Tensor> = {};
      for (const l of acts) outs[`act_${l}`] = f.get(l)!;
      for (const l of grams) outs[`gram_${l}`] = gram(f.get(l)!);
      return Program.create(outs, this.runtime);
    });
    const r = await prog.run({ image });
    return {
      acts: new Map(acts.map((l) => [l, r[`act_${l}`]])),
      grams: new Map(grams.map((l) => [l, r[`gram_${l}`]])),
    };
  }

  /**
   * Gram matrices of an image's activations times a mask per layer (layer grid, nH·nW values):
   * one region's unscaled guided Grams (spatial control).
   */
  async maskedGrams(image: Float32Array, h: number, w: number, masks: Map<string, Float32Array>): Promise<Map<string, Float32Array>> {
    const layers = [...masks.keys()];
    const prog = await this.targetPrograms.get(`maskedgrams|${this.weightsId}|${h}x${w}|${layers}`, () => {
      const g = new Graph({ policy: FEATURES_POLICY });
      const x = g.input('image', [1, 3, h, w]);
      const f = vggFeatures(this.vgg, g, x, layers);
      const outs: Record<string, Tensor> = {};
      for (const l of layers) {
        const a = f.get(l)!;
        outs[`gram_${l}`] = gram(F.mul(a, g.input(`mask_${l}`, [1, 1, a.shape[2], a.shape[3]])));
      }
      return Program.create(outs, this.runtime);
    });
    const feeds: Record<string, Float32Array> = { image };
    for (const [l, m] of masks) feeds[`mask_${l}`] = m;
    const r = await prog.run(feeds);
    return new Map(layers.map((l) => [l, r[`gram_${l}`]]));
  }

  /** J(G) and dJ/dG for images of h × w (with `regions` > 0: guided Grams, see objectiveGraph). */
  async objective(h: number, w: number, contentLayers: readonly string[], styleLayers: readonly string[], regions = 0) {
    const key = `cost|${this.weightsId}|${h}x${w}|${contentLayers}|${styleLayers}${regions > 0 ? `|regions${regions}` : ''}`;
    const prog = await this.programs.get(key, () => compileWarm(objectiveGraph(this.vgg, h, w, contentLayers, styleLayers, regions), this.runtime));

    return async (image: Float32Array, t: Targets, k: Coefficients): Promise<CostValues & { grad: Float32Array }> => {
      const feeds: Record<string, Float32Array> = {
        image,
        alpha: new Float32Array([k.alpha]),
        beta: new Float32Array([k.beta]),
        gamma: new Float32Array([k.gamma]),
      };
      for (const l of contentLayers) {
        feeds[`content_${l}`] = t.content.get(l)!;
        feeds[`k_content_${l}`] = new Float32Array([k.content.get(l)!]);
      }
      for (const l of styleLayers) {
        if (regions > 0) feedRegions(feeds, l, t.regions!);
        else feeds[`gram_${l}`] = t.grams.get(l)!;
        feeds[`k_style_${l}`] = new Float32Array([k.style.get(l)!]);
      }
      const r = await prog.run(feeds);
      return { total: r.total[0], content: r.content[0], style: r.style[0], tv: r.tv[0], grad: r.grad };
    };
  }

  /** Lets the target programs (and their memory) go; they are compiled again when needed. */
  async releaseTargets(): Promise<void> {
    await this.targetPrograms.clear();
  }

  async release(): Promise<void> {
    await Promise.all([this.programs.clear(), this.targetPrograms.clear()]);
  }
}

function feedRegions(feeds: Record<string, Float32Array>, l: string, t: RegionTargets): void {
  const scales = t.scales.get(l)!;
  for (const [r, m] of t.masks.get(l)!.entries()) {
    feeds[`rmask_${l}_${r}`] = m;
    feeds[`rscale_${l}_${r}`] = new Float32Array([scales[r]]);
    feeds[`rgram_${l}_${r}`] = t.grams.get(l)![r];
  }
}

export function meanSquare(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s / a.length;
}
