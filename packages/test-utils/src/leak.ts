import * as tf from '@tensorflow/tfjs-core';

/** Number of live tensors in the one tfjs engine. */
export function countTensors(): number {
  return tf.memory().numTensors;
}

/**
 * Runs `fn` once to warm up (kernels may cache constants), then again and
 * throws if the second run changed the number of live tensors. Whatever `fn`
 * returns is disposed by this helper.
 */
export async function expectNoTensorLeak(
  fn: () => unknown | Promise<unknown>,
  options: { warmup?: number; label?: string } = {},
): Promise<void> {
  const warmup = options.warmup ?? 1;
  for (let i = 0; i < warmup; i++) tf.dispose((await fn()) as tf.TensorContainer);
  const before = countTensors();
  tf.dispose((await fn()) as tf.TensorContainer);
  const after = countTensors();
  if (after !== before) {
    throw new Error(
      `${options.label ?? 'function'} leaked ${after - before} tensor(s): ${before} live before, ${after} after`,
    );
  }
}
