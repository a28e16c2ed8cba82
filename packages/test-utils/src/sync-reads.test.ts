import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { withoutSyncReads } from './index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  (tf.engine().registry.cpu as { firstUse?: boolean }).firstUse = false;
});

describe('withoutSyncReads', () => {
  it('makes dataSync/arraySync/bufferSync throw inside and restores them after', async () => {
    const t = tf.tensor1d([1, 2]);
    const reads: (() => unknown)[] = [
      () => t.dataSync(),
      () => t.arraySync(),
      () => t.bufferSync(),
    ];
    for (const read of reads) {
      await expect(withoutSyncReads(read)).rejects.toThrow(
        /synchronous read: Tensor\.(dataSync|arraySync|bufferSync)\(\) on a float32 \[2\] tensor/,
      );
    }
    // asynchronous reads and ops are allowed, and so is a kernel reading CPU-resident values
    expect(Array.from(await withoutSyncReads(() => t.data()))).toEqual([1, 2]);
    expect(await withoutSyncReads(() => tf.add(t, 1).array())).toEqual([2, 3]);
    expect(Array.from(t.dataSync())).toEqual([1, 2]);
    expect(Object.hasOwn(tf.backend(), 'readSync')).toBe(false);
    t.dispose();
  });
});
