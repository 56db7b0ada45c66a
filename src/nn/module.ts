/**
 * Modules hold parameters under the exact names PyTorch gives them, so a
 * state_dict key maps to one registration here. `forward` builds graph nodes
 * through a Ctx, which decides whether each parameter is a frozen constant
 * (pre-packed by ORT) or a fed input (trainable, with a gradient).
 */
import { GraphError, fmtShape, sizeOf, type Graph, type Shape, type Tensor } from '../engine/graph.js';

export type ParamData = Float32Array | BigInt64Array;

export class Parameter {
  constructor(
    public shape: number[],
    public data: ParamData,
    /** Buffers (running statistics) are saved but never trained. */
    readonly kind: 'param' | 'buffer' = 'param',
  ) {
    if (data.length !== sizeOf(shape)) throw new GraphError(`Parameter: ${data.length} values for shape ${fmtShape(shape)}`);
  }
  get f32(): Float32Array {
    if (!(this.data instanceof Float32Array)) throw new GraphError('Parameter: not a float32 tensor');
    return this.data;
  }
}

export interface TensorValue {
  shape: readonly number[];
  data: ParamData;
}
export type StateDict = Map<string, TensorValue>;

export abstract class Module {
  private readonly _children = new Map<string, Module>();
  private readonly _params = new Map<string, Parameter>();
  training = true;

  protected register<M extends Module>(name: string, m: M): M {
    this._children.set(name, m);
    return m;
  }
  protected param(name: string, shape: number[], data?: Float32Array): Parameter {
    const p = new Parameter(shape, data ?? new Float32Array(sizeOf(shape)), 'param');
    this._params.set(name, p);
    return p;
  }
  protected buffer(name: string, shape: number[], data: ParamData): Parameter {
    const p = new Parameter(shape, data, 'buffer');
    this._params.set(name, p);
    return p;
  }

  children(): IterableIterator<[string, Module]> {
    return this._children.entries();
  }

  /** Every parameter and buffer, keyed as PyTorch's state_dict, in its order. */
  *namedTensors(prefix = ''): Generator<[string, Parameter]> {
    for (const [n, p] of this._params) if (p.kind === 'param') yield [prefix + n, p];
    for (const [n, p] of this._params) if (p.kind === 'buffer') yield [prefix + n, p];
    for (const [n, c] of this._children) yield* c.namedTensors(`${prefix}${n}.`);
  }
  *namedParameters(prefix = ''): Generator<[string, Parameter]> {
    for (const [k, p] of this.namedTensors(prefix)) if (p.kind === 'param') yield [k, p];
  }
  *modules(): Generator<Module> {
    yield this;
    for (const c of this._children.values()) yield* c.modules();
  }

  stateDict(): StateDict {
    const sd: StateDict = new Map();
    for (const [k, p] of this.namedTensors()) sd.set(k, { shape: p.shape, data: p.data });
    return sd;
  }

  /**
   * Copies values in. Missing or unexpected keys and shape mismatches are reported
   * together, naming each key, so a wrong architecture is recognisable at once.
   */
  loadStateDict(sd: ReadonlyMap<string, TensorValue>, opts: { strict?: boolean } = {}): void {
    const strict = opts.strict ?? true;
    const own = new Map(this.namedTensors());
    const problems: string[] = [];
    for (const [k, p] of own) {
      const v = sd.get(k);
      if (!v) {
        if (strict) problems.push(`missing key ${k} ${fmtShape(p.shape)}`);
        continue;
      }
      if (v.shape.length !== p.shape.length || v.shape.some((d, i) => d !== p.shape[i])) {
        problems.push(`${k}: checkpoint has ${fmtShape(v.shape)}, model expects ${fmtShape(p.shape)}`);
        continue;
      }
      if (p.data instanceof Float32Array && v.data instanceof Float32Array) p.data = Float32Array.from(v.data);
      else if (p.data instanceof BigInt64Array && v.data instanceof BigInt64Array) p.data = BigInt64Array.from(v.data);
      else if (p.data instanceof BigInt64Array && v.data instanceof Float32Array) p.data = BigInt64Array.from(v.data, (x) => BigInt(Math.round(x)));
      else problems.push(`${k}: dtype differs`);
    }
    if (strict) for (const k of sd.keys()) if (!own.has(k)) problems.push(`unexpected key ${k}`);
    if (problems.length) {
      const shown = problems.slice(0, 12).join('\n  ');
      const more = problems.length > 12 ? `\n  ... and ${problems.length - 12} more` : '';
      throw new GraphError(`state_dict does not fit ${this.constructor.name}:\n  ${shown}${more}`);
    }
  }

  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  eval(): this {
    return this.train(false);
  }

  abstract forward(ctx: Ctx, x: Tensor): Tensor;
}

export interface DropoutSite {
  input: Tensor;
  p: number;
}

export interface CtxOptions {
  /** Parameters fed as inputs (trainable); all others become constants. */
  trainable?: ReadonlySet<Parameter> | 'all' | 'none';
  /** Prefix for input names, to keep two networks apart in one graph. */
  prefix?: string;
  /** The Module whose keys name the inputs (needed for readable names). */
  root?: Module;
}

/**
 * A running statistic's update from one call in training: `share` is what the batch adds (a
 * graph output), `apply` folds its value into the statistic after the run (BatchNorm2d's rule).
 */
export interface StatUpdate {
  readonly param: Parameter;
  readonly share: Tensor;
  apply(share: Float32Array): void;
}

/** Binds modules to one graph: parameters to tensors, dropout masks and running-stat updates to inputs/outputs. */
export class Ctx {
  private bound = new Map<Parameter, Tensor>();
  private keys = new Map<Parameter, string>();
  readonly inputs = new Map<Parameter, Tensor>();
  readonly dropout: DropoutSite[] = [];
  /** Running-statistic updates (BatchNorm in training), in the order of the calls. */
  readonly updates: StatUpdate[] = [];

  constructor(readonly graph: Graph, private readonly opts: CtxOptions = {}) {
    if (opts.root) for (const [k, p] of opts.root.namedTensors()) this.keys.set(p, k);
  }

  /** The tensor standing for a parameter in this graph. */
  t(p: Parameter): Tensor {
    let t = this.bound.get(p);
    if (t) return t;
    const tr = this.opts.trainable ?? 'none';
    const feed = p.kind === 'param' && (tr === 'all' || (tr !== 'none' && tr.has(p)));
    const name = `${this.opts.prefix ?? ''}${this.keys.get(p) ?? `p${this.bound.size}`}`;
    if (feed) {
      t = this.graph.input(name, p.shape);
      this.inputs.set(p, t);
    } else {
      if (!(p.data instanceof Float32Array)) throw new GraphError(`${name}: only float32 parameters can enter a graph`);
      t = this.graph.constant(p.data, p.shape, name);
    }
    this.bound.set(p, t);
    return t;
  }

  /** A dropout mask input (values 0 or 1/(1-p)), so masks come from a seeded generator. */
  dropoutMask(shape: Shape, p: number): Tensor {
    const input = this.graph.input(`${this.opts.prefix ?? ''}dropout_${this.dropout.length}`, shape);
    this.dropout.push({ input, p });
    return input;
  }

  /** Feeds for the trainable parameters' current values. */
  paramFeeds(): Record<string, Float32Array> {
    const f: Record<string, Float32Array> = {};
    for (const [p, t] of this.inputs) f[t.name] = p.f32;
    return f;
  }
}
