/** Reading and writing PyTorch .pth checkpoints, and the hub of named pretrained weights. */
export { WeightsError, type WeightsErrorCode } from './errors.js';
export {
  type DType,
  type TensorArray,
  elementSize,
  isFloating,
  toFloat32,
  halfToFloat,
  floatToHalf,
} from './dtype.js';
export { OrderedDict, PyFloat, PyGlobal, PyTuple, pyTypeName, type PyKey, type PyValue } from './pyobj.js';
export { HostTensor, StorageRef, TensorRef, numelOf, contiguousStrides } from './tensor.js';
export { ALLOWED_GLOBALS, unpickle } from './unpickler.js';
export {
  PthReader,
  readPth,
  readPickleObject,
  readModuleStateDict,
  inspectPth,
  LEGACY_MAGIC,
  type StateDict,
  type PthFormat,
  type ReadPthOptions,
  type ReadTensorOptions,
  type TensorInfo,
  type ModuleTensor,
} from './reader.js';
export { writePth, writeFileAtomic, type TensorLike, type Writable, type WritePthOptions } from './writer.js';
export { inspectOnnx, freeSpatialDims, ONNX_FLOAT, type OnnxInfo, type OnnxValue } from './onnx_model.js';
export * from './hub/index.js';
