import { gpuMemory, initBackend, listBackends } from '@facepar/core';
import { createSegmentor } from '@facepar/heads';
import { requireWebGpuUnderCi } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { syntheticFaceBatch } from './synthetic-batch.js';
import { createReportTrainStep } from './train-step.js';

const { available, adapter } = await requireWebGpuUnderCi({ listBackends });

describe.runIf(available)(`GPU memory over training steps (${adapter})`, () => {
  it('stays flat: the buffer pool at iteration 24 is at most iteration 5 + 1 %, no tensor leaks', async () => {
    await initBackend({ backend: 'webgpu' });
    const seg = createSegmentor({ model: 'deeplabv3plus_r18-d16-thin', numClasses: 19, seed: 0 });
    const step = createReportTrainStep({ segmentor: seg });
    const { mean, std } = seg.spec;
    // Fixed shapes (tfjs-webgpu pools freed buffers by exact size): a new batch every step.
    const allocated: number[] = [];
    const tensors: number[] = [];
    for (let i = 0; i < 24; i++) {
      const batch = syntheticFaceBatch({ size: 64, batchSize: 2, seed: 10 * i, mean, std });
      const { loss } = await step.step({ batch });
      expect(Number.isFinite(loss)).toBe(true);
      tf.dispose([batch.images, batch.labels]);
      allocated.push(gpuMemory().allocated as number);
      tensors.push(tf.memory().numTensors);
    }
    const at5 = allocated[4] as number;
    expect(at5).toBeGreaterThan(0);
    expect(allocated.at(-1), JSON.stringify(allocated)).toBeLessThanOrEqual(at5 * 1.01);
    expect(new Set(tensors.slice(4)).size, JSON.stringify(tensors)).toBe(1);
    step.dispose();
    seg.dispose();
  }, 300_000);
});
