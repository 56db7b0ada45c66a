/**
 * One training iteration of pytorch/examples fast_neural_style (neural_style.py train()) as
 * one ONNX Runtime session: y = transformer(x); VGG-16 features of normalize_batch(y) and
 * normalize_batch(x); content and style losses (losses.ts); their gradient with respect to
 * every TransformerNet parameter by the engine's reverse-mode autodiff. Adam (torch's
 * defaults: betas 0.9/0.999, eps 1e-8) then steps the parameters in place in JavaScript
 * (SIMD), as optimizer.step() does.
 *
 * The transformer's weights are fed inputs (`T.<state_dict key>`), so the compiled session
 * serves every step; the style Gram matrices are inputs too. VGG's weights are constants
 * (frozen, as requires_grad=False), which lets the engine pick its fast convolution forms.
 */
import { F, Graph, Program, type Tensor } from '../engine/index.js';
import type { VGGFeatures } from '../models/vgg.js';
import { Ctx, type Module } from '../nn/index.js';
import { Bound, NetAdam, SessionCache, assertTraining, checkBatch, compile, imageOut, scalar, type ImageBatch } from '../gan/step_common.js';
import { featureReconstructionLoss, gramMatrix, normalizeBatch, styleReconstructionLoss } from './losses.js';

export const CONTENT_LAYER = 'relu2_2';
export const STYLE_LAYERS: readonly string[] = ['relu1_2', 'relu2_2', 'relu3_3', 'relu4_3'];

export interface LossWeights {
  /** --content-weight (1e5 in the reference). */
  contentWeight: number;
  /** --style-weight (1e10 in the reference). */
  styleWeight: number;
  /**
   * Extra factors on the content term and on each style layer's term: 1 with pretrained VGG.
   * With random VGG weights the layers' magnitudes are arbitrary, so the trainer divides each
   * term by its target's mean square (see styleTargets).
   */
  contentScale?: number;
  styleScales?: readonly number[];
}

export interface StyleTargets {
  /** G_φ(style) per style layer, [1, C, C]. */
  grams: Float32Array[];
  shapes: number[][];
  /** Mean squares of each Gram and of the style image's content-layer activations (for random VGG). */
  gramMeanSquares: number[];
  contentMeanSquare: number;
}

export interface FastLosses {
  content: number;
  style: number;
  total: number;
}

function meanSquare(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s / a.length;
}

/** gram_style of the reference: the style image's Gram matrices (image in 0-255, [1, 3, H, W]). */
export async function styleTargets(vgg: VGGFeatures, style: ImageBatch, threads?: number): Promise<StyleTargets> {
  checkBatch('style image', style, 3);
  const g = new Graph();
  const x = g.input('style', style.shape);
  const f = vgg.extract(new Ctx(g, { root: vgg }), normalizeBatch(x), [...STYLE_LAYERS, CONTENT_LAYER]);
  const outs: Record<string, Tensor> = { content: f.get(CONTENT_LAYER)! };
  STYLE_LAYERS.forEach((l, i) => (outs[`gram${i}`] = gramMatrix(f.get(l)!)));
  const p = await Program.create(outs, { threads });
  try {
    const r = await p.run({ style: style.data });
    const grams = STYLE_LAYERS.map((_, i) => Float32Array.from(r[`gram${i}`]));
    return {
      grams,
      shapes: STYLE_LAYERS.map((_, i) => [...outs[`gram${i}`].shape]),
      gramMeanSquares: grams.map(meanSquare),
      contentMeanSquare: meanSquare(r.content),
    };
  } finally {
    await p.release();
  }
}

export interface FastTrainStepOptions {
  lr?: number;
  threads?: number;
  checkFinite?: boolean;
}

interface Compiled {
  program: Program;
  T: Bound;
  outShape: readonly number[];
}

export class FastTrainStep {
  readonly optimizer: NetAdam;
  private readonly train = new SessionCache<Compiled>();
  private readonly evals = new SessionCache<Compiled>();

  constructor(
    readonly net: Module,
    readonly vgg: VGGFeatures,
    readonly targets: StyleTargets,
    readonly weights: LossWeights,
    readonly opts: FastTrainStepOptions = {},
  ) {
    this.optimizer = new NetAdam('T', net, { lr: opts.lr ?? 1e-3, beta1: 0.9, beta2: 0.999 });
  }

  private feeds(x: ImageBatch, c: Compiled): Record<string, Float32Array> {
    const feeds: Record<string, Float32Array> = { x: x.data, ...c.T.feeds() };
    this.targets.grams.forEach((gm, i) => (feeds[`gram_style.${i}`] = gm));
    return feeds;
  }

  /** One optimizer step on batch x (0-255, [N, 3, H, W]); the losses as the reference's .item() values. */
  async step(x: ImageBatch): Promise<FastLosses> {
    checkBatch('x', x, 3);
    assertTraining('transformer', this.net);
    const c = await this.train.get(x.shape.join('x'), () => this.compile(x.shape, true));
    const r = await c.program.run(this.feeds(x, c), { checkFinite: this.opts.checkFinite ?? true });
    this.optimizer.step(r);
    return { content: scalar(r, 'loss.content'), style: scalar(r, 'loss.style'), total: scalar(r, 'loss.total') };
  }

  /** The losses and output for x without a step (held-back images, sample grids). */
  async evaluate(x: ImageBatch): Promise<FastLosses & { y: ImageBatch }> {
    checkBatch('x', x, 3);
    const c = await this.evals.get(x.shape.join('x'), () => this.compile(x.shape, false));
    const r = await c.program.run(this.feeds(x, c));
    return {
      content: scalar(r, 'loss.content'),
      style: scalar(r, 'loss.style'),
      total: scalar(r, 'loss.total'),
      y: imageOut(r, 'y', c.outShape),
    };
  }

  async release(): Promise<void> {
    await Promise.all([this.train.release(), this.evals.release()]);
  }

  private async compile(shape: readonly number[], withGrad: boolean): Promise<Compiled> {
    const { contentWeight, styleWeight, contentScale = 1, styleScales } = this.weights;
    const g = new Graph();
    const T = new Bound('T', this.net, g);
    const vggCtx = new Ctx(g, { root: this.vgg });
    const x = g.input('x', shape);
    const y = T.call(x, 'transformer');
    const featuresY = this.vgg.extract(vggCtx, normalizeBatch(y), STYLE_LAYERS);
    const featuresX = this.vgg.extract(vggCtx, normalizeBatch(x), [CONTENT_LAYER]);
    let content = featureReconstructionLoss(featuresY.get(CONTENT_LAYER)!, featuresX.get(CONTENT_LAYER)!);
    content = g.scope('loss', () => F.mul(content, contentWeight * contentScale));
    const gramS = STYLE_LAYERS.map((_, i) => g.input(`gram_style.${i}`, this.targets.shapes[i]));
    const gramY = STYLE_LAYERS.map((l) => gramMatrix(featuresY.get(l)!));
    const style = F.mul(styleReconstructionLoss(gramY, gramS, styleScales), styleWeight);
    const total = F.add(content, style);
    const outputs: Record<string, Tensor> = { 'loss.content': content, 'loss.style': style, 'loss.total': total };
    if (withGrad) Object.assign(outputs, T.gradOutputs(total));
    else outputs.y = y;
    const program = withGrad ? await compile(outputs, this.opts.threads) : await Program.create(outputs, { threads: this.opts.threads });
    return { program, T, outShape: y.shape };
  }
}
