/**
 * Runs emitted graphs on onnxruntime-node. One InferenceSession per compiled graph,
 * created once and reused; `ProgramCache` keeps them by a caller's key (graph kind +
 * input shapes) and releases the least recently used.
 */
import os from 'node:os';
import ort from 'onnxruntime-node';
import { GraphError, fmtShape, sizeOf, topoSort, type DType, type Tensor, type TensorData } from './graph.js';
import { emitModel, type EmitOptions } from './onnx.js';

export interface RuntimeOptions extends EmitOptions {
  /** Intra-op threads; defaults to the machine's cores. */
  threads?: number;
  /**
   * Whether idle ORT worker threads spin (ORT's default, and this one's) instead of sleeping. Spinning shortens the hand-over between small ops on an idle
   * machine; on a busy one it burns cycles other processes need, and CPU-time measurements
   * are only meaningful without it.
   */
  spinning?: boolean;
  /**
   * ORT's memory pattern (default on): one block planned for all intermediates from the second
   * run on. Its first run allocates tensor by tensor and the arena keeps those chunks besides
   * the block, so programs run few times or large can do better without it (docs/performance.md).
   */
  memPattern?: boolean;
}

export type Feeds = Record<string, TensorData>;
export type Results = Record<string, Float32Array>;

export class NonFiniteError extends Error {
  override name = 'NonFiniteError';
}

const ORT_TYPE: Record<DType, 'float32' | 'int64' | 'bool'> = { float32: 'float32', int64: 'int64', bool: 'bool' };

export function defaultThreads(): number {
  return os.availableParallelism();
}

/** A compiled graph: feed inputs by name, get outputs by name. */
export class Program {
  private constructor(
    private session: ort.InferenceSession | null,
    readonly inputs: readonly Tensor[],
    readonly outputs: ReadonlyMap<string, Tensor>,
    readonly modelBytes: Uint8Array,
    private readonly opts: RuntimeOptions,
  ) {}

  static async create(outputs: Record<string, Tensor>, opts: RuntimeOptions = {}): Promise<Program> {
    const { bytes, inputs, outputs: outMap } = emitModel(outputs, opts);
    const session = await createSession(bytes, opts);
    return new Program(session, inputs, outMap, bytes, opts);
  }

  /** Runs the graph. With `checkFinite`, a NaN or Inf in any output names the first op that produced one. */
  async run(feeds: Feeds, opts: { checkFinite?: boolean } = {}): Promise<Results> {
    if (!this.session) throw new Error('Program: used after release()');
    const ortFeeds = makeFeeds(this.inputs, feeds);
    const res = await this.session.run(ortFeeds);
    const out: Results = {};
    for (const name of this.outputs.keys()) out[name] = res[name].data as Float32Array;
    if (opts.checkFinite) {
      const bad = Object.entries(out).find(([, v]) => !allFinite(v));
      if (bad) throw await this.locateNonFinite(feeds, bad[0]);
    }
    return out;
  }

  private async locateNonFinite(feeds: Feeds, output: string): Promise<NonFiniteError> {
    const nodes = topoSort([...this.outputs.values()]);
    const probes: Record<string, Tensor> = {};
    const owner = new Map<string, string>();
    for (const n of nodes) {
      n.outputs.forEach((t, i) => {
        if (t.dtype !== 'float32') return;
        const key = `probe_${n.id}_${i}`;
        probes[key] = t;
        owner.set(key, `${n.type} (${n.label})`);
      });
    }
    const debug = await Program.create(probes, { ...this.opts, allowConstantOutputs: true });
    try {
      const res = await debug.run(feeds);
      for (const key of Object.keys(probes)) {
        if (!allFinite(res[key])) return new NonFiniteError(`output '${output}' is not finite: first produced by ${owner.get(key)}`);
      }
      return new NonFiniteError(`output '${output}' is not finite (no single op found)`);
    } finally {
      debug.release();
    }
  }

  async release(): Promise<void> {
    const s = this.session;
    this.session = null;
    await s?.release();
  }
}

/**
 * v·0 is ±0 for every finite v and NaN for NaN and ±Inf, so the sum is exactly 0 iff all are
 * finite (no overflow false alarms). Four accumulators run about twice as fast as a loop of
 * Number.isFinite (docs/performance.md).
 */
function allFinite(v: Float32Array): boolean {
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  const n4 = v.length - (v.length % 4);
  for (let i = 0; i < n4; i += 4) {
    a += v[i] * 0;
    b += v[i + 1] * 0;
    c += v[i + 2] * 0;
    d += v[i + 3] * 0;
  }
  for (let i = n4; i < v.length; i++) a += v[i] * 0;
  return a + b + c + d === 0;
}

async function createSession(bytes: Uint8Array, opts: RuntimeOptions): Promise<ort.InferenceSession> {
  const spinning = opts.spinning ?? true;
  return ort.InferenceSession.create(bytes, {
    intraOpNumThreads: opts.threads ?? defaultThreads(),
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    enableMemPattern: opts.memPattern ?? true,
    extra: { session: { 'intra_op.allow_spinning': spinning ? '1' : '0' } },
  });
}

function makeFeeds(inputs: readonly Tensor[], feeds: Feeds): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const t of inputs) {
    const data = feeds[t.name];
    if (!data) throw new GraphError(`missing input '${t.name}' ${fmtShape(t.shape)}`);
    if (data.length !== sizeOf(t.shape)) {
      throw new GraphError(`input '${t.name}' expects ${sizeOf(t.shape)} values for ${fmtShape(t.shape)}, got ${data.length}`);
    }
    const want = ORT_TYPE[t.dtype];
    const got = data instanceof Float32Array ? 'float32' : data instanceof BigInt64Array ? 'int64' : 'bool';
    if (got !== want) throw new GraphError(`input '${t.name}' expects ${want}, got ${got}`);
    out[t.name] = new ort.Tensor(want, data, [...t.shape]);
  }
  return out;
}

/** Compiled programs by key, so a shape seen before reuses its session. */
export class ProgramCache {
  private entries = new Map<string, Promise<Program>>();
  constructor(private readonly capacity = 8) {}

  get(key: string, build: () => Promise<Program>): Promise<Program> {
    let p = this.entries.get(key);
    if (p) {
      this.entries.delete(key);
      this.entries.set(key, p);
      return p;
    }
    p = build();
    this.entries.set(key, p);
    p.catch(() => this.entries.delete(key));
    while (this.entries.size > this.capacity) {
      const [oldKey, old] = this.entries.entries().next().value as [string, Promise<Program>];
      this.entries.delete(oldKey);
      void old.then((prog) => prog.release(), () => undefined);
    }
    return p;
  }

  async clear(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((p) => p.then((prog) => prog.release(), () => undefined)));
  }
}

/** Writes a graph as a standalone .onnx model that plain onnxruntime runs. */
export function toOnnxBytes(outputs: Record<string, Tensor>, opts: EmitOptions = {}): Uint8Array {
  return emitModel(outputs, opts).bytes;
}
