import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from '../kernels/wasm-training-kernels.js';

/** Backends every gradient test runs on. */
export const TEST_BACKENDS = ['cpu', 'wasm'] as const;

export type TestBackend = (typeof TEST_BACKENDS)[number];

/** Makes `name` the active backend (wasm: with facepar's training kernels). */
export async function useBackend(name: TestBackend): Promise<void> {
  if (name === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    registerWasmTrainingKernels();
  }
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`backend '${name}' failed to initialise`);
  // Keep test output free of tfjs-backend-cpu's "running TensorFlow.js in Node.js" banner.
  const cpu = tf.engine().registry.cpu as { firstUse?: boolean } | undefined;
  if (cpu !== undefined) cpu.firstUse = false;
}
