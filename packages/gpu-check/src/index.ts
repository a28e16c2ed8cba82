export {
  checkSpec,
  DEFAULT_GPU_CHECK_OPTIONS,
  releaseWebGpu,
  resolveGpuCheckOptions,
  runGpuCheck,
} from './gpu-check.js';
export type {
  CheckStep,
  GpuCheckOptions,
  GpuCheckReport,
  ResolvedGpuCheckOptions,
  TrainResult,
} from './gpu-check.js';
export { missingKernels, recordKernels } from './kernels.js';
export { syntheticFaceBatch } from './synthetic-batch.js';
export type { SyntheticBatchOptions } from './synthetic-batch.js';
export { createReportTrainStep, REPORT_SGD_OPTIONS } from './train-step.js';
export type { ReportTrainStepOptions } from './train-step.js';
export { webgpuDeviceInfo } from './webgpu-info.js';
