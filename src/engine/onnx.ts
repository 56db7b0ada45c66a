/**
 * Lowers a graph to an ONNX ModelProto with the onnx-proto (protobufjs) bindings.
 * Constants become initializers, so ORT can constant-fold and pre-pack frozen weights.
 */
import onnxProto from 'onnx-proto';
import { GraphError, dependsOnInput, topoSort, type DType, type Tensor, type TensorData } from './graph.js';

const { onnx } = onnxProto;
export const OPSET = 18;

export type Attr =
  | { i: number }
  | { f: number }
  | { ints: readonly number[] }
  | { floats: readonly number[] }
  | { s: string };
export const int = (i: number): Attr => ({ i });
export const float = (f: number): Attr => ({ f });
export const ints = (v: readonly number[]): Attr => ({ ints: v });
export const str = (s: string): Attr => ({ s });

const ELEM: Record<DType, number> = { float32: 1, int64: 7, bool: 9 };

export interface Emitter {
  /** The ONNX value name of a tensor; '' for an unused optional output. */
  name(t: Tensor): string;
  node(opType: string, inputs: readonly string[], outputs: readonly string[], attrs?: Record<string, Attr>): void;
  /** A fresh value name for intermediate results inside one lowering. */
  tmp(): string;
  constI64(values: readonly number[]): string;
  /**
   * A float32 initializer. With a `key` (which must determine values and shape), every call
   * with that key in one model gets the same initializer: constants many nodes lower to (the
   * Winograd transforms, block masks) are stored, and folded or pre-packed by ORT, once.
   */
  constF32(values: ArrayLike<number>, shape: readonly number[], key?: string): string;
}

export interface EmitOptions {
  /** Allow outputs that depend on no graph input (the caller then gets a constant). */
  allowConstantOutputs?: boolean;
  name?: string;
}

export interface Emitted {
  bytes: Uint8Array;
  inputs: Tensor[];
  outputs: Map<string, Tensor>;
}

function tensorProto(name: string, data: TensorData, shape: readonly number[], dtype: DType): onnxProto.onnx.ITensorProto {
  return {
    name,
    dims: [...shape],
    dataType: ELEM[dtype],
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

function valueInfo(name: string, t: { shape: readonly number[]; dtype: DType }): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: ELEM[t.dtype], shape: { dim: t.shape.map((d) => ({ dimValue: d })) } } },
  };
}

/** Builds the ONNX model computing `outputs` (name → tensor) from the graph inputs they need. */
export function emitModel(outputs: Record<string, Tensor>, opts: EmitOptions = {}): Emitted {
  const outList = Object.entries(outputs);
  if (outList.length === 0) throw new GraphError('a model needs at least one output');
  const memo = new Map<number, boolean>();
  for (const [name, t] of outList) {
    if (!opts.allowConstantOutputs && !dependsOnInput(t, memo)) {
      throw new GraphError(`output '${name}' does not depend on any graph input: nothing connects them`);
    }
  }
  const nodes = topoSort(outList.map(([, t]) => t));
  const used = new Set<number>();
  for (const n of nodes) for (const i of n.inputs) used.add(i.id);
  for (const [, t] of outList) used.add(t.id);

  const names = new Map<number, string>();
  const inputs: Tensor[] = [];
  const initializers: onnxProto.onnx.ITensorProto[] = [];
  const protoNodes: onnxProto.onnx.INodeProto[] = [];
  let tmpId = 0;
  const sharedF32 = new Map<string, string>();
  const taken = new Set<string>();
  const unique = (base: string): string => {
    let n = base.replace(/[^A-Za-z0-9_.:/-]/g, '_');
    while (taken.has(n)) n = `${n}_`;
    taken.add(n);
    return n;
  };

  const leafName = (t: Tensor): string => {
    let n = names.get(t.id);
    if (n !== undefined) return n;
    if (t.source.kind === 'input') {
      n = t.name;
      taken.add(n);
      inputs.push(t);
    } else if (t.source.kind === 'constant') {
      n = unique(t.name);
      initializers.push(tensorProto(n, t.source.data, t.shape, t.dtype));
    } else {
      n = unique(`t${t.id}`);
    }
    names.set(t.id, n);
    return n;
  };
  // Graph input names are the user's feed keys and must not be renamed.
  for (const n of nodes) for (const i of n.inputs) if (i.source.kind === 'input') leafName(i);
  for (const [, t] of outList) if (t.source.kind === 'input') leafName(t);
  // Node outputs take the requested output name directly; anything else goes through Identity.
  const viaIdentity: [string, Tensor][] = [];
  for (const [name, t] of outList) {
    if (taken.has(name)) throw new GraphError(`output name '${name}' is already used by an input or output`);
    taken.add(name);
    if (t.source.kind === 'node' && !names.has(t.id)) names.set(t.id, name);
    else viaIdentity.push([name, t]);
  }

  let lowering = '';
  const e: Emitter = {
    name: (t) => {
      // ONNX lets only trailing optional outputs go unnamed: an unused output before a used one
      // (MaxPool's values when only the indices feed a gradient) still needs a name.
      if (t.source.kind === 'node' && t.source.node.outputs.slice(t.source.index).every((o) => !used.has(o.id))) return '';
      return leafName(t);
    },
    node: (opType, ins, outs, attrs = {}) => {
      protoNodes.push({
        opType,
        input: [...ins],
        output: [...outs],
        // The graph node's label (its layer scope) makes ORT profiles readable per layer.
        name: `n${protoNodes.length}_${opType}@${lowering}`,
        attribute: Object.entries(attrs).map(([name, a]) => toAttrProto(name, a)),
      });
    },
    tmp: () => unique(`tmp${tmpId++}`),
    constI64: (values) => {
      const n = unique(`i64_${tmpId++}`);
      initializers.push(tensorProto(n, BigInt64Array.from(values, (v) => BigInt(v)), [values.length], 'int64'));
      return n;
    },
    constF32: (values, shape, key) => {
      const shared = key === undefined ? undefined : sharedF32.get(key);
      if (shared !== undefined) return shared;
      const n = unique(key ?? `f32_${tmpId++}`);
      initializers.push(tensorProto(n, Float32Array.from(values), shape, 'float32'));
      if (key !== undefined) sharedF32.set(key, n);
      return n;
    },
  };
  for (const n of nodes) {
    lowering = n.label;
    n.lower(e);
  }
  lowering = 'output';

  for (const [name, t] of viaIdentity) e.node('Identity', [leafName(t)], [name]);
  const graphOutputs = outList.map(([name, t]) => valueInfo(name, t));
  const outMap = new Map<string, Tensor>(outList);

  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'ai-art',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: opts.name ?? 'ai_art',
      node: protoNodes,
      initializer: initializers,
      input: inputs.map((t) => valueInfo(t.name, t)),
      output: graphOutputs,
    },
  });
  return { bytes: onnx.ModelProto.encode(model).finish(), inputs, outputs: outMap };
}

function toAttrProto(name: string, a: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('i' in a) return { name, type: T.INT, i: a.i };
  if ('f' in a) return { name, type: T.FLOAT, f: a.f };
  if ('ints' in a) return { name, type: T.INTS, ints: [...a.ints] };
  if ('floats' in a) return { name, type: T.FLOATS, floats: [...a.floats] };
  return { name, type: T.STRING, s: new TextEncoder().encode(a.s) };
}
