export const VERSION = '0.1.0';
export {
  ConfusionMatrix,
  createConfusionMatrix,
  DEFAULT_CONFUSION_MATRIX_OPTIONS,
  resolveConfusionMatrixOptions,
} from './confusion-matrix.js';
export type {
  ClassAreas,
  ConfusionMatrixConfig,
  ConfusionMatrixOptions,
  DroppedCounts,
  ResolvedConfusionMatrixOptions,
  TensorLike,
  TensorUpdateOptions,
  UpdateOptions,
} from './confusion-matrix.js';
export type { LabelArray } from './functional.js';
export {
  ABSENT_CLASS_POLICIES,
  computeMetrics,
  computeMetricsFromAreas,
  DEFAULT_COMPUTE_METRICS_OPTIONS,
  nanMean,
  resolveComputeMetricsOptions,
} from './compute-metrics.js';
export type {
  AbsentClassPolicy,
  ComputeMetricsOptions,
  MetricsResult,
  PerClassMetrics,
  ResolvedComputeMetricsOptions,
  SummaryMetrics,
} from './compute-metrics.js';
export {
  computeImagewiseMetrics,
  DEFAULT_IMAGEWISE_METRICS_OPTIONS,
  IMAGEWISE_REDUCTIONS,
} from './imagewise.js';
export type {
  ImagewiseMetrics,
  ImagewiseMetricsOptions,
  ImagewiseReduction,
  ImagewiseScores,
} from './imagewise.js';
export {
  DEFAULT_FORMAT_METRICS_TABLE_OPTIONS,
  formatMetricsTable,
  metricsRows,
  resolveFormatMetricsTableOptions,
  TABLE_FORMATS,
} from './format-table.js';
export type { ClassRow, FormatMetricsTableOptions, TableFormat } from './format-table.js';
export {
  DEFAULT_EVALUATE_MASK_FOLDERS_OPTIONS,
  evaluateMaskFolders,
} from './evaluate-mask-folders.js';
export type {
  EvaluateMaskFoldersOptions,
  MaskFolderEvaluation,
  MaskFolderProgress,
} from './evaluate-mask-folders.js';
export { computePresetMetrics, getMetricPreset, METRIC_PRESETS } from './presets.js';
export {
  formatScoreReport,
  metricsReport,
  readConfusionMatrixFiles,
  scoreMasks,
} from './metrics-report.js';
export type { MetricsReport, ScoreMasksOptions } from './metrics-report.js';
export type {
  MetricPreset,
  MetricPresetName,
  PresetMetrics,
  PresetMetricsOptions,
} from './presets.js';
export {
  CELEBAMASK_ALT_COLORS,
  CELEBAMASK_CLASS_NAMES,
  CELEBAMASK_CLASSES,
  CELEBAMASK_FLIP_PAIRS,
  CELEBAMASK_IGNORE_INDEX,
  CELEBAMASK_NUM_CLASSES,
  CELEBAMASK_ORDERS,
  CELEBAMASK_PALETTE,
  crc32,
  DEFAULT_DECODE_LABEL_PNG_OPTIONS,
  decodeLabelPng,
  decodePng,
  encodeLabelPng,
  flipLabelTable,
  labelRemapTable,
  MASK_MAX_PIXELS,
  PngError,
  readPngHeader,
  resolveDecodeLabelPngOptions,
} from './labels/index.js';
export type {
  CelebAMaskClass,
  CelebAMaskOrder,
  DecodedLabelPng,
  DecodeLabelPngOptions,
  DecodedPng,
  DecodePngOptions,
  EncodeLabelPngOptions,
  InflateFn,
  PngColorType,
  PngHeader,
} from './labels/index.js';
