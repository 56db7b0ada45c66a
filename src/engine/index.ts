/** The engine: symbolic graphs, ops with their gradients, ONNX emission and the ORT runtime. */
export { Graph, GraphError, Tensor, sizeOf, type DType, type GraphOptions, type Shape, type TensorData } from './graph.js';
export { defaultPolicy, withPolicy, type ConvAlgorithm, type LoweringPolicy, type WeightGradMethod } from './policy.js';
export * as F from './ops/index.js';
export { grad, type GradOptions } from './autodiff.js';
export { Program, ProgramCache, NonFiniteError, toOnnxBytes, defaultThreads, type Feeds, type Results, type RuntimeOptions } from './runtime.js';
