import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { gpuMemory } from './gpu-memory.js';

describe('gpuMemory', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is null on a backend without GPU memory', async () => {
    await tf.setBackend('cpu');
    expect(gpuMemory()).toEqual({ inUse: null, allocated: null });
  });

  it("reads webgpu's and webgl's names for the pool", async () => {
    await tf.setBackend('cpu');
    // tf.memory() adds the engine's counts to what the active backend's memory() reports
    const spy = vi.spyOn(tf.backend(), 'memory');
    spy.mockImplementation(() => ({
      unreliable: false,
      numBytesInGPU: 8,
      numBytesAllocatedInGPU: 24,
    }));
    expect(gpuMemory()).toEqual({ inUse: 8, allocated: 24 });
    spy.mockImplementation(() => ({
      unreliable: false,
      numBytesInGPU: 8,
      numBytesInGPUAllocated: 16,
    }));
    expect(gpuMemory()).toEqual({ inUse: 8, allocated: 16 });
  });
});
