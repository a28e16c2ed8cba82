import { expectNoTensorLeak } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { weightedCrossEntropy } from './cross-entropy.js';
import { focalLoss, resolveFocalLossOptions } from './focal.js';
import {
  BACKENDS,
  expectAllClose,
  expectGradientMatchesNumeric,
  expectRelClose,
  goldenInputs,
  loadGolden,
  useBackend,
} from './golden.test-util.js';

const g = loadGolden();

describe('resolveFocalLossOptions', () => {
  beforeAll(() => useBackend('cpu'));
  it('defaults to gamma 2, alpha 1, mmseg reduction and names bad values', () => {
    expect(resolveFocalLossOptions()).toMatchObject({ gamma: 2, alpha: 1, reduction: 'mmseg' });
    expect(() => resolveFocalLossOptions({ gamma: -1 })).toThrow(/gamma .* got -1/);
    expect(() => resolveFocalLossOptions({ alpha: [1, -0.5] })).toThrow(/alpha .*\[1,-0.5\]/);
    const x = tf.zeros([1, 1, 1, 3]) as tf.Tensor4D;
    const y = tf.zeros([1, 1, 1], 'int32') as tf.Tensor3D;
    expect(() => focalLoss(x, y, { alpha: [1, 2] })).toThrow(/alpha has 2 entries/);
    tf.dispose([x, y]);
  });
});

describe.each(BACKENDS)('focalLoss on %s', (backend) => {
  it('equals the PyTorch softmax focal loss (gamma 2, per-class alpha)', async () => {
    await useBackend(backend);
    const { logits, labels } = goldenInputs();
    for (const reduction of ['mmseg', 'non-ignored', 'sum'] as const) {
      const loss = focalLoss(logits, labels, { gamma: 2, alpha: g.classWeights, reduction });
      expectRelClose(loss.dataSync()[0]!, g.focal[reduction]);
      loss.dispose();
    }
    const map = focalLoss(logits, labels, { alpha: g.classWeights, reduction: 'none' });
    expectAllClose(map.dataSync(), g.focal.none);
    const grad = tf.grad(
      (x: tf.Tensor) => focalLoss(x as tf.Tensor4D, labels, { alpha: g.classWeights }) as tf.Scalar,
    )(logits);
    expectAllClose(grad.dataSync(), g.focal.gradMmseg, 1e-5);
    tf.dispose([logits, labels, map, grad]);
  });

  it('with gamma 0 equals the weighted cross-entropy (alpha ∘ classWeights)', async () => {
    await useBackend(backend);
    const { logits, labels } = goldenInputs();
    const focal = focalLoss(logits, labels, {
      gamma: 0,
      alpha: 2,
      classWeights: g.classWeights,
      reduction: 'weight-sum',
    });
    expectRelClose(focal.dataSync()[0]!, g.ce.weighted['weight-sum']);
    const focalMmseg = focalLoss(logits, labels, {
      gamma: 0,
      alpha: 2,
      classWeights: g.classWeights,
    });
    expectRelClose(focalMmseg.dataSync()[0]!, 2 * g.ce.weighted.mmseg);
    tf.dispose([logits, labels, focal, focalMmseg]);
  });

  it('down-weights confident pixels: focal < CE, both ≥ 0', async () => {
    await useBackend(backend);
    const x = tf.tensor4d([4, 0, 0, 0.2, 0, 0], [1, 1, 2, 3]);
    const y = tf.tensor3d([[[0, 0]]], undefined, 'int32');
    const f = focalLoss(x, y, { reduction: 'none' }).dataSync();
    const ce = weightedCrossEntropy(x, y, { reduction: 'none' }).dataSync();
    // p = softmax([4,0,0])_0 = e^4/(e^4+2): focal = (1-p)^2·CE.
    const p = Math.exp(4) / (Math.exp(4) + 2);
    expect(f[0]).toBeCloseTo((1 - p) ** 2 * -Math.log(p), 6);
    expect(f[0]! / ce[0]!).toBeLessThan(f[1]! / ce[1]!);
    tf.dispose([x, y]);
  });

  it('gradient matches central differences (gamma 0.5, ignored pixels finite)', async () => {
    await useBackend(backend);
    const x = tf.randomNormal([1, 3, 3, 4], 0, 1, 'float32', 5);
    const y = tf.tensor3d(
      [
        [
          [0, 1, 2],
          [3, 255, 0],
          [1, 255, 2],
        ],
      ],
      undefined,
      'int32',
    );
    const f = (t: tf.Tensor) =>
      focalLoss(t as tf.Tensor4D, y, { gamma: 0.5, reduction: 'non-ignored' }) as tf.Scalar;
    const grad = tf.grad(f)(x);
    expect(Array.from(grad.dataSync()).every(Number.isFinite)).toBe(true);
    expectGradientMatchesNumeric(f, x);
    tf.dispose([x, y, grad]);
  });

  it('leaks no tensors', async () => {
    await useBackend(backend);
    const { logits, labels } = goldenInputs();
    await expectNoTensorLeak(() =>
      tf.grad(
        (x: tf.Tensor) =>
          focalLoss(x as tf.Tensor4D, labels, { alpha: g.classWeights }) as tf.Scalar,
      )(logits),
    );
    tf.dispose([logits, labels]);
  });
});
