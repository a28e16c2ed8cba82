import * as tf from '@tensorflow/tfjs-core';

/**
 * Backends that cannot read a GPU-resident tensor synchronously. tfjs-backend-webgpu 4.22
 * implements `dataSync()`/`arraySync()`/`bufferSync()` by drawing into an `OffscreenCanvas`,
 * which Node does not have (`OffscreenCanvas is not defined`); in a browser it works but stalls.
 */
export const ASYNC_READ_BACKENDS: ReadonlySet<string> = new Set(['webgpu']);

/**
 * A tensor's values, read asynchronously on every backend (`await tensor.data()`). The array may
 * be the backend's own storage (cpu, and webgpu after a read): copy it before changing it. The
 * tensor is not disposed.
 */
export async function readTensor<D extends tf.DataType = tf.NumericDataType>(
  tensor: tf.Tensor,
): Promise<tf.DataTypeMap[D]> {
  if (tensor.isDisposed) throw new Error(`readTensor: the tensor (id ${tensor.id}) is disposed`);
  return (await tensor.data()) as tf.DataTypeMap[D];
}

/**
 * The values of several scalars (or single-element tensors) in one asynchronous read: they are
 * stacked on the device first, so a GPU backend waits for its queue once instead of once per
 * value. The tensors are not disposed. Non-numeric dtypes are refused.
 */
export async function readScalars(tensors: readonly tf.Tensor[]): Promise<number[]> {
  if (tensors.length === 0) return [];
  tensors.forEach((t, i) => {
    if (t.isDisposed) throw new Error(`readScalars: tensor ${i} (id ${t.id}) is disposed`);
    if (t.size !== 1) {
      throw new Error(
        `readScalars: tensor ${i} has shape [${t.shape.join(', ')}] (${t.size} values); each must hold exactly one value`,
      );
    }
    if (t.dtype === 'string' || t.dtype === 'complex64') {
      throw new Error(`readScalars: tensor ${i} has dtype ${t.dtype}; numeric dtypes only`);
    }
  });
  const stacked = tf.tidy(() =>
    tf.concat(
      tensors.map((t) => tf.reshape(t.dtype === 'float32' ? t : tf.cast(t, 'float32'), [1])),
    ),
  );
  try {
    return Array.from(await stacked.data());
  } finally {
    stacked.dispose();
  }
}

/** `readScalars` for one tensor. */
export async function readScalar(tensor: tf.Tensor): Promise<number> {
  return (await readScalars([tensor]))[0] as number;
}

/**
 * `tensor.dataSync()` where the active backend can read synchronously (cpu, wasm, tensorflow);
 * on webgpu it throws an error that names `caller` and its asynchronous alternative, instead of
 * tfjs-webgpu's `OffscreenCanvas is not defined`.
 */
export function readTensorSync<D extends tf.DataType = tf.NumericDataType>(
  tensor: tf.Tensor,
  options: {
    /** The function that reads (for the error). */
    caller: string;
    /** What to call instead on webgpu (for the error). */
    asyncAlternative: string;
  },
): tf.DataTypeMap[D] {
  const backend = tf.getBackend();
  if (ASYNC_READ_BACKENDS.has(backend)) {
    throw new Error(
      `${options.caller} reads tensors synchronously, which the '${backend}' backend cannot do in Node; use ${options.asyncAlternative} instead`,
    );
  }
  return tensor.dataSync() as tf.DataTypeMap[D];
}
