import * as tf from '@tensorflow/tfjs-core';

/** Backends every gradient test runs on. */
export const TEST_BACKENDS = ['cpu'] as const;

export type TestBackend = (typeof TEST_BACKENDS)[number];

/** Makes `name` the active backend for the tests that follow. */
export async function useBackend(name: TestBackend): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`backend '${name}' failed to initialise`);
}
