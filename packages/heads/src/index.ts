export const VERSION = '0.1.0';

export {
  DEFAULT_DECODE_HEAD_OPTIONS,
  clsSeg,
  resolveCommonHeadOptions,
} from './decode-head.js';
export type {
  DecodeHead,
  DecodeHeadCommonOptions,
  DecodeHeadType,
  HeadApplyOptions,
} from './decode-head.js';
export {
  DEFAULT_FCN_HEAD_OPTIONS,
  countFcnHeadParams,
  createFcnHead,
  resolveFcnHeadOptions,
} from './fcn/fcn-head.js';
export type { FcnHeadOptions, ResolvedFcnHeadOptions } from './fcn/fcn-head.js';
export {
  DEFAULT_ASPP_HEAD_OPTIONS,
  countAsppHeadParams,
  createAsppHead,
  resolveAsppHeadOptions,
} from './aspp/aspp-head.js';
export type { AsppHeadOptions, ResolvedAsppHeadOptions } from './aspp/aspp-head.js';
export {
  DEFAULT_DEPTHWISE_SEPARABLE_ASPP_HEAD_OPTIONS,
  countDepthwiseSeparableAsppHeadParams,
  createDepthwiseSeparableAsppHead,
  resolveDepthwiseSeparableAsppHeadOptions,
} from './sep-aspp/depthwise-separable-aspp-head.js';
export type {
  DepthwiseSeparableAsppHeadOptions,
  ResolvedDepthwiseSeparableAsppHeadOptions,
} from './sep-aspp/depthwise-separable-aspp-head.js';
export {
  SEGMENTOR_REGISTRY,
  getSegmentorSpec,
  listSegmentors,
  scaleSegmentorSpec,
} from './segmentor/segmentor-registry.js';
export type {
  AuxiliaryHeadSpec,
  DecodeHeadSpec,
  SegmentorSpec,
  TestModeSpec,
} from './segmentor/segmentor-registry.js';
export {
  DEFAULT_SEGMENTOR_OPTIONS,
  countModelParamsByPart,
  countSegmentorParams,
  createSegmentor,
  formatParamCounts,
  paramCountRows,
} from './segmentor/segmentor.js';
export type {
  AuxiliaryHead,
  Segmentor,
  SegmentorOptions,
  SegmentorParamCounts,
} from './segmentor/segmentor.js';
export {
  DEFAULT_INFER_OPTIONS,
  flipPermutation,
  inferSegmentation,
  modelPredictor,
  resizeLogits,
  slideInference,
  slideWindows,
  wholeInference,
} from './segmentor/inference.js';
export type {
  InferOptions,
  Predictor,
  ResizeLogitsOptions,
  SlideWindow,
  SlideWindowOptions,
  TestMode,
} from './segmentor/inference.js';
export {
  CHECKPOINT_FORMATS,
  DEFAULT_LOAD_WEIGHTS_OPTIONS,
  checkpointRenamer,
  detectCheckpointFormat,
  exportSegmentorWeights,
  exportSegmentorWeightsAsync,
  loadSegmentorWeights,
} from './segmentor/weights.js';
export type { CheckpointFormat, LoadWeightsOptions } from './segmentor/weights.js';
export {
  CHECKPOINT_METADATA_KEY,
  CHECKPOINT_VERSION,
  exportSegmentorCheckpoint,
  exportSegmentorCheckpointAsync,
  loadSegmentorCheckpoint,
  openSegmentor,
  readSegmentorCheckpointConfig,
} from './segmentor/checkpoint.js';
export type {
  OpenSegmentorOptions,
  SegmentorCheckpointConfig,
  WeightsData,
  WeightsFileOptions,
} from './segmentor/checkpoint.js';
export {
  arrayToNhwc,
  detectArrayLayout,
  nhwcToNchwData,
  nhwcToNchwDataAsync,
  overlayLabels,
} from './segmentor/preprocess.js';
export type { ArrayLayout } from './segmentor/preprocess.js';
export { predictLabels, predictSample } from './segmentor/predict-sample.js';
export type {
  PredictLabelsOptions,
  PredictSampleOptions,
  TestPipelineOptions,
} from './segmentor/predict-sample.js';
