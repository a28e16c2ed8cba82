import * as tf from '@tensorflow/tfjs-core';

interface WebGpuBackendLike {
  device?: { limits?: Record<string, unknown>; features?: Iterable<string> };
  adapterInfo?: Record<string, unknown>;
  pipelineCache?: Record<string, unknown>;
}

/** Limits that decide whether the report's step fits (buffer sizes, workgroups). */
const LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupsPerDimension',
] as const;

/** The active webgpu backend's device limits, features and compiled pipeline count. */
export function webgpuDeviceInfo(): {
  limits: Record<string, number>;
  features: string[];
  pipelines: number;
} {
  const b = tf.backend() as unknown as WebGpuBackendLike;
  const limits: Record<string, number> = {};
  for (const k of LIMITS) {
    const v = b.device?.limits?.[k];
    if (typeof v === 'number') limits[k] = v;
  }
  return {
    limits,
    features: [...(b.device?.features ?? [])].sort(),
    pipelines: Object.keys(b.pipelineCache ?? {}).length,
  };
}
