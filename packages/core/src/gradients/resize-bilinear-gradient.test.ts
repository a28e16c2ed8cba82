import '../register.js';
import { expectNoTensorLeak } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_BACKENDS, useBackend } from '../backend/test-backends.test-helper.js';
import { resizeBilinear } from '../ops/resize-bilinear.js';
import { randomArray, relativeError, resizeBilinearReference } from './reference.test-helper.js';
import {
  integerUpsampleKernel,
  interpolationTaps,
  transposedInterpolationMatrix,
} from './resize-bilinear-gradient.js';

const TOL = 1e-4;

type Shape = [number, number, number, number];
const CASES: Array<{ xShape: Shape; size: [number, number]; alignCorners: boolean }> = [];
for (const alignCorners of [false, true]) {
  CASES.push({ xShape: [2, 5, 7, 3], size: [11, 16], alignCorners }); // up, odd
  CASES.push({ xShape: [1, 4, 4, 2], size: [16, 16], alignCorners }); // up x4 (logits → labels)
  CASES.push({ xShape: [2, 13, 9, 2], size: [5, 4], alignCorners }); // down, odd
  CASES.push({ xShape: [1, 16, 16, 1], size: [4, 4], alignCorners }); // down x4
  CASES.push({ xShape: [1, 6, 5, 2], size: [6, 9], alignCorners }); // H same, W up
  CASES.push({ xShape: [1, 3, 4, 2], size: [1, 1], alignCorners }); // to 1x1
  CASES.push({ xShape: [1, 3, 5, 2], size: [6, 15], alignCorners }); // x2 and x3
  CASES.push({ xShape: [1, 1, 2, 1], size: [4, 8], alignCorners }); // from a single row
}

describe('interpolationTaps', () => {
  it('matches hand-computed half-pixel taps for 2 → 4', () => {
    // src = (o + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25 → clamp 0 / floor
    const t = interpolationTaps({
      inSize: 2,
      outSize: 4,
      alignCorners: false,
      halfPixelCenters: true,
    });
    expect([...t.lower]).toEqual([0, 0, 0, 1]);
    expect([...t.upper]).toEqual([1, 1, 1, 1]);
    expect([...t.lambda]).toEqual([0, 0.25, 0.75, 0]);
    // input 0 receives 1·dy0 + 0.75·dy1 + 0.25·dy2; input 1 receives 0.25·dy1 + 0.75·dy2 + 1·dy3
    expect([...transposedInterpolationMatrix(t, 2)]).toEqual([1, 0.75, 0.25, 0, 0, 0.25, 0.75, 1]);
    // the same as a stride-2 correlation over dy padded by 4: taps (k-1 side, centre, k+1 side)
    expect([...integerUpsampleKernel(2)]).toEqual([0, 0.25, 0.75, 0.75, 0.25, 0]);
  });
});

describe.each(TEST_BACKENDS)('resizeBilinear gradient on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each(
    CASES.map(
      (c, i) =>
        [
          `${c.xShape.join('x')} → ${c.size.join('x')} alignCorners=${c.alignCorners}`,
          c,
          i,
        ] as const,
    ),
  )('%s matches the PyTorch-semantics reference', async (_name, c, i) => {
    const xv = Float64Array.from(
      Float32Array.from(
        randomArray(
          c.xShape.reduce((a, b) => a * b),
          900 + i,
        ),
      ),
    );
    const n = c.xShape[0] * c.size[0] * c.size[1] * c.xShape[3];
    const rv = Float64Array.from(Float32Array.from(randomArray(n, 950 + i)));
    const ref = resizeBilinearReference(c.xShape, xv, c.size, c.alignCorners, rv);
    const x = tf.tensor4d(Float32Array.from(xv), c.xShape);
    const r = tf.tensor4d(Float32Array.from(rv), [c.xShape[0], c.size[0], c.size[1], c.xShape[3]]);
    const op = (a: tf.Tensor) =>
      resizeBilinear({ x: a as tf.Tensor4D, size: c.size, alignCorners: c.alignCorners });
    const y = op(x);
    const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(op(a), r)))(x);
    const errY = relativeError(await y.data(), ref.y);
    const errDx = relativeError(await dx.data(), ref.dx);
    tf.dispose([x, r, y, dx]);
    expect(errY).toBeLessThanOrEqual(TOL);
    expect(errDx).toBeLessThanOrEqual(TOL);
  });

  it('fixes the tfjs gradient, which ignores halfPixelCenters', async () => {
    // 2 → 4 along W: reference dx from the hand-computed taps above with dy = 1.
    const x = tf.tensor4d([1, 2], [1, 1, 2, 1]);
    const dx = tf.grad((a: tf.Tensor) =>
      tf.sum(resizeBilinear({ x: a as tf.Tensor4D, size: [1, 4] })),
    )(x);
    expect([...(await dx.data())]).toEqual([2, 2]);
    tf.dispose([x, dx]);
  });

  it('leaks no tensors', async () => {
    const x = tf.randomNormal([1, 5, 6, 2]) as tf.Tensor4D;
    const g = tf.grad((a: tf.Tensor) =>
      tf.sum(resizeBilinear({ x: a as tf.Tensor4D, size: [9, 4] })),
    );
    await expectNoTensorLeak(() => g(x), { label: 'resizeBilinear gradient' });
    tf.dispose(x);
  });
});
