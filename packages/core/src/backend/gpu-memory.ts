import * as tf from '@tensorflow/tfjs-core';

/** GPU bytes of the active backend (null where it keeps no GPU memory: cpu, wasm, tensorflow). */
export interface GpuMemory {
  /** Bytes held by live tensors (`numBytesInGPU`). */
  inUse: number | null;
  /**
   * Bytes the backend's buffer pool holds: in use plus freed buffers kept for reuse, keyed by
   * exact size (`numBytesAllocatedInGPU` on webgpu, `numBytesInGPUAllocated` on webgl).
   */
  allocated: number | null;
}

/**
 * GPU bytes from `tf.memory()` under both tfjs names (webgpu and webgl name the pool
 * differently). A pool that keeps growing from step to step means the tensor shapes change.
 */
export function gpuMemory(): GpuMemory {
  const m = tf.memory() as unknown as Record<string, unknown>;
  const num = (...keys: string[]) => {
    for (const k of keys) if (typeof m[k] === 'number') return m[k] as number;
    return null;
  };
  return {
    inUse: num('numBytesInGPU'),
    allocated: num('numBytesAllocatedInGPU', 'numBytesInGPUAllocated'),
  };
}
