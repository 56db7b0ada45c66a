/**
 * What the CycleGAN and pix2pix training steps share: binding networks into one graph with
 * their weights as fed inputs, Adam on each network's flattened parameters, and writing
 * batch-norm running statistics back after a step.
 */
import { F, GraphError, Program, grad, type Graph, type Results, type Tensor } from '../engine/index.js';
import { stopGradient } from '../engine/ops/stop_gradient.js';
import { BatchNorm2d, Ctx, type CtxOptions, type Module, type Parameter } from '../nn/index.js';
import { Adam, type AdamOptions } from '../optim/adam.js';

/**
 * A batch of images, [N, C, H, W] float32, values in [-1, 1] as the official transforms give
 * (the same structure as the image pool's PoolBatch, so pool.query can sit between the steps).
 */
export interface ImageBatch {
  data: Float32Array;
  shape: number[];
}

export function checkBatch(what: string, b: ImageBatch, channels?: number): void {
  if (b.shape.length !== 4)
    throw new GraphError(`${what}: expected an [N,C,H,W] batch, got shape [${b.shape}]`);
  if (b.data.length !== b.shape.reduce((a, c) => a * c, 1)) {
    throw new GraphError(`${what}: ${b.data.length} values do not fill shape [${b.shape}]`);
  }
  if (channels !== undefined && b.shape[1] !== channels)
    throw new GraphError(`${what}: expected ${channels} channels, got shape [${b.shape}]`);
}

export const shapeKey = (...bs: ImageBatch[]): string => bs.map((b) => b.shape.join('x')).join(',');

/**
 * The official optimize_parameters always runs in training mode (batch statistics, active
 * dropout); the compiled graphs assume it, so a network in eval mode is refused.
 */
export function assertTraining(name: string, net: Module): void {
  for (const m of net.modules()) {
    if (!m.training)
      throw new GraphError(`${name}: a training step needs the network in training mode (call .train())`);
  }
}

/** A Ctx whose parameters may be given tensors of the graph (weights computed in it). */
class OverrideCtx extends Ctx {
  constructor(
    graph: Graph,
    opts: CtxOptions,
    private readonly over: ReadonlyMap<Parameter, Tensor>,
  ) {
    super(graph, opts);
  }
  override t(p: Parameter): Tensor {
    return this.over.get(p) ?? super.t(p);
  }
}

/**
 * One network in one graph: every parameter is a fed input named `<name>.<state_dict key>`
 * (so the compiled session is reused while the weights change), gradients are built only
 * when asked for, and batch-norm updates come out as extra outputs.
 */
export class Bound {
  readonly ctx: Ctx;
  /** `weights` binds parameters to given tensors instead of fed inputs (see NetAdam.inGraph). */
  constructor(
    readonly name: string,
    readonly net: Module,
    graph: Graph,
    weights?: ReadonlyMap<Parameter, Tensor>,
  ) {
    const opts: CtxOptions = { root: net, prefix: `${name}.`, trainable: 'all' };
    this.ctx = weights ? new OverrideCtx(graph, opts, weights) : new Ctx(graph, opts);
  }

  /** Runs the network, labelling its nodes with the network's name for error messages. */
  call(x: Tensor, label = this.name): Tensor {
    return this.ctx.graph.scope(label, () => this.net.forward(this.ctx, x));
  }

  params(): [string, Parameter][] {
    return Array.from(this.net.namedParameters());
  }

  /** d loss / d parameter for each parameter, as outputs named grad.<name>.<key>. */
  gradOutputs(loss: Tensor): Record<string, Tensor> {
    const ps = this.params();
    const inputs = ps.map(([k, p]) => {
      const t = this.ctx.inputs.get(p);
      if (!t) throw new GraphError(`${this.name}.${k} is not used by the loss`);
      return t;
    });
    const gs = grad(loss, inputs);
    const out: Record<string, Tensor> = {};
    ps.forEach(([k], i) => (out[`grad.${this.name}.${k}`] = gs[i]));
    return out;
  }

  updateOutputs(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    this.ctx.updates.forEach((u, i) => (out[`bn.${this.name}.${i}`] = u.value));
    return out;
  }

  feeds(): Record<string, Float32Array> {
    return this.ctx.paramFeeds();
  }
}

/**
 * Builds a graph with every BatchNorm running statistic temporarily zero. In training mode
 * those statistics only enter the update `(1-m)·running + m·batch`, which is baked into the
 * compiled session as a constant; with zeros there, the update output is exactly the batch's
 * share `m·batch`, and applyBatchNormUpdates folds it into the current value after each run.
 */
export function buildWithZeroStats<T>(nets: readonly Module[], build: () => T): T {
  const saved: [Parameter, Float32Array][] = [];
  for (const net of nets) {
    for (const m of net.modules()) {
      if (!(m instanceof BatchNorm2d)) continue;
      for (const p of [m.runningMean, m.runningVar]) {
        saved.push([p, p.f32]);
        p.data = new Float32Array(p.f32.length);
      }
    }
  }
  try {
    return build();
  } finally {
    for (const [p, d] of saved) p.data = d;
  }
}

/**
 * running ← (1-m)·running + share for each batch-norm call, in the order the calls were made
 * (a network used three times in one step updates its statistics three times, as in PyTorch),
 * and num_batches_tracked + 1 per call.
 */
export function applyBatchNormUpdates(b: Bound, results: Results): void {
  const updates = b.ctx.updates;
  if (updates.length === 0) return;
  const owner = new Map<Parameter, BatchNorm2d>();
  for (const m of b.net.modules())
    if (m instanceof BatchNorm2d) owner.set(m.runningMean, m).set(m.runningVar, m);
  updates.forEach((u, i) => {
    const bn = owner.get(u.param);
    if (!bn)
      throw new GraphError(
        `${b.name}: a running-statistic update for a parameter outside its batch-norm layers`,
      );
    const m = bn.opts.momentum ?? 0.1;
    const share = results[`bn.${b.name}.${i}`];
    const r = u.param.f32;
    for (let j = 0; j < r.length; j++) r[j] = (1 - m) * r[j] + share[j];
    if (u.param === bn.runningMean) {
      const t = bn.numBatchesTracked.data;
      if (!(t instanceof BigInt64Array)) throw new GraphError(`${b.name}: num_batches_tracked is not int64`);
      t[0] += 1n;
    }
  });
}

/**
 * Adam over one network's parameters laid end to end (namedParameters order), as
 * torch.optim.Adam steps them. Each parameter is updated in place from its gradient output;
 * no flat copies (for pix2pix's 57M parameters those copies cost more than Adam itself).
 */
export class NetAdam {
  readonly adam: Adam;
  readonly params: [string, Parameter][];
  readonly size: number;
  private last: Float32Array[] = [];
  constructor(
    readonly name: string,
    net: Module,
    opts: AdamOptions,
  ) {
    this.params = Array.from(net.namedParameters());
    this.size = this.params.reduce((s, [, p]) => s + p.f32.length, 0);
    this.adam = new Adam(this.size, opts);
  }

  /** The flat gradient of the last step (namedParameters order), assembled on each call. */
  get grad(): Float32Array {
    const out = new Float32Array(this.size);
    let o = 0;
    for (const g of this.last) {
      out.set(g, o);
      o += g.length;
    }
    return out;
  }

  set lr(v: number) {
    this.adam.opts.lr = v;
  }
  get lr(): number {
    return this.adam.opts.lr;
  }

  /**
   * Adam inside the session, for a network whose new weights the same session uses again
   * (pix2pix's G loss sees D after its step): from the gradient outputs `grads`
   * (grad.<name>.<key>) and fed moments, the new weights as tensors (gradient-stopped: PyTorch
   * holds them as leaves) and outputs for them and the moments, which `finishInGraph` stores.
   * float32, in the order of `step`'s SIMD kernel and PyTorch (ORT may fuse it differently: an
   * ulp of the update at most).
   */
  inGraph(
    b: Bound,
    grads: Record<string, Tensor>,
  ): { weights: Map<Parameter, Tensor>; outputs: Record<string, Tensor> } {
    const { beta1, beta2, eps } = this.adam.constants(1);
    const g = b.ctx.graph;
    const stepSize = g.input(`adam.${this.name}.step_size`, []);
    const bc2 = g.input(`adam.${this.name}.bc2`, []);
    const weights = new Map<Parameter, Tensor>();
    const outputs: Record<string, Tensor> = {};
    for (const [k, p] of this.params) {
      const x = b.ctx.inputs.get(p);
      const gk = grads[`grad.${this.name}.${k}`];
      if (!x || !gk)
        throw new GraphError(`${this.name}.${k}: no weight input or gradient for an in-graph Adam step`);
      const m = F.add(F.mul(g.input(`adam.${this.name}.m.${k}`, p.shape), beta1), F.mul(gk, 1 - beta1));
      const v = F.add(
        F.mul(g.input(`adam.${this.name}.v.${k}`, p.shape), beta2),
        F.mul(F.mul(gk, 1 - beta2), gk),
      );
      const x1 = F.sub(x, F.div(F.mul(m, stepSize), F.add(F.div(F.sqrt(v), bc2), eps)));
      weights.set(p, stopGradient(x1));
      outputs[`adam.${this.name}.x.${k}`] = x1;
      outputs[`adam.${this.name}.m1.${k}`] = m;
      outputs[`adam.${this.name}.v1.${k}`] = v;
    }
    return { weights, outputs };
  }

  /** Feeds for `inGraph`: the moments (views of the flat state) and this step's constants. */
  inGraphFeeds(): Record<string, Float32Array> {
    const { stepSize, bc2 } = this.adam.constants(this.adam.step + 1);
    const feeds: Record<string, Float32Array> = {
      [`adam.${this.name}.step_size`]: Float32Array.of(stepSize),
      [`adam.${this.name}.bc2`]: Float32Array.of(bc2),
    };
    let o = 0;
    for (const [k, p] of this.params) {
      const n = p.f32.length;
      feeds[`adam.${this.name}.m.${k}`] = this.adam.m.subarray(o, o + n);
      feeds[`adam.${this.name}.v.${k}`] = this.adam.v.subarray(o, o + n);
      o += n;
    }
    return feeds;
  }

  /** Stores what `inGraph`'s outputs computed: weights, moments, the step count and the gradient. */
  finishInGraph(results: Results): void {
    const get = (key: string): Float32Array => {
      const r = results[key];
      if (!r) throw new GraphError(`no output ${key}`);
      return r;
    };
    const gs: Float32Array[] = [];
    let o = 0;
    for (const [k, p] of this.params) {
      p.f32.set(get(`adam.${this.name}.x.${k}`));
      this.adam.m.set(get(`adam.${this.name}.m1.${k}`), o);
      this.adam.v.set(get(`adam.${this.name}.v1.${k}`), o);
      gs.push(get(`grad.${this.name}.${k}`));
      o += p.f32.length;
    }
    this.adam.begin();
    this.last = gs;
  }

  /** One step from the gradients in `results` (outputs grad.<name>.<key>). */
  step(results: Results): void {
    const gs = this.params.map(([k]) => {
      const key = `grad.${this.name}.${k}`;
      const g = results[key];
      if (!g) throw new GraphError(`no gradient output ${key}`);
      return g;
    });
    this.adam.begin();
    let o = 0;
    this.params.forEach(([, p], i) => {
      const d = p.f32;
      this.adam.updateAt(d, gs[i], o);
      o += d.length;
    });
    this.last = gs;
  }
}

export function imageOut(results: Results, name: string, shape: readonly number[]): ImageBatch {
  const data = results[name];
  if (!data) throw new GraphError(`no output ${name}`);
  return { data: Float32Array.from(data), shape: [...shape] };
}

export function scalar(results: Results, name: string): number {
  const v = results[name];
  if (!v || v.length !== 1) throw new GraphError(`no scalar output ${name}`);
  return v[0];
}

/** --lr and --beta1 of the official train options. */
export interface OptimizerOptions {
  lr: number;
  beta1: number;
}

/** The official models build Adam with betas=(opt.beta1, 0.999): beta2 is not an option there. */
export function adamOptions(o: OptimizerOptions): AdamOptions {
  return { lr: o.lr, beta1: o.beta1, beta2: 0.999 };
}

/**
 * A step's session. Some outputs may legitimately be constants: with wgangp the loss is linear
 * in D's output, so the gradient of D's last bias is the constant -1 + 1 = 0.
 */
export function compile(outputs: Record<string, Tensor>, threads?: number): Promise<Program> {
  return Program.create(withoutOutputReshapes(outputs), { threads, allowConstantOutputs: true });
}

/**
 * ORT never lets a graph output alias another tensor, so a Reshape into an output is a copy:
 * weight gradients come out of MatMuls as [K, C·kh·kw] (conv_grad.ts) and were copied into
 * [K, C, kh, kw] outputs (pix2pix: 54M floats a step, ~60 ms of Reshape kernels at 1 thread).
 * Results are flat Float32Arrays and a Reshape keeps the order, so the output can be the
 * Reshape's input.
 */
function withoutOutputReshapes(outs: Record<string, Tensor>): Record<string, Tensor> {
  const inner = (t: Tensor): Tensor => {
    let u = t;
    while (u.source.kind === 'node' && u.source.node.type === 'Reshape') {
      const x = u.source.node.inputs[0];
      if (x.source.kind !== 'node') break;
      u = x;
    }
    return u;
  };
  return Object.fromEntries(Object.entries(outs).map(([k, t]) => [k, inner(t)]));
}

/** A step's compiled sessions by input shapes: each built once, all released together. */
export class SessionCache<T extends { program: Program }> {
  private readonly map = new Map<string, Promise<T>>();

  get(key: string, make: () => Promise<T>): Promise<T> {
    let c = this.map.get(key);
    if (!c) {
      c = make();
      this.map.set(key, c);
    }
    return c;
  }

  async release(): Promise<void> {
    const all = [...this.map.values()];
    this.map.clear();
    await Promise.all(
      all.map((c) =>
        c.then(
          (x) => x.program.release(),
          () => undefined,
        ),
      ),
    );
  }
}
