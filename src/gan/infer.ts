/**
 * Forward passes without gradients, as the reference's model.test() (torch.no_grad): the
 * networks are frozen into the graph as constants and each module keeps its mode, so without
 * --eval batch norm normalises with the batch's statistics and dropout stays active (masks
 * drawn from a seeded Rng), exactly what the official test.py does by default. One session
 * per input shape, compiled on first use and kept in a ProgramCache; the weights are baked in,
 * so build a new Inference after changing them.
 */
import { Graph, GraphError, Program, ProgramCache, type Tensor } from '../engine/index.js';
import { Ctx, Rng, sampleDropout, type Module } from '../nn/index.js';
import type { ImageBatch } from './step_common.js';

/** Calls a bound network on a tensor; `label` names its nodes in error messages. */
export type CallNet = (name: string, x: Tensor, label?: string) => Tensor;

/** Builds the outputs (name -> tensor) from the inputs, calling networks through `call`. */
export type InferenceBuilder = (inputs: Record<string, Tensor>, call: CallNet) => Record<string, Tensor>;

export interface InferenceOptions {
  threads?: number;
  /** Dropout masks for networks in training mode. */
  rng?: Rng;
  /** Distinct input shapes kept compiled. */
  capacity?: number;
}

interface Meta {
  ctxs: Ctx[];
  shapes: Record<string, readonly number[]>;
}

export class Inference {
  private readonly cache: ProgramCache;
  private readonly meta = new Map<string, Meta>();
  readonly rng: Rng;

  constructor(
    readonly nets: Record<string, Module>,
    private readonly build: InferenceBuilder,
    private readonly opts: InferenceOptions = {},
  ) {
    this.cache = new ProgramCache(opts.capacity ?? 4);
    this.rng = opts.rng ?? new Rng(0);
  }

  async run(inputs: Record<string, ImageBatch>): Promise<Record<string, ImageBatch>> {
    const names = Object.keys(inputs).sort();
    const key = names.map((n) => `${n}:${inputs[n].shape.join('x')}`).join(',');
    const program = await this.cache.get(key, async () => {
      const { outputs, meta } = this.compile(inputs);
      this.meta.set(key, meta);
      return Program.create(outputs, { threads: this.opts.threads });
    });
    const meta = this.meta.get(key);
    if (!meta) throw new GraphError('inference: compiled program without its description');
    const feeds: Record<string, Float32Array> = {};
    for (const n of names) feeds[n] = inputs[n].data;
    for (const ctx of meta.ctxs) Object.assign(feeds, sampleDropout(ctx, this.rng));
    const r = await program.run(feeds);
    const out: Record<string, ImageBatch> = {};
    for (const [k, shape] of Object.entries(meta.shapes))
      out[k] = { data: Float32Array.from(r[k]), shape: [...shape] };
    return out;
  }

  private compile(inputs: Record<string, ImageBatch>): { outputs: Record<string, Tensor>; meta: Meta } {
    const g = new Graph();
    const ctxs = new Map<string, Ctx>();
    const call: CallNet = (name, x, label = name) => {
      const net = this.nets[name];
      if (!net) throw new GraphError(`inference: no network named ${name}`);
      let ctx = ctxs.get(name);
      if (!ctx) {
        ctx = new Ctx(g, { root: net, prefix: `${name}.`, trainable: 'none' });
        ctxs.set(name, ctx);
      }
      const c = ctx;
      return g.scope(label, () => net.forward(c, x));
    };
    const ins: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(inputs)) ins[k] = g.input(k, v.shape);
    const outputs = this.build(ins, call);
    const shapes: Record<string, readonly number[]> = {};
    for (const [k, t] of Object.entries(outputs)) shapes[k] = t.shape;
    return { outputs, meta: { ctxs: [...ctxs.values()], shapes } };
  }

  async release(): Promise<void> {
    await this.cache.clear();
    this.meta.clear();
  }
}
