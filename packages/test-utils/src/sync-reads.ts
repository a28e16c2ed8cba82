import * as tf from '@tensorflow/tfjs-core';

const SYNC_METHODS = ['dataSync', 'arraySync', 'bufferSync'] as const;

interface BackendWithMap {
  readSync(dataId: object): unknown;
  tensorMap?: { get(dataId: object): { values?: unknown } | undefined };
}

/**
 * Runs `fn` with synchronous reads forbidden: `Tensor.dataSync/arraySync/bufferSync` throw, and
 * so does the active backend's `readSync` of data that lives on the device (what tfjs-webgpu
 * cannot do in Node; its kernels may still read values that are already on the CPU). Everything
 * is restored afterwards, also when `fn` throws.
 */
export async function withoutSyncReads<T>(fn: () => T | Promise<T>): Promise<T> {
  const proto = tf.Tensor.prototype as unknown as Record<string, unknown>;
  const saved = SYNC_METHODS.map((m) => [m, proto[m]] as const);
  const backend = tf.backend() as unknown as BackendWithMap;
  const hadOwn = Object.hasOwn(backend, 'readSync');
  const readSync = backend.readSync;
  for (const m of SYNC_METHODS) {
    proto[m] = function (this: tf.Tensor) {
      throw new Error(`synchronous read: Tensor.${m}() on a ${this.dtype} [${this.shape}] tensor`);
    };
  }
  backend.readSync = function (this: BackendWithMap, dataId: object) {
    const entry = this.tensorMap?.get(dataId);
    if (entry !== undefined && entry.values == null) {
      throw new Error(`synchronous read: ${tf.getBackend()} readSync of device-resident data`);
    }
    return readSync.call(this, dataId);
  };
  try {
    return await fn();
  } finally {
    for (const [m, f] of saved) proto[m] = f;
    if (hadOwn) backend.readSync = readSync;
    else delete (backend as Partial<BackendWithMap>).readSync;
  }
}
