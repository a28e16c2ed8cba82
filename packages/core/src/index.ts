import './register.js';

export const VERSION = '0.1.0';

export { FACEPAR_GRADIENTS, registerFaceparGradients } from './gradients/register-gradients.js';
export { interpolationTaps, resizeBilinearBackprop } from './gradients/resize-bilinear-gradient.js';
export type { InterpolationTaps } from './gradients/resize-bilinear-gradient.js';
export { LEAN_GRADS_TFJS_VERSION, leanVariableGrads } from './gradients/lean-grads.js';
export type {
  LeanVariableGradsOptions,
  LeanVariableGradsResult,
} from './gradients/lean-grads.js';
export { maxPool2d, resolveMaxPool2dOptions, DEFAULT_MAX_POOL_2D_OPTIONS } from './ops/max-pool.js';
export type { MaxPool2dOptions } from './ops/max-pool.js';
export { torchPadding } from './ops/padding.js';
export type { ExplicitPadding, TorchPadding } from './ops/padding.js';
export {
  resizeBilinear,
  resolveResizeBilinearOptions,
  DEFAULT_RESIZE_BILINEAR_OPTIONS,
} from './ops/resize-bilinear.js';
export type { ResizeBilinearOptions } from './ops/resize-bilinear.js';
export {
  registerWasmTrainingKernels,
  WASM_TRAINING_KERNELS,
} from './kernels/wasm-training-kernels.js';
export {
  registerWebGpuTrainingKernels,
  WEBGPU_TRAINING_KERNELS,
} from './kernels/webgpu-training-kernels.js';
export {
  AUTO_PREFERENCE,
  autoChoice,
  BACKEND_NAMES,
  DEFAULT_INIT_BACKEND_OPTIONS,
  formatBackendTable,
  initBackend,
  isSoftwareAdapter,
  listBackends,
  resolveInitBackendOptions,
  TFJS_NODE_OPT_IN,
} from './backend/init-backend.js';
export { DEFAULT_DAWN_POLLING_OPTIONS, throttleDawnPolling } from './backend/dawn-polling.js';
export { gpuMemory } from './backend/gpu-memory.js';
export type { GpuMemory } from './backend/gpu-memory.js';
export type { DawnPollingOptions } from './backend/dawn-polling.js';
export {
  ASYNC_READ_BACKENDS,
  readScalar,
  readScalars,
  readTensor,
  readTensorSync,
} from './backend/read-tensor.js';
export type {
  BackendCandidate,
  BackendChoice,
  BackendName,
  BackendReport,
  InitBackendOptions,
} from './backend/init-backend.js';
export {
  activateWasm,
  availableCores,
  WASM_THREADS_TESTED_VERSION,
} from './backend/wasm-threads.js';
export type { WasmThreadsReport } from './backend/wasm-threads.js';

// Layers and ConvModule builders (part B)
import './layers/register-layers.js';
export {
  FACEPAR_LAYER_CLASSES,
  FACEPAR_SERIALIZATION_PACKAGE,
} from './layers/register-layers.js';
export type { Initializer, IntPair, LayerArgs } from './layers/common.js';
export { tfjsSeed } from './layers/common.js';
export {
  Conv2d,
  DEFAULT_CONV2D_ARGS,
  resolveConv2dArgs,
} from './layers/conv2d.js';
export type { Conv2dArgs, ResolvedConv2dArgs } from './layers/conv2d.js';
export {
  DepthwiseConv2d,
  DEFAULT_DEPTHWISE_CONV2D_ARGS,
  resolveDepthwiseConv2dArgs,
} from './layers/depthwise-conv2d.js';
export type {
  DepthwiseConv2dArgs,
  ResolvedDepthwiseConv2dArgs,
} from './layers/depthwise-conv2d.js';
export {
  BatchNorm2d,
  DEFAULT_BATCH_NORM2D_ARGS,
  resolveBatchNorm2dArgs,
} from './layers/batch-norm2d.js';
export type { BatchNorm2dArgs, ResolvedBatchNorm2dArgs } from './layers/batch-norm2d.js';
export { MaxPool2d, DEFAULT_MAX_POOL2D_ARGS, resolveMaxPool2dArgs } from './layers/max-pool2d.js';
export type { MaxPool2dArgs, ResolvedMaxPool2dArgs } from './layers/max-pool2d.js';
export {
  ResizeBilinear,
  DEFAULT_RESIZE_BILINEAR_ARGS,
  resolveResizeBilinearArgs,
} from './layers/resize-bilinear.js';
export type { ResizeBilinearArgs, ResolvedResizeBilinearArgs } from './layers/resize-bilinear.js';
export { GlobalAvgPool2d } from './layers/global-avg-pool2d.js';
export type { GlobalAvgPool2dArgs } from './layers/global-avg-pool2d.js';
export { Dropout2d, resolveDropout2dArgs } from './layers/dropout2d.js';
export type { Dropout2dArgs } from './layers/dropout2d.js';
export {
  convModule,
  resolveConvModuleOptions,
  DEFAULT_CONV_MODULE_OPTIONS,
} from './modules/conv-module.js';
export type { ConvModuleOptions, NormKind, ActKind } from './modules/conv-module.js';
export {
  depthwiseSeparableConvModule,
  DEFAULT_DEPTHWISE_SEPARABLE_CONV_MODULE_OPTIONS,
} from './modules/depthwise-separable-conv-module.js';
export type { DepthwiseSeparableConvModuleOptions } from './modules/depthwise-separable-conv-module.js';

// Weight files: safetensors, npy, float16/bfloat16 (part B)
export { FileFormatError, formatFailer, MAX_QUOTE_BYTES, quote } from './io/errors.js';
export type { QuoteOptions } from './io/errors.js';
export { JSON_MAX_DEPTH, parseJson } from './io/json.js';
export type { ParseJsonOptions } from './io/json.js';
export {
  readSafetensors,
  writeSafetensors,
  SAFETENSORS_MAX_HEADER_BYTES,
  SAFETENSORS_MAX_RANK,
  SAFETENSORS_MAX_TENSORS,
  DEFAULT_READ_SAFETENSORS_OPTIONS,
} from './io/safetensors.js';
export type { ReadSafetensorsOptions, SafetensorsFile } from './io/safetensors.js';
export {
  readSafetensorsFile,
  writeSafetensorsFile,
  readNpyFile,
  writeNpyFile,
} from './io/files.js';
export { fsyncDir, writeFileAtomic } from './io/atomic-write.js';
export type { BeforeRenameHook, WriteFileAtomicOptions } from './io/atomic-write.js';
export {
  readNpy,
  writeNpy,
  NPY_DTYPES,
  NPY_MAX_HEADER_BYTES,
  NPY_MAX_RANK,
  DEFAULT_READ_NPY_OPTIONS,
} from './io/npy.js';
export type { NpyArray, NpyArrays, NpyDtype, ReadNpyOptions } from './io/npy.js';
export {
  DTYPE_SIZES,
  SAFETENSORS_DTYPES,
  findNonFinite,
  numElements,
  toFloat32,
} from './io/tensor-entry.js';
export type {
  DtypeArrays,
  NonFiniteReport,
  SafetensorsDtype,
  TensorData,
  TensorEntry,
} from './io/tensor-entry.js';
export {
  DEFAULT_READ_PTH_OPTIONS,
  detectWeightsFileKind,
  readPth,
} from './io/pth/read-pth.js';
export type {
  PthFile,
  PthFormat,
  PthTensorInfo,
  ReadPthOptions,
  WeightsFileKind,
} from './io/pth/read-pth.js';
export { PTH_ALLOWED_GLOBALS } from './io/pth/torch-globals.js';
export { PthError } from './io/pth/pth-error.js';
export {
  convertPthFile,
  pthMetadata,
  pthToSafetensors,
  readPthFile,
  readWeights,
  readWeightsFile,
} from './io/pth/weights-file.js';
export type {
  ConvertPthFileOptions,
  ConvertPthFileResult,
  ConvertPthOptions,
  WeightsFile,
} from './io/pth/weights-file.js';
export {
  bf16ToFloat32,
  f16ToFloat32,
  float32ToBf16,
  float32ToF16,
} from './io/half.js';

// State dicts and optimiser (part B)
export {
  exportStateDict,
  exportStateDictAsync,
  flattenLayers,
  parameterNames,
  formatStateDictReport,
  loadStateDict,
  DEFAULT_LOAD_STATE_DICT_OPTIONS,
} from './state-dict/state-dict.js';
export type {
  ExportStateDictOptions,
  LayerContainer,
  LoadStateDictOptions,
  LoadStateDictReport,
  ShapeMismatch,
} from './state-dict/state-dict.js';
export {
  createSgd,
  resolveSgdOptions,
  DEFAULT_SGD_OPTIONS,
  WEIGHT_DECAY_MODES,
} from './optim/sgd.js';
export type {
  ResolvedSgdOptions,
  Sgd,
  SgdApplyOptions,
  SgdOptions,
  SgdState,
  WeightDecayMode,
} from './optim/sgd.js';
export {
  sgdStateFromSafetensors,
  sgdStateToSafetensors,
  SGD_STATE_FORMAT,
} from './optim/sgd-state.js';
export type { SgdStateFileOptions } from './optim/sgd-state.js';
export { polyLr, resolvePolyLrOptions, DEFAULT_POLY_LR_OPTIONS } from './optim/poly-lr.js';
export type { PolyLrOptions } from './optim/poly-lr.js';
