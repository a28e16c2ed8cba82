export const VERSION = '0.1.0';

export { applyConfigOverrides, polyLrOf, resolveTrainConfig } from './config.js';
export { applyConfigSets, parseConfigSet, TRAIN_CONFIG_KEYS } from './config-set.js';
export type { ConfigKey } from './config-set.js';
export { prepareTrainRun } from './run/prepare-run.js';
export type { PreparedTrainRun, TrainRunRequest } from './run/prepare-run.js';
export {
  defaultWorkDir,
  RUN_CONFIG_FILE,
  readRunConfig,
  resolveRunFolder,
  TrainRunError,
} from './run/run-folder.js';
export { signalExitCode, STOP_SIGNALS, withStopSignals } from './run/stop-signals.js';
export { JsonlLogger, readJsonl, truncateOnResume } from './run/jsonl-log.js';
export { RUN_LOG_FILE, runTraining } from './run/run-training.js';
export { ClassWeightsInputError, classWeightsReport } from './reports/class-weights-report.js';
export type { RunTrainingResult } from './run/run-training.js';
export type { StopSignal } from './run/stop-signals.js';
export type {
  DataSource,
  ResolvedTrainConfig,
  TrainConfig,
  TrainConfigOverrides,
} from './config.js';
export { formatLogRecord } from './records.js';
export type { EvalSummary, LogRecord, RecordSink } from './records.js';
export { isDue } from './loop/hooks.js';
export type { LoopState, RunOutcome, StepResult, TrainHook } from './loop/hooks.js';
export { createTrainStep } from './loop/train-step.js';
export type {
  ComputeLoss,
  LossParts,
  StepTensors,
  TrainStep,
  TrainStepOptions,
} from './loop/train-step.js';
export { LoaderBatches } from './loop/loader-batches.js';
export type { Batch, BatchSource } from './loop/loader-batches.js';
export { createLogWindowHook } from './loop/log-window.js';
export type { LogWindowState } from './loop/log-window.js';
export { createEvaluationHook } from './loop/evaluation-hook.js';
export {
  DEFAULT_TRAIN_LOOP_OPTIONS,
  NonFiniteLossError,
  runTrainLoop,
} from './loop/train-loop.js';
export type { StopReason, TrainLoopOptions, TrainResult } from './loop/train-loop.js';
export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_STATE_FILE,
  DEFAULT_KEEP_PREVIOUS,
  LEGACY_CHECKPOINT_FORMAT,
  loadCheckpoint,
  readCheckpointPointers,
  resolveCheckpointDir,
  saveCheckpoint,
} from './checkpoint/run-checkpoint.js';
export type {
  CheckpointPointer,
  LoadCheckpointOptions,
  LoadedCheckpoint,
  SaveCheckpointOptions,
  SavedCheckpoint,
} from './checkpoint/run-checkpoint.js';
export {
  exportModelWeights,
  importModelWeights,
  modelStateFiles,
  OPTIMIZER_FILE,
  openRunCheckpoint,
  readCheckpointFile,
  resumeRun,
  WEIGHTS_FILE,
} from './checkpoint/model-state.js';
export type { TrainState } from './checkpoint/model-state.js';
export { createCheckpointHook } from './checkpoint/checkpoint-hook.js';
export { convertWeightsFile } from './checkpoint/convert-weights.js';
export { initSegmentorWeights } from './checkpoint/init-weights.js';
export type { CheckpointHookOptions } from './checkpoint/checkpoint-hook.js';
export { createSegmentorLoss } from './loss/segmentor-loss.js';
export { evaluate, majorityBaselineMIoU, reportFromMatrix } from './evaluate/evaluate.js';
export type { EvaluateOptions, EvaluationReport } from './evaluate/evaluate.js';
export {
  formatReportSummary,
  reportJson,
  writePredictionPngs,
  writeRunReport,
} from './evaluate/run-report.js';
export { evalSplitFor, evaluateCheckpoint } from './evaluate/evaluate-checkpoint.js';
export type { EvalSplit } from './evaluate/evaluate-checkpoint.js';
export {
  openSegmentorWeights,
  predictFile,
  predictFiles,
  withTestMode,
} from './evaluate/predict-file.js';
export {
  expandPredictInputs,
  PREDICT_INPUT_EXTENSIONS,
  predictionStem,
} from './evaluate/predict-inputs.js';
export type { PredictFileResult } from './evaluate/predict-file.js';
export {
  dataSourceFor,
  ensureSyntheticDataset,
  holdOut,
  openSplit,
  openTrainData,
  readLabelledSamples,
} from './data/train-data.js';
export type { Shard, SplitDataset, TrainData } from './data/train-data.js';
export {
  createBatches,
  fitIterationsToBudget,
  probeIterationSeconds,
  trainSegmentor,
} from './train-segmentor.js';
export type { TrainSegmentorOptions, TrainSegmentorResult } from './train-segmentor.js';
