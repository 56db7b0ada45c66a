/**
 * What an .onnx file takes and gives, read from its ModelProto without running it (the hub
 * checks downloads with it, fast style transfer picks its input and output), and the one
 * rewrite ai-art applies to other people's models: freeing a fixed height and width.
 */
import onnxProto from 'onnx-proto';
import { WeightsError } from './errors.js';

const { onnx } = onnxProto;

/** A graph input or output: a dimension is a number, a symbolic name, or '?' when undeclared. */
export interface OnnxValue {
  name: string;
  /** TensorProto.DataType: 1 float32, 7 int64, 10 float16, ... (0 when not a tensor). */
  elemType: number;
  dims: (number | string)[];
}

export interface OnnxInfo {
  /** Inputs the caller feeds (initializers that old exporters also list as inputs are left out). */
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  /** The default domain's opset. */
  opset: number;
  producer: string;
}

export const ONNX_FLOAT = 1;

function decode(bytes: Uint8Array, source: string): onnxProto.onnx.ModelProto {
  try {
    const m = onnx.ModelProto.decode(bytes);
    if (!m.graph) throw new Error('no graph');
    return m;
  } catch (e) {
    throw new WeightsError('corrupt', `${source}: not an ONNX model (${(e as Error).message})`);
  }
}

function valueOf(v: onnxProto.onnx.IValueInfoProto): OnnxValue {
  const t = v.type?.tensorType;
  const dims = (t?.shape?.dim ?? []).map((d) => {
    if (d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0) return Number(d.dimValue);
    return d.dimParam ? d.dimParam : '?';
  });
  return { name: v.name ?? '', elemType: t?.elemType ?? 0, dims };
}

export function inspectOnnx(bytes: Uint8Array, source = 'model'): OnnxInfo {
  const m = decode(bytes, source);
  const g = m.graph!;
  const inits = new Set((g.initializer ?? []).map((t) => t.name));
  const opset = (m.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  return {
    inputs: (g.input ?? []).filter((v) => !inits.has(v.name ?? '')).map(valueOf),
    outputs: (g.output ?? []).map(valueOf),
    opset: opset ? Number(opset.version) : 0,
    producer: [m.producerName, m.producerVersion].filter(Boolean).join(' '),
  };
}

/**
 * The model with the batch, height and width of `input` and `output` made symbolic (N, H, W)
 * and the intermediate shape annotations dropped, so a network exported at one size (the ONNX
 * zoo's style models declare 1x3x224x224) takes pictures of any size. Only correct for fully
 * convolutional networks, which is what fast style transfer models are; ORT reports a clear
 * error from a node that baked a size in.
 */
export function freeSpatialDims(bytes: Uint8Array, input: string, output: string, source = 'model'): Uint8Array {
  const m = decode(bytes, source);
  const g = m.graph!;
  const free = (v: onnxProto.onnx.IValueInfoProto | undefined): void => {
    const dims = v?.type?.tensorType?.shape?.dim;
    if (!dims || dims.length !== 4) return;
    for (const [i, p] of [[0, 'N'], [2, 'H'], [3, 'W']] as const) dims[i] = onnx.TensorShapeProto.Dimension.create({ dimParam: p });
  };
  free((g.input ?? []).find((v) => v.name === input));
  free((g.output ?? []).find((v) => v.name === output));
  g.valueInfo = [];
  return onnx.ModelProto.encode(m).finish();
}
