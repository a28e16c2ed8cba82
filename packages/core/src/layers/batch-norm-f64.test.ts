import '../register.js';
import { expectNoTensorLeak } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { TEST_BACKENDS, useBackend } from '../backend/test-backends.test-helper.js';
import { randomArray, relativeError } from '../gradients/reference.test-helper.js';
import { BatchNorm2d } from './batch-norm2d.js';

/** Training-mode BatchNorm over [N,H,W,C] and its gradients for loss Σ y·r, in float64. */
function reference(
  x: Float64Array,
  c: number,
  gamma: Float64Array,
  beta: Float64Array,
  r: Float64Array,
) {
  const n = x.length / c;
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  const dGamma = new Float64Array(c);
  const dBeta = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += x[i * c + j]!;
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (x[i * c + j]! - m) ** 2;
    const inv = 1 / Math.sqrt(v / n + 1e-5);
    let sd = 0;
    let sdh = 0;
    for (let i = 0; i < n; i++) {
      const h = (x[i * c + j]! - m) * inv;
      y[i * c + j] = h * gamma[j]! + beta[j]!;
      sd += r[i * c + j]!;
      sdh += r[i * c + j]! * h;
    }
    dGamma[j] = sdh;
    dBeta[j] = sd;
    for (let i = 0; i < n; i++) {
      const h = (x[i * c + j]! - m) * inv;
      dx[i * c + j] = gamma[j]! * inv * (r[i * c + j]! - sd / n - (h * sdh) / n);
    }
  }
  return { y, dx, dGamma, dBeta };
}

// [N, H, W, C], data = offset + spread · noise: BatchNorm over 2 values (the ASPP image-pool
// branch at batch 2) and over 60 values far off centre. In float32 tfjs ops both lose 2-4
// digits of the backward (the formula cancels) and the mean's rounding shows in x − mean.
type Shape4 = [number, number, number, number];
const CASES: { name: string; shape: Shape4; offset: number; spread: number }[] = [
  { name: 'two values per channel', shape: [2, 1, 1, 6], offset: 3, spread: 0.01 },
  { name: 'values far off centre', shape: [2, 6, 5, 4], offset: 50, spread: 0.5 },
];

describe.each(TEST_BACKENDS)('BatchNorm2d training arithmetic on %s', (backend) => {
  it.each(CASES)(
    '$name: y, dx, dgamma, dbeta within 1e-6 of float64',
    async ({ shape, offset, spread }) => {
      await useBackend(backend);
      const c = shape[3];
      const size = shape.reduce((a: number, b: number) => a * b, 1);
      const x64 = Float64Array.from(randomArray(size, 1), (v) => offset + spread * v);
      const x32 = Float32Array.from(x64);
      const g32 = Float32Array.from(randomArray(c, 2), (v) => 1 + 0.3 * v);
      const b32 = Float32Array.from(randomArray(c, 3), (v) => 0.5 * v);
      const r32 = Float32Array.from(randomArray(size, 4));
      // the reference sees exactly the float32 inputs
      const ref = reference(
        Float64Array.from(x32),
        c,
        Float64Array.from(g32),
        Float64Array.from(b32),
        Float64Array.from(r32),
      );
      const bn = new BatchNorm2d({ name: 'bn' });
      bn.build(shape);
      bn.setWeights([tf.tensor1d(g32), tf.tensor1d(b32), tf.zeros([c]), tf.ones([c])]);
      const x = tf.variable(tf.tensor4d(x32, shape));
      const r = tf.tensor(r32, shape);
      const [gamma, beta] = bn.trainableWeights.map((w) => w.read() as tf.Variable);
      const y = tf.tidy(() => bn.apply(x, { training: true }) as tf.Tensor);
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.mul(bn.apply(x, { training: true }) as tf.Tensor, r)) as tf.Scalar,
        [x, gamma!, beta!],
      );
      expect(relativeError(y.dataSync(), ref.y)).toBeLessThan(1e-6);
      expect(relativeError(grads[x.name]!.dataSync(), ref.dx)).toBeLessThan(1e-6);
      expect(relativeError(grads[gamma!.name]!.dataSync(), ref.dGamma)).toBeLessThan(1e-6);
      expect(relativeError(grads[beta!.name]!.dataSync(), ref.dBeta)).toBeLessThan(1e-6);
      await expectNoTensorLeak(
        () => {
          const out = tf.variableGrads(
            () => tf.sum(tf.mul(bn.apply(x, { training: true }) as tf.Tensor, r)) as tf.Scalar,
            [x, gamma!, beta!],
          );
          tf.dispose([out.value, out.grads]);
        },
        { label: 'BatchNorm2d float64 path' },
      );
      tf.dispose([x, r, y, value, grads]);
      for (const w of bn.weights) w.dispose();
    },
  );
});
