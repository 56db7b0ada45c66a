/** The engine: symbolic graphs, ops with their gradients, ONNX emission and the ORT runtime. */
export { Graph, GraphError, Tensor, sizeOf, type DType, type Shape, type TensorData } from './graph.js';
export * as F from './ops/index.js';
export { grad, type GradOptions } from './autodiff.js';
export { Program, ProgramCache, NonFiniteError, toOnnxBytes, defaultThreads, runtimeDefaults, type Feeds, type Results } from './runtime.js';
