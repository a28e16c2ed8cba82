import '../register.js';
import { expectNoTensorLeak } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_BACKENDS, useBackend } from '../backend/test-backends.test-helper.js';
import { randomArray, relativeError } from './reference.test-helper.js';

/** Float64 gradients of y = (x - m)·g/√(v + ε) + b for upstream dy, per channel (last axis). */
function reference(
  x: Float64Array,
  m: Float64Array,
  v: Float64Array,
  g: Float64Array,
  dy: Float64Array,
  eps: number,
) {
  const c = m.length;
  const dx = new Float64Array(x.length);
  const dm = new Float64Array(c);
  const dv = new Float64Array(c);
  const dg = new Float64Array(c);
  const db = new Float64Array(c);
  for (let i = 0; i < x.length; i++) {
    const k = i % c;
    const r = 1 / Math.sqrt((v[k] as number) + eps);
    const d = dy[i] as number;
    const xm = (x[i] as number) - (m[k] as number);
    dx[i] = d * (g[k] as number) * r;
    dm[k] = (dm[k] as number) - d * (g[k] as number) * r;
    dv[k] = (dv[k] as number) - 0.5 * d * (g[k] as number) * xm * r * r * r;
    dg[k] = (dg[k] as number) + d * xm * r;
    db[k] = (db[k] as number) + d;
  }
  return [dx, dm, dv, dg, db];
}

const f32 = (a: Float64Array) => Float64Array.from(Float32Array.from(a));

describe.each(TEST_BACKENDS)('batchNorm gradient on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('matches the float64 reference for x, mean, variance, scale and offset', async () => {
    const shape = [2, 3, 4, 5];
    const xv = f32(randomArray(120, 1));
    const mv = f32(randomArray(5, 2));
    const vv = f32(randomArray(5, 3).map((a) => a + 1.5));
    const gv = f32(randomArray(5, 4));
    const bv = f32(randomArray(5, 5));
    const rv = f32(randomArray(120, 6));
    const ts = [
      tf.tensor(Float32Array.from(xv), shape),
      ...[mv, vv, gv, bv].map((a) => tf.tensor1d(Float32Array.from(a))),
    ];
    const r = tf.tensor(Float32Array.from(rv), shape);
    const grads = tf.grads((x: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      tf.sum(
        tf.mul(
          tf.batchNorm(
            x as tf.Tensor4D,
            m as tf.Tensor1D,
            v as tf.Tensor1D,
            b as tf.Tensor1D,
            g as tf.Tensor1D,
            1e-3,
          ),
          r,
        ),
      ),
    )(ts);
    const ref = reference(xv, mv, vv, gv, rv, 1e-3);
    for (let i = 0; i < 5; i++) {
      expect(
        relativeError(await (grads[i] as tf.Tensor).data(), ref[i] as Float64Array),
      ).toBeLessThanOrEqual(1e-5);
    }
    tf.dispose([...ts, r, ...grads]);
  });

  it('gives the known gradients of a normalised sum of squares and leaks nothing', async () => {
    const x = tf.randomNormal([2, 4, 4, 3]);
    const g = tf.ones([3]);
    const b = tf.zeros([3]);
    const f = tf.grads((a: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => {
      const m = tf.moments(a, [0, 1, 2]);
      return tf.sum(
        tf.square(
          tf.batchNorm(
            a as tf.Tensor4D,
            m.mean,
            m.variance,
            bb as tf.Tensor1D,
            gg as tf.Tensor1D,
            1e-5,
          ),
        ),
      );
    });
    // Σ((x-m)/σ)² has zero gradient w.r.t. x (it is N·C up to ε) and 2·N per channel w.r.t. g.
    const [dx, dg] = f([x, g, b]) as [tf.Tensor, tf.Tensor];
    expect(Math.max(...(await tf.abs(dx).data()))).toBeLessThan(1e-3);
    for (const v of await dg.data()) expect(v).toBeCloseTo(64, 1);
    tf.dispose([dx, dg]);
    await expectNoTensorLeak(() => f([x, g, b]), { label: 'batchNorm gradient' });
    tf.dispose([x, g, b]);
  });
});
