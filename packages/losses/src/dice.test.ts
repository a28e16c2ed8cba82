import { expectNoTensorLeak } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ClassReduction, diceLoss, resolveDiceLossOptions } from './dice.js';
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

describe('resolveDiceLossOptions', () => {
  beforeAll(() => useBackend('cpu'));
  it('defaults to smp (smooth 0, eps 1e-7, mean) and names bad values', () => {
    expect(resolveDiceLossOptions()).toMatchObject({ smooth: 0, eps: 1e-7, reduction: 'mean' });
    expect(() => resolveDiceLossOptions({ reduction: 'mmseg' as ClassReduction })).toThrow(
      /reduction "mmseg" is not one of 'mean', 'sum', 'none'/,
    );
    expect(() => resolveDiceLossOptions({ smooth: -1 })).toThrow(/smooth .* got -1/);
  });
});

describe.each(BACKENDS)('diceLoss on %s', (backend) => {
  it('equals smp DiceLoss(multiclass) values and gradient', async () => {
    await useBackend(backend);
    const { logits, labels } = goldenInputs();
    const mean = diceLoss(logits, labels);
    expectRelClose(mean.dataSync()[0]!, g.dice.mean);
    const perClass = diceLoss(logits, labels, { reduction: 'none' });
    expect(perClass.shape).toEqual([19]);
    expectAllClose(perClass.dataSync(), g.dice.perClass);
    const weighted = diceLoss(logits, labels, { classWeights: g.classWeights });
    expectRelClose(weighted.dataSync()[0]!, g.dice.weightedMean);
    const sum = diceLoss(logits, labels, { reduction: 'sum' });
    expectRelClose(sum.dataSync()[0]!, g.dice.mean * 19);
    const grad = tf.grad((x: tf.Tensor) => diceLoss(x as tf.Tensor4D, labels) as tf.Scalar)(logits);
    expectAllClose(grad.dataSync(), g.dice.grad, 1e-4);
    tf.dispose([logits, labels, mean, perClass, weighted, sum, grad]);
  });

  it('is 0 for a perfect one-hot prediction and ignores ignored pixels', async () => {
    await useBackend(backend);
    const y = tf.tensor3d(
      [
        [
          [0, 1],
          [2, 255],
        ],
      ],
      undefined,
      'int32',
    );
    // Confident correct logits; the ignored pixel predicts class 0 and must not matter.
    const x = tf.tidy(() => tf.mul(tf.oneHot(tf.tensor1d([0, 1, 2, 0], 'int32'), 3), 60));
    const loss = diceLoss(tf.reshape(x, [1, 2, 2, 3]) as tf.Tensor4D, y, { smooth: 0 });
    expect(loss.dataSync()[0]).toBeCloseTo(0, 6);
    tf.dispose([x, y, loss]);
  });

  it('gradient matches central differences (weighted, smooth 1)', async () => {
    await useBackend(backend);
    const x = tf.randomNormal([2, 2, 3, 4], 0, 1, 'float32', 11);
    const y = tf.tensor3d(
      [
        [
          [0, 1, 2],
          [3, 255, 0],
        ],
        [
          [1, 1, 2],
          [0, 3, 255],
        ],
      ],
      undefined,
      'int32',
    );
    expectGradientMatchesNumeric(
      (t) =>
        diceLoss(t as tf.Tensor4D, y, { classWeights: [1, 2, 0.5, 3], smooth: 1 }) as tf.Scalar,
      x,
    );
    tf.dispose([x, y]);
  });

  it('leaks no tensors', async () => {
    await useBackend(backend);
    const { logits, labels } = goldenInputs();
    await expectNoTensorLeak(() =>
      tf.grad((x: tf.Tensor) => diceLoss(x as tf.Tensor4D, labels) as tf.Scalar)(logits),
    );
    tf.dispose([logits, labels]);
  });
});
