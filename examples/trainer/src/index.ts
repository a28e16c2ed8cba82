export { parseFlags, requireFlag, intFlag, choiceFlag, shardFlag, UsageError } from './args.js';
export type { FlagSpec, ParseFlagsOptions, ParsedFlags, Shard } from './args.js';
export { COMMANDS, findCommand } from './commands/index.js';
export type { Command } from './commands/types.js';
export { runCli, readVersion, formatHelp, EXIT_OK, EXIT_FAILURE, EXIT_USAGE } from './run-cli.js';
export type { RunCliOptions } from './run-cli.js';
export { writeFileAtomic, fsyncDir } from './run/atomic-write.js';
export { JsonlLogger, readJsonl } from './run/jsonl-log.js';
export type { LogRecord } from './run/jsonl-log.js';
export {
  saveCheckpoint,
  loadCheckpoint,
  resolveCheckpointDir,
  readCheckpointPointers,
  CHECKPOINT_STATE_FILE,
} from './run/checkpoint.js';
export type {
  CheckpointPointer,
  LoadedCheckpoint,
  SaveCheckpointOptions,
  SavedCheckpoint,
} from './run/checkpoint.js';
export { Progress, formatDuration, formatProgressLine } from './run/progress.js';
export { renderCurves, curvesSpec } from './run/curves.js';
export {
  TRAIN_CONFIGS,
  applyConfigOverrides,
  getTrainConfig,
  listTrainConfigs,
} from './configs/index.js';
export type {
  TrainConfig,
  TrainConfigOverrides,
  TrainDataConfig,
  TrainLossConfig,
} from './configs/types.js';
export {
  DEFAULT_TRAIN_LOOP_OPTIONS,
  NonFiniteLossError,
  readCheckpointTensors,
  runTrainLoop,
} from './train/train-loop.js';
export type {
  Batch,
  BatchSource,
  ComputeLoss,
  EvalSummary,
  LossParts,
  StopReason,
  TrainLoopOptions,
  TrainResult,
} from './train/train-loop.js';
export {
  createBatches,
  evaluateModel,
  probeIterationSeconds,
  trainSegmentor,
} from './train/train-segmentor.js';
export type { TrainDataset, TrainSegmentorOptions } from './train/train-segmentor.js';
export { createSegmentorLoss } from './train/segmentor-loss.js';
export { BACKEND_NAMES, initTrainerBackend } from './train/backend.js';
export type { BackendName } from './train/backend.js';
export { holdOut, openSplit, readSamples } from './data/load-samples.js';
export type { SplitDataset } from './data/load-samples.js';
export { LoaderBatches } from './data/loader-batches.js';
export type { Sample } from './data/samples.js';
