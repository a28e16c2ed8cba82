import * as tf from '@tensorflow/tfjs-core';
import { asTensor } from './kernel-utils.js';
import { WASM_TRAINING_KERNELS } from './wasm-training-kernels.js';

const wasmKernel = (name: string): tf.KernelFunc => {
  const k = WASM_TRAINING_KERNELS.find((x) => x.kernelName === name);
  if (k == null) throw new Error(`facepar: no training kernel named ${name}`);
  return k.kernelFunc;
};

/** WebGPU's default `maxStorageBuffersPerShaderStage` (what tfjs-webgpu's device gets). */
const DEFAULT_STORAGE_BUFFERS = 8;

let tfjsAddN: tf.KernelFunc | undefined;

/**
 * tfjs-webgpu's AddN binds every input as a storage buffer; past the device's per-stage limit
 * (8 with the output, as tfjs requests no more) the pipeline is invalid, Dawn logs a validation
 * error and the output keeps whatever its buffer held. Here the inputs are summed in chunks that
 * fit (left to right), with tfjs' own kernel for each chunk.
 */
const addN: tf.KernelFunc = (args) => {
  const inputs = args.inputs as unknown as tf.TensorInfo[];
  const device = (
    args.backend as { device?: { limits?: { maxStorageBuffersPerShaderStage?: number } } }
  ).device;
  const perStage = device?.limits?.maxStorageBuffersPerShaderStage ?? DEFAULT_STORAGE_BUFFERS;
  const chunk = Math.max(2, perStage - 1);
  const own = tfjsAddN as tf.KernelFunc;
  if (inputs.length <= chunk) return own(args);
  return tf.tidy(() => {
    const parts: tf.Tensor[] = [];
    for (let i = 0; i < inputs.length; i += chunk) {
      const group = inputs.slice(i, i + chunk).map((t) => asTensor(t));
      parts.push(group.length === 1 ? (group[0] as tf.Tensor) : tf.addN(group));
    }
    return tf.addN(parts);
  });
};

/**
 * Kernels facepar replaces on tfjs-backend-webgpu 4.22, which has every kernel of the training
 * step, two of them with a defect:
 * - `MaxPoolGrad` sends the gradient of a window with tied maxima to the last of them (PyTorch:
 *   the first); replaced by facepar's op-built kernel (the one wasm uses);
 * - `AddN` of more than 7 tensors silently returns garbage (see above); chunked.
 */
export const WEBGPU_TRAINING_KERNELS: readonly { kernelName: string; kernelFunc: tf.KernelFunc }[] =
  [
    { kernelName: 'MaxPoolGrad', kernelFunc: wasmKernel('MaxPoolGrad') },
    { kernelName: 'AddN', kernelFunc: addN },
  ];

/**
 * Registers `WEBGPU_TRAINING_KERNELS` for the webgpu backend, replacing tfjs' (idempotent). Call
 * after `@tensorflow/tfjs-backend-webgpu` registered its kernels; `initBackend` does this.
 */
export function registerWebGpuTrainingKernels(): string[] {
  const done: string[] = [];
  for (const k of WEBGPU_TRAINING_KERNELS) {
    const existing = tf.getKernel(k.kernelName, 'webgpu');
    if (existing?.kernelFunc === k.kernelFunc) continue;
    if (existing != null) {
      if (k.kernelName === 'AddN') tfjsAddN = existing.kernelFunc;
      tf.unregisterKernel(k.kernelName, 'webgpu');
    } else if (k.kernelName === 'AddN') {
      continue; // nothing to chunk around
    }
    tf.registerKernel({
      kernelName: k.kernelName,
      backendName: 'webgpu',
      kernelFunc: k.kernelFunc,
    });
    done.push(k.kernelName);
  }
  return done;
}
