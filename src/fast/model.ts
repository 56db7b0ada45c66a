/**
 * The networks `fast stylize` runs: a TransformerNet checkpoint (pytorch/examples' .pth/.model,
 * ours) compiled by the engine, or any ONNX model with one image input and one image output
 * run as it is. Both take and give NCHW RGB batches in 0-255 (an ONNX model that works in 0-1
 * is scaled on the way in and out), and keep the spatial size of sizes that are multiples of
 * `multiple`.
 */
import fs from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { F, Graph, Program, ProgramCache, defaultThreads, type Tensor } from '../engine/index.js';
import { loadTransformerNet, widthName, type TransformerNet } from '../models/transformer_net.js';
import { Ctx } from '../nn/index.js';
import { Hub, defaultHub, freeSpatialDims, inspectOnnx, readModuleStateDict, ONNX_FLOAT, type OnnxValue } from '../weights/index.js';
import { FastError } from './errors.js';

export type ValueRange = 255 | 1;

export interface FastModel {
  readonly kind: 'transformer_net' | 'onnx';
  /** The file the weights came from. */
  readonly source: string;
  /** One line for people: architecture, width or the ONNX model's input and value range. */
  readonly description: string;
  readonly valueRange: ValueRange;
  /** Largest batch one call takes (1 for ONNX models that declare a batch of 1). */
  readonly maxBatch: number;
  /** Height and width must be multiples of this for the output to keep the input's size. */
  readonly multiple: number;
  /** [n, 3, h, w] in 0-255 to the same shape in 0-255 (not clamped). */
  run(x: Float32Array, shape: readonly [number, number, number, number]): Promise<Float32Array>;
  release(): Promise<void>;
}

export interface LoadFastModelOptions {
  threads?: number;
  /** ONNX models: the value range they work in (default: the hub's, else 255 as the ONNX zoo's). */
  valueRange?: ValueRange;
  hub?: Hub;
  /** Download a hub model that is not cached yet (default true). */
  download?: boolean;
}

/** TransformerNet frozen into one graph per input shape; a batch runs frame by frame inside one session run. */
export class TransformerNetModel implements FastModel {
  readonly kind = 'transformer_net';
  readonly valueRange = 255;
  readonly maxBatch = Infinity;
  readonly multiple = 4;
  private readonly cache = new ProgramCache(4);
  constructor(
    readonly net: TransformerNet,
    readonly source: string,
    private readonly threads?: number,
  ) {}

  get description(): string {
    return `TransformerNet (${widthName(this.net.width)} width)`;
  }

  async run(x: Float32Array, shape: readonly [number, number, number, number]): Promise<Float32Array> {
    const program = await this.cache.get(shape.join('x'), () => this.compile(shape));
    return (await program.run({ input: x })).output;
  }

  /**
   * One graph for a batch of n: each image goes through the network as a batch of one (sliced
   * out of the input and concatenated back). The engine's Winograd convolutions take one image
   * at a time, and a per-image graph costs the same per frame as one session run per frame,
   * without n round trips.
   */
  private compile(shape: readonly [number, number, number, number]): Promise<Program> {
    const g = new Graph();
    const ctx = new Ctx(g, { root: this.net });
    const x = g.input('input', shape);
    const n = shape[0];
    let y: Tensor;
    if (n === 1) y = this.net.forward(ctx, x);
    else {
      const outs = Array.from({ length: n }, (_, i) => this.net.forward(ctx, F.slice(x, [{ axis: 0, start: i, end: i + 1 }])));
      y = F.concat(outs, 0);
    }
    return Program.create({ output: y }, { threads: this.threads });
  }

  async release(): Promise<void> {
    await this.cache.clear();
  }
}

/** Someone else's ONNX model: one float NCHW image input, one image output. */
export class OnnxImageModel implements FastModel {
  readonly kind = 'onnx';
  readonly multiple = 4;
  private constructor(
    private session: ort.InferenceSession | null,
    readonly source: string,
    readonly description: string,
    readonly valueRange: ValueRange,
    readonly maxBatch: number,
    private readonly input: string,
    private readonly output: string,
  ) {}

  static async open(file: string, opts: { threads?: number; valueRange?: ValueRange } = {}): Promise<OnnxImageModel> {
    let bytes: Uint8Array = fs.readFileSync(file);
    const info = (() => {
      try {
        return inspectOnnx(bytes, file);
      } catch (e) {
        throw new FastError((e as Error).message);
      }
    })();
    const name = path.basename(file);
    const ins = info.inputs;
    const outs = info.outputs;
    if (ins.length !== 1 || outs.length !== 1) {
      throw new FastError(
        `${name}: fast stylize runs models with one image input and one image output; this one has inputs ` +
          `${ins.map(fmtValue).join(', ') || 'none'} and outputs ${outs.map(fmtValue).join(', ') || 'none'}`,
      );
    }
    const [i, o] = [ins[0], outs[0]];
    const imageLike = (v: OnnxValue): boolean => v.dims.length === 4 && (v.dims[1] === 3 || typeof v.dims[1] === 'string');
    if (!imageLike(i)) {
      throw new FastError(
        `${name}: input ${fmtValue(i)} has rank ${i.dims.length}; fast stylize needs an NCHW image input [N,3,H,W] (RGB)`,
      );
    }
    if (!imageLike(o)) throw new FastError(`${name}: output ${fmtValue(o)} is not an NCHW image [N,3,H,W]`);
    if (i.elemType !== ONNX_FLOAT || o.elemType !== ONNX_FLOAT) throw new FastError(`${name}: input and output must be float32 tensors`);
    const fixed = typeof i.dims[2] === 'number' || typeof i.dims[3] === 'number';
    // The zoo's models declare 1x3x224x224 though they are fully convolutional.
    if (fixed) bytes = freeSpatialDims(bytes, i.name, o.name, file);
    const valueRange = opts.valueRange ?? 255;
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, {
        intraOpNumThreads: opts.threads ?? defaultThreads(),
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
    } catch (e) {
      throw new FastError(`${name}: onnxruntime cannot load this model: ${(e as Error).message}`);
    }
    const batch = i.dims[0] === 1 ? 1 : Infinity;
    const desc = `ONNX model (opset ${info.opset}${info.producer ? `, ${info.producer}` : ''}), input ${fmtValue(i)}, values 0-${valueRange}`;
    return new OnnxImageModel(session, file, desc, valueRange, batch, i.name, o.name);
  }

  async run(x: Float32Array, shape: readonly [number, number, number, number]): Promise<Float32Array> {
    if (!this.session) throw new FastError('model used after release()');
    if (shape[0] > this.maxBatch) throw new FastError(`${this.source}: takes a batch of ${this.maxBatch}, got ${shape[0]}`);
    const scaleIn = this.valueRange === 1 ? 1 / 255 : 1;
    const data = scaleIn === 1 ? x : x.map((v) => v * scaleIn);
    let res: ort.InferenceSession.OnnxValueMapType;
    try {
      res = await this.session.run({ [this.input]: new ort.Tensor('float32', data, [...shape]) });
    } catch (e) {
      throw new FastError(`${path.basename(this.source)}: onnxruntime failed on a ${shape[2]}x${shape[3]} input: ${(e as Error).message}`);
    }
    const out = res[this.output] as ort.Tensor;
    const dims = out.dims;
    if (dims.length !== 4 || dims.some((d, k) => d !== shape[k])) {
      throw new FastError(
        `${path.basename(this.source)}: output [${dims.join(',')}] for input [${shape.join(',')}]; fast stylize needs the output the size of the input`,
      );
    }
    const y = out.data as Float32Array;
    if (this.valueRange === 1) for (let k = 0; k < y.length; k++) y[k] *= 255;
    return y;
  }

  async release(): Promise<void> {
    const s = this.session;
    this.session = null;
    await s?.release();
  }
}

function fmtValue(v: OnnxValue): string {
  return `${v.name} [${v.dims.join(',')}]`;
}

const MODEL_FILE = /\.(pth|pt|model|ckpt|onnx)$/i;

/**
 * A model from a hub name (mosaic, candy, rain_princess, udnie, mosaic-9, ...), a TransformerNet
 * checkpoint (.pth, or pytorch/examples' .model) or an .onnx file.
 */
export async function loadFastModel(spec: string, opts: LoadFastModelOptions = {}): Promise<FastModel> {
  let file = spec;
  let format: 'pth' | 'onnx' = /\.onnx$/i.test(spec) ? 'onnx' : 'pth';
  let valueRange = opts.valueRange;
  if (!fs.existsSync(spec)) {
    if (/[/\\]/.test(spec) || MODEL_FILE.test(spec)) throw new FastError(`--model ${spec}: no such file`);
    const hub = opts.hub ?? defaultHub();
    const entry = hub.lookup(spec);
    if (entry.arch.kind !== 'transformer_net' && entry.arch.kind !== 'onnx_image')
      throw new FastError(`--model ${spec}: ${entry.name} is not a fast style transfer model (${entry.description})`);
    file = opts.download === false ? await hub.resolve(spec) : await hub.ensure(spec);
    format = entry.format === 'onnx' ? 'onnx' : 'pth';
    if (entry.arch.kind === 'onnx_image') valueRange ??= entry.arch.valueRange;
  } else if (fs.statSync(spec).isDirectory()) throw new FastError(`--model ${spec}: is a folder, not a model file`);
  if (format === 'onnx') return OnnxImageModel.open(file, { threads: opts.threads, valueRange });
  let sd;
  try {
    sd = await readModuleStateDict(file);
  } catch (e) {
    throw new FastError(`--model ${spec}: ${(e as Error).message}`);
  }
  try {
    return new TransformerNetModel(loadTransformerNet(sd, path.basename(file)), file, opts.threads);
  } catch (e) {
    throw new FastError((e as Error).message);
  }
}
