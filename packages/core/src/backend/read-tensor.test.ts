import '../register.js';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { readScalar, readScalars, readTensor, readTensorSync } from './read-tensor.js';
import { useBackend } from './test-backends.test-helper.js';

beforeAll(async () => {
  await useBackend('cpu');
});

describe('asynchronous reads', () => {
  it('readTensor returns the values of every dtype', async () => {
    const f = tf.tensor2d([1.5, -2, 3, 4], [2, 2]);
    const i = tf.tensor1d([7, -8], 'int32');
    const b = tf.tensor1d([true, false], 'bool');
    expect(Array.from(await readTensor(f))).toEqual([1.5, -2, 3, 4]);
    expect(await readTensor(i)).toBeInstanceOf(Int32Array);
    expect(Array.from(await readTensor(i))).toEqual([7, -8]);
    expect(Array.from(await readTensor(b))).toEqual([1, 0]);
    tf.dispose([f, i, b]);
    await expect(readTensor(f)).rejects.toThrow(/is disposed/);
  });

  it('readScalars reads many single values in one read, casting int and bool', async () => {
    const ts = [tf.scalar(0.25), tf.scalar(3, 'int32'), tf.tensor1d([true], 'bool'), tf.scalar(-1)];
    const before = tf.memory().numTensors;
    expect(await readScalars(ts)).toEqual([0.25, 3, 1, -1]);
    expect(await readScalar(ts[3]!)).toBe(-1);
    expect(tf.memory().numTensors).toBe(before); // inputs kept, the stacked copy freed
    expect(await readScalars([])).toEqual([]);
    const big = tf.zeros([2]);
    await expect(readScalars([ts[0]!, big])).rejects.toThrow(
      /tensor 1 has shape \[2\] \(2 values\); each must hold exactly one value/,
    );
    tf.dispose([...ts, big]);
  });

  it('readTensorSync reads on backends that can (the webgpu refusal is tested on webgpu)', () => {
    const t = tf.tensor1d([1, 2]);
    expect(Array.from(readTensorSync(t, { caller: 'f()', asyncAlternative: 'g()' }))).toEqual([
      1, 2,
    ]);
    t.dispose();
  });
});
