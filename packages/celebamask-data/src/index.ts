export const VERSION = '0.1.0';
export { createRng, mixSeed } from './rng.js';
export type { Rng, RngState } from './rng.js';
export {
  DEFAULT_SYNTHETIC_FACE_OPTIONS,
  generateSyntheticFace,
  resolveSyntheticFaceOptions,
  SYNTHETIC_FACE_MAX_SIZE,
  SYNTHETIC_FACE_MIN_SIZE,
} from './synthetic-face.js';
export type { SyntheticFace, SyntheticFaceOptions } from './synthetic-face.js';
export {
  DEFAULT_WRITE_SYNTHETIC_DATASET_OPTIONS,
  resolveWriteSyntheticDatasetOptions,
  splitCounts,
  syntheticStem,
  writeSyntheticDataset,
} from './synthetic-dataset.js';
export type { SyntheticDatasetSummary, WriteSyntheticDatasetOptions } from './synthetic-dataset.js';
export { DatasetError } from './dataset-error.js';
export type { SkippedFile } from './dataset-error.js';
export {
  decodeImage,
  IMAGE_MAX_PIXELS,
  openImage,
  readImageHeader,
  resizeLabelsNearest,
} from './image-io.js';
export type { DecodeLimits, ImageHeader, OpenImageOptions, RgbImage } from './image-io.js';
export { decodeMaskPng, maskLabelBytes } from './mask-png.js';
export type { DecodeMaskPngOptions } from './mask-png.js';
export { encodeRgbPng } from './rgb-png.js';
export {
  CELEBAMASK_PART_NAMES,
  combinePartMasks,
  decodePartMask,
  partMaskRelativePath,
} from './part-masks.js';
export type { CombinePartMasksOptions } from './part-masks.js';
export {
  CELEBA_SPLITS,
  officialSplits,
  parseCelebAHqMapping,
  parseCelebAPartition,
} from './official-split.js';
export type { CelebASplit, OfficialSplitRule } from './official-split.js';
export {
  DATASET_LAYOUTS,
  DEFAULT_OPEN_DATASET_OPTIONS,
  detectLayout,
  openDataset,
} from './dataset.js';
export type { Dataset, DatasetLayout, OpenDatasetOptions } from './dataset.js';
export { RESIZE_MODES, readLabels, readSample } from './read-sample.js';
export type { DatasetEntry, ReadSampleOptions, ResizeMode } from './read-sample.js';
export {
  computeMaskStats,
  DEFAULT_COMPUTE_MASK_STATS_OPTIONS,
  formatMaskStats,
  resolveComputeMaskStatsOptions,
} from './mask-stats.js';
export type { ComputeMaskStatsOptions, MaskStats } from './mask-stats.js';
export type { LabelledSample, Sample, SegSample, TrainSample } from './sample.js';
// the image arithmetic lives in @facepar/image (shared with heads' test pipeline)
export {
  DEFAULT_NORMALIZE_OPTIONS,
  normalizeImage,
  rescaleSize,
  resizeCropBilinear,
  resizeImageBilinear,
} from '@facepar/image';
export type { NormalizeOptions } from '@facepar/image';
export {
  cropLazyLabels,
  DEFAULT_RANDOM_RESIZE_OPTIONS,
  lazyResizeLabels,
  randomResizeSize,
  resizeLabelsCentred,
  resizeSample,
} from './resize.js';
export type { LazyResizedLabels, RandomResizeOptions } from './resize.js';
export {
  cropSample,
  DEFAULT_RANDOM_CROP_OPTIONS,
  randomCropBox,
} from './crop.js';
export type { CropBox, RandomCropOptions } from './crop.js';
export { flipImage, flipLabels, flipSample } from './flip.js';
export type { FlipOptions } from './flip.js';
export {
  applyPhotoMetric,
  DEFAULT_PHOTO_METRIC_DISTORTION_OPTIONS,
  drawPhotoMetric,
  photoMetricDistortion,
  resolvePhotoMetricDistortionOptions,
} from './photo-metric.js';
export type { PhotoMetricDistortionOptions, PhotoMetricDraw } from './photo-metric.js';
export { normalizePadInto, padSample } from './normalize.js';
export {
  DEFAULT_TRAIN_PIPELINE_OPTIONS,
  evalTransform,
  loadTrainCrop,
  loadTrainSample,
  normalizeTrainCrop,
  resolveTrainPipelineOptions,
  trainCrop,
  trainTransform,
} from './pipeline.js';
export type {
  ResolvedTrainPipelineOptions,
  TrainPipelineOptions,
} from './pipeline.js';
export { createLoader, DEFAULT_CREATE_LOADER_OPTIONS, epochOrder, evalIterator } from './loader.js';
export type { CreateLoaderOptions, EvalItem, Loader, LoaderBatch, LoaderState } from './loader.js';
export { convertPartMasks } from './convert.js';
export type { ConvertPartMasksOptions, ConvertPartMasksResult } from './convert.js';
