/**
 * Style-transfer features and cost for images larger than one window (see tiles.ts).
 *
 * The style cost is not a sum over windows (it squares the difference of whole-image Gram
 * matrices), so an evaluation takes two passes: the windows' interior Grams are summed into
 * G; then, with M = ∂J/∂G fixed, each window back-propagates the linear term <M, G_window>
 * plus its content term, whose gradients add up to the exact whole-image gradient.
 */
import { F, Graph, Program, grad, type Tensor } from '../engine/index.js';
import { gram } from './costs.js';
import { FEATURES_POLICY, compileWarm, vggFeatures, type Coefficients, type CostValues, type StyleNet, type Targets } from './objective.js';
import { addWindow, cropWindow, interiorMask, layerSize, placeInterior, windowOfLayer, type Span, type TilePlan } from './tiles.js';

function* windows(plan: TilePlan): Generator<[Span, Span]> {
  for (const r of plan.rows) for (const c of plan.cols) yield [r, c];
}

/** Per-layer masks of each window, computed once per plan. */
function masksFor(plan: TilePlan, layers: readonly string[]): Map<string, Float32Array>[] {
  return [...windows(plan)].map(([r, c]) => new Map(layers.map((l) => [l, interiorMask(l, plan, r, c)])));
}

/** The interior-mask input of layer l ([1,1,h,w], broadcast over channels), one per graph. */
function maskInputs(g: Graph): (l: string, a: Tensor) => Tensor {
  const made = new Map<string, Tensor>();
  return (l, a) => {
    let m = made.get(l);
    if (!m) made.set(l, (m = g.input(`mask_${l}`, [1, 1, a.shape[2], a.shape[3]])));
    return m;
  };
}

/**
 * One window's activations (outputs act_<l>) and interior Gram matrices (gram_<l>, inputs
 * mask_<l>), for whole-image features and for the cost's first pass alike. With `regions` > 0
 * (spatial control) the Grams are per region instead: gram_<l>_<r> with inputs mask_<l>_<r>,
 * each the region's mask times the interior.
 */
function windowFeatures(net: StyleNet, plan: TilePlan, acts: readonly string[], grams: readonly string[], regions = 0): Promise<Program> {
  const tag = regions > 0 ? `|regions${regions}` : '';
  return net.targetPrograms.get(`tilefeatures|${net.weightsId}|${plan.th}x${plan.tw}|${acts}|${grams}${tag}`, () => {
    const g = new Graph({ policy: FEATURES_POLICY });
    const x = g.input('image', [1, 3, plan.th, plan.tw]);
    const mask = maskInputs(g);
    const f = vggFeatures(net.vgg, g, x, [...acts, ...grams]);
    const outs: Record<string, Tensor> = {};
    for (const l of acts) outs[`act_${l}`] = f.get(l)!;
    for (const l of grams) {
      if (regions > 0) for (let r = 0; r < regions; r++) outs[`gram_${l}_${r}`] = gram(F.mul(f.get(l)!, mask(`${l}_${r}`, f.get(l)!)));
      else outs[`gram_${l}`] = gram(F.mul(f.get(l)!, mask(l, f.get(l)!)));
    }
    return Program.create(outs, net.runtime);
  });
}

/** A region's mask (whole-image layer grid) cut to a window's grid, zero outside its interior. */
function regionWindow(l: string, plan: TilePlan, row: Span, col: Span, mask: Float32Array, out?: Float32Array): Float32Array {
  return windowOfLayer(l, plan, row, col, 1, mask, out);
}

/**
 * Whole-image activations (`acts`) and Gram matrices (`grams`) of an image computed window
 * by window: the same results as one pass, in the memory of one window. At least one list
 * must be non-empty (a program needs an output). With `regionMasks` (per gram layer, on the
 * whole image's layer grid) the Grams are of the activations times those masks.
 */
export async function tiledFeatures(
  net: StyleNet,
  plan: TilePlan,
  image: Float32Array,
  acts: readonly string[],
  grams: readonly string[],
  regionMasks?: Map<string, Float32Array>,
): Promise<{ acts: Map<string, Float32Array>; grams: Map<string, Float32Array> }> {
  const prog = await windowFeatures(net, plan, acts, grams);
  const outActs = new Map<string, Float32Array>();
  const channels = new Map<string, number>();
  for (const l of acts) {
    const t = prog.outputs.get(`act_${l}`)!;
    channels.set(l, t.shape[1]);
    outActs.set(l, new Float32Array(t.shape[1] * layerSize(l, plan.height) * layerSize(l, plan.width)));
  }
  const outGrams = new Map<string, Float64Array>();
  const masks = masksFor(plan, grams);
  const buf = new Float32Array(3 * plan.th * plan.tw);
  let i = 0;
  for (const [r, c] of windows(plan)) {
    const feeds: Record<string, Float32Array> = { image: cropWindow(image, plan, r, c, buf) };
    for (const l of grams) feeds[`mask_${l}`] = regionMasks ? regionWindow(l, plan, r, c, regionMasks.get(l)!) : masks[i].get(l)!;
    const res = await prog.run(feeds);
    for (const l of acts) placeInterior(l, plan, r, c, channels.get(l)!, res[`act_${l}`], outActs.get(l)!);
    for (const l of grams) accumulate(outGrams, l, res[`gram_${l}`]);
    i++;
  }
  return { acts: outActs, grams: new Map([...outGrams].map(([l, v]) => [l, Float32Array.from(v)])) };
}

function accumulate(into: Map<string, Float64Array>, l: string, v: Float32Array): void {
  let a = into.get(l);
  if (!a) into.set(l, (a = new Float64Array(v.length)));
  for (let j = 0; j < v.length; j++) a[j] += v[j];
}

/**
 * J(G) and dJ/dG of an image tiled by `plan`, with the same targets and coefficients as the
 * one-pass objective (content targets are whole-image activations).
 */
export async function tiledObjective(net: StyleNet, plan: TilePlan, contentLayers: readonly string[], styleLayers: readonly string[], regions = 0) {
  const gramProg = styleLayers.length === 0 ? null : await windowFeatures(net, plan, [], styleLayers, regions);
  // Spatial control: per region r the names <l>_<r>, each with the region's guided Gram.
  const keys = (l: string) => (regions > 0 ? Array.from({ length: regions }, (_, r) => `${l}_${r}`) : [l]);
  const tag = regions > 0 ? `|regions${regions}` : '';
  const gradProg = await net.programs.get(`tilecost|${net.weightsId}|${plan.th}x${plan.tw}|${contentLayers}|${styleLayers}${tag}`, () => {
    const g = new Graph();
    const x = g.input('image', [1, 3, plan.th, plan.tw]);
    const mask = maskInputs(g);
    const f = vggFeatures(net.vgg, g, x, [...contentLayers, ...styleLayers]);
    // content: Σ_l k_l Σ mask (a_G − a_C)², k_l already holding 1/(4 nH nW nC) of the whole image.
    let content: Tensor = g.scalar(0);
    for (const l of contentLayers) {
      const a = f.get(l)!;
      const d = F.sub(a, g.input(`content_${l}`, a.shape));
      const s = F.reduceSum(F.mul(F.square(d), mask(l, a)));
      content = F.add(content, F.mul(s, g.input(`k_content_${l}`, [])));
    }
    // style: the linear term <M_l, G_window>, whose gradient is the window's share of dJ/dG.
    let linear: Tensor = F.mul(content, g.input('alpha', []));
    for (const l of styleLayers) {
      const a = f.get(l)!;
      const c = a.shape[1];
      for (const key of keys(l)) {
        const G = gram(F.mul(a, mask(key, a)));
        linear = F.add(linear, F.reduceSum(F.mul(G, g.input(`M_${key}`, [c, c]))));
      }
    }
    const [gx] = grad(linear, [x]);
    return compileWarm({ content, grad: gx }, net.runtime);
  });
  const allLayers = [...new Set([...contentLayers, ...styleLayers])];
  const masks = masksFor(plan, allLayers);
  const inputs = new Map(gradProg.inputs.map((t) => [t.name, t]));
  // A window's content target: the layer's [1, C, lh, lw] input, reused across windows.
  const contentBufs = new Map(contentLayers.map((l) => [l, new Float32Array(inputs.get(`content_${l}`)!.size)]));
  const img = new Float32Array(3 * plan.th * plan.tw);

  return async (image: Float32Array, t: Targets, k: Coefficients): Promise<CostValues & { grad: Float32Array }> => {
    // Pass 1: the generated image's whole-image Grams.
    const G = new Map<string, Float64Array>();
    let i = 0;
    for (const [r, c] of gramProg ? windows(plan) : []) {
      const feeds: Record<string, Float32Array> = { image: cropWindow(image, plan, r, c, img) };
      for (const l of styleLayers) {
        if (regions > 0) for (const [q, key] of keys(l).entries()) feeds[`mask_${key}`] = regionWindow(l, plan, r, c, t.regions!.masks.get(l)![q]);
        else feeds[`mask_${l}`] = masks[i].get(l)!;
      }
      const res = await gramProg!.run(feeds);
      for (const l of styleLayers) for (const key of keys(l)) accumulate(G, key, res[`gram_${key}`]);
      i++;
    }
    // J_style and M = β ∂J_style/∂G, with J_style_layer's 1/(4 nC² (nH nW)²) of the whole image.
    let style = 0;
    const M = new Map<string, Float32Array>();
    for (const l of styleLayers) {
      for (const [q, key] of keys(l).entries()) {
        const gG = G.get(key)!;
        const gS = regions > 0 ? t.regions!.grams.get(l)![q] : t.grams.get(l)!;
        // A guided Gram is the masked Gram times the region's scale (costs.ts); 1 unguided.
        const sc = regions > 0 ? t.regions!.scales.get(l)![q] : 1;
        const hw = layerSize(l, plan.height) * layerSize(l, plan.width);
        const norm = 4 * gS.length * hw * hw;
        const kl = k.style.get(l)!;
        const m = new Float32Array(gS.length);
        let s = 0;
        for (let j = 0; j < gS.length; j++) {
          const d = sc * gG[j] - gS[j];
          s += d * d;
          m[j] = (k.beta * kl * 2 * sc * d) / norm;
        }
        style += (kl * s) / norm;
        M.set(key, m);
      }
    }
    // Pass 2: each window's content term and share of the gradient.
    const gradient = new Float32Array(image.length);
    let content = 0;
    // What every window is fed alike; the loop adds its own crop, masks and content target.
    // k_content times J_content's 1/(4 nH nW nC): the whole-image target holds nC·nH·nW values.
    const shared: Record<string, Float32Array> = { alpha: new Float32Array([k.alpha]) };
    for (const l of contentLayers) shared[`k_content_${l}`] = new Float32Array([k.content.get(l)! / (4 * t.content.get(l)!.length)]);
    for (const l of styleLayers) for (const key of keys(l)) shared[`M_${key}`] = M.get(key)!;
    i = 0;
    for (const [r, c] of windows(plan)) {
      const feeds: Record<string, Float32Array> = { ...shared, image: cropWindow(image, plan, r, c, img) };
      for (const l of regions > 0 ? contentLayers : allLayers) feeds[`mask_${l}`] = masks[i].get(l)!;
      if (regions > 0) {
        for (const l of styleLayers) for (const [q, key] of keys(l).entries()) feeds[`mask_${key}`] = regionWindow(l, plan, r, c, t.regions!.masks.get(l)![q]);
      }
      for (const l of contentLayers) {
        const ch = inputs.get(`content_${l}`)!.shape[1];
        feeds[`content_${l}`] = windowOfLayer(l, plan, r, c, ch, t.content.get(l)!, contentBufs.get(l)!);
      }
      const res = await gradProg.run(feeds);
      content += res.content[0];
      addWindow(gradient, plan, r, c, res.grad);
      i++;
    }
    const tv = tvAddGrad(image, 3, plan.height, plan.width, k.gamma, gradient);
    return { total: k.alpha * content + k.beta * style + k.gamma * tv, content, style, tv, grad: gradient };
  };
}

/** J_tv of a [C, h, w] image, adding γ ∂J_tv/∂x into `grad` (the graph's J_tv, in plain loops). */
export function tvAddGrad(x: Float32Array, channels: number, h: number, w: number, gamma: number, grad: Float32Array): number {
  let tv = 0;
  for (let c = 0; c < channels; c++) {
    const o = c * h * w;
    for (let y = 0; y < h; y++) {
      for (let i = o + y * w; i < o + y * w + w; i++) {
        if (y + 1 < h) {
          const d = x[i + w] - x[i];
          tv += d * d;
          grad[i + w] += 2 * gamma * d;
          grad[i] -= 2 * gamma * d;
        }
        if (i + 1 < o + y * w + w) {
          const d = x[i + 1] - x[i];
          tv += d * d;
          grad[i + 1] += 2 * gamma * d;
          grad[i] -= 2 * gamma * d;
        }
      }
    }
  }
  return tv;
}
