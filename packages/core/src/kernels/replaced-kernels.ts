import type * as tf from '@tensorflow/tfjs-core';

/**
 * Kernels facepar replaced on a backend, by `${backend}/${kernel}`: facepar's Sum, Mean and
 * Conv2D handle the cases they speed up and hand the others to the kernel they replaced.
 */
const replaced = new Map<string, tf.KernelFunc>();

export function rememberReplacedKernel(backendName: string, config: tf.KernelConfig): void {
  replaced.set(`${backendName}/${config.kernelName}`, config.kernelFunc);
}

/** The kernel `kernelName` that facepar replaced on `backendName`; throws if there was none. */
export function replacedKernelFunc(backendName: string, kernelName: string): tf.KernelFunc {
  const original = replaced.get(`${backendName}/${kernelName}`);
  if (original === undefined) {
    throw new Error(`${kernelName} (facepar): no original kernel for backend '${backendName}'`);
  }
  return original;
}
