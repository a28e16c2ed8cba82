import '../register.js';
import { expectNoTensorLeak } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_BACKENDS, useBackend } from '../backend/test-backends.test-helper.js';
import {
  maxPoolReference,
  randomArray,
  relativeError,
} from '../gradients/reference.test-helper.js';
import { maxPool2d } from './max-pool.js';

type Pair = [number, number];
const CASES: Array<{ xShape: [number, number, number, number]; k: Pair; s: Pair; p: Pair }> = [
  { xShape: [2, 8, 8, 3], k: [3, 3], s: [2, 2], p: [1, 1] }, // ResNet stem pool
  { xShape: [1, 7, 9, 2], k: [3, 3], s: [2, 2], p: [1, 1] },
  { xShape: [1, 6, 6, 2], k: [2, 2], s: [2, 2], p: [0, 0] },
  { xShape: [1, 7, 6, 2], k: [3, 2], s: [1, 2], p: [1, 1] },
  { xShape: [1, 5, 5, 1], k: [5, 5], s: [1, 1], p: [2, 2] },
];

describe.each(TEST_BACKENDS)('maxPool2d on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each(CASES.map((c, i) => [`${c.xShape.join('x')} k${c.k} s${c.s} p${c.p}`, c, i] as const))(
    '%s matches PyTorch semantics forward and backward',
    async (_name, c, i) => {
      // Negative values everywhere make -inf padding observable (zero padding would win).
      const xv = Float64Array.from(
        Float32Array.from(
          randomArray(
            c.xShape.reduce((a, b) => a * b),
            300 + i,
          ).map((v) => v - 2),
        ),
      );
      const probe = maxPoolReference(c.xShape, xv, c.k, c.s, c.p, new Float64Array(xv.length));
      const rv = Float64Array.from(Float32Array.from(randomArray(probe.y.length, 350 + i)));
      const ref = maxPoolReference(c.xShape, xv, c.k, c.s, c.p, rv);
      const x = tf.tensor4d(Float32Array.from(xv), c.xShape);
      const r = tf.tensor(Float32Array.from(rv), ref.yShape);
      const op = (a: tf.Tensor) =>
        maxPool2d({ x: a as tf.Tensor4D, kernelSize: c.k, stride: c.s, padding: c.p });
      const y = op(x);
      const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(op(a), r)))(x);
      expect(y.shape).toEqual(ref.yShape);
      const errY = relativeError(await y.data(), ref.y);
      const errDx = relativeError(await dx.data(), ref.dx);
      tf.dispose([x, r, y, dx]);
      expect(errY).toBeLessThanOrEqual(1e-6);
      expect(errDx).toBeLessThanOrEqual(1e-6);
    },
  );

  it('leaks no tensors', async () => {
    const x = tf.randomNormal([1, 6, 6, 2]) as tf.Tensor4D;
    const g = tf.grad((a: tf.Tensor) =>
      tf.sum(maxPool2d({ x: a as tf.Tensor4D, kernelSize: 3, stride: 2, padding: 1 })),
    );
    await expectNoTensorLeak(() => g(x), { label: 'maxPool2d gradient' });
    tf.dispose(x);
  });
});

describe('resolveMaxPool2dOptions', () => {
  it('defaults stride to kernelSize and rejects bad values naming them', () => {
    const x = tf.zeros([1, 4, 4, 1]) as tf.Tensor4D;
    expect(maxPool2d({ x, kernelSize: 2 }).shape).toEqual([1, 2, 2, 1]);
    expect(() => maxPool2d({ x, kernelSize: 0 })).toThrow(
      /kernelSize must be a positive integer or \[h, w\], got 0/,
    );
    expect(() => maxPool2d({ x, kernelSize: 3, padding: 2 })).toThrow(
      /padding \[2,2\] must be at most half/,
    );
    x.dispose();
  });
});

describe.each(TEST_BACKENDS)('maxPool2d ties on %s', (backend) => {
  it('sends the gradient of a tied window to its first maximum (PyTorch rule)', async () => {
    await useBackend(backend);
    // relu output: a window of zeros ties everywhere; and an all-negative window.
    const x = tf.tensor4d([0, 0, -3, -1, 0, 0, -2, -1, 5, 1, 0, 0, 1, 5, 0, 0], [1, 4, 4, 1]);
    const dx = tf.grad((a: tf.Tensor) =>
      tf.sum(
        tf.mul(
          maxPool2d({ x: a as tf.Tensor4D, kernelSize: 2 }),
          tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]),
        ),
      ),
    )(x);
    expect([...(await dx.data())]).toEqual([1, 0, 0, 2, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0]);
    tf.dispose([x, dx]);
  });
});
