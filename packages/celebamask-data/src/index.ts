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
