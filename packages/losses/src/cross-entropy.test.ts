import { expectNoTensorLeak } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_WEIGHTED_CROSS_ENTROPY_OPTIONS,
  resolveWeightedCrossEntropyOptions,
  weightedCrossEntropy,
} from './cross-entropy.js';
import {
  BACKENDS,
  expectAllClose,
  expectGradientMatchesNumeric,
  expectRelClose,
  goldenInputs,
  loadGolden,
  useBackend,
} from './golden.test-util.js';
import type { PixelReduction } from './types.js';

const g = loadGolden();
const SCALAR_REDUCTIONS = ['mmseg', 'non-ignored', 'weight-sum', 'sum'] as const;

describe('resolveWeightedCrossEntropyOptions', () => {
  beforeAll(() => useBackend('cpu'));
  it('fills the mmseg defaults', () => {
    expect(resolveWeightedCrossEntropyOptions()).toEqual(DEFAULT_WEIGHTED_CROSS_ENTROPY_OPTIONS);
    expect(DEFAULT_WEIGHTED_CROSS_ENTROPY_OPTIONS.reduction).toBe('mmseg');
    expect(DEFAULT_WEIGHTED_CROSS_ENTROPY_OPTIONS.ignoreIndex).toBe(255);
  });
  it('keeps defaults for options passed as undefined', () => {
    expect(
      resolveWeightedCrossEntropyOptions({ reduction: undefined, ignoreIndex: undefined }),
    ).toEqual(DEFAULT_WEIGHTED_CROSS_ENTROPY_OPTIONS);
  });
  it('names the bad value and the allowed ones', () => {
    expect(() =>
      resolveWeightedCrossEntropyOptions({ reduction: 'mean' as PixelReduction }),
    ).toThrow(/reduction "mean" is not one of 'mmseg', 'non-ignored', 'weight-sum', 'sum', 'none'/);
    expect(() => resolveWeightedCrossEntropyOptions({ labelSmoothing: 1.5 })).toThrow(/1\.5/);
    expect(() => resolveWeightedCrossEntropyOptions({ ignoreIndex: 0.5 })).toThrow(/0\.5/);
    expect(() => resolveWeightedCrossEntropyOptions({ classWeights: [1, -2] })).toThrow(
      /classWeights\[1\] = -2/,
    );
  });
  it('rejects shape mismatches with a hint', () => {
    const x = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
    const y = tf.zeros([1, 3, 3], 'int32') as tf.Tensor3D;
    expect(() => weightedCrossEntropy(x, y)).toThrow(/resizeLogitsTo: 'labels'/);
    expect(() =>
      weightedCrossEntropy(x, tf.zeros([1, 2, 2], 'int32') as tf.Tensor3D, {
        classWeights: [1, 2],
      }),
    ).toThrow(/2 entries, logits have 3 classes/);
    tf.dispose([x, y]);
  });
});

describe('golden reductions', () => {
  it('the reductions differ as published numbers need (not interchangeable)', () => {
    const ref = g.ce.weighted;
    // mmseg divides by all 70 pixels, non-ignored by the 61 counted ones.
    expect(ref.validCount).toBe(61);
    expectRelClose(ref.mmseg * 70, ref.sum, 1e-8);
    expectRelClose(ref['non-ignored'] * 61, ref.sum, 1e-6);
    expect(ref['weight-sum']).toBeLessThan(ref['non-ignored'] / 4);
  });
});

describe.each(BACKENDS)('weightedCrossEntropy on %s', (backend) => {
  it('equals PyTorch/mmseg for every reduction, weighted and not', async () => {
    await useBackend(backend);
    const { logits, labels } = goldenInputs();
    for (const [key, classWeights] of [
      ['weighted', g.classWeights],
      ['unweighted', null],
    ] as const) {
      const ref = g.ce[key];
      for (const reduction of SCALAR_REDUCTIONS) {
        const loss = weightedCrossEntropy(logits, labels, { classWeights, reduction });
        expect(loss.shape).toEqual([]);
        expectRelClose(loss.dataSync()[0]!, ref[reduction]);
        loss.dispose();
      }
      const map = weightedCrossEntropy(logits, labels, { classWeights, reduction: 'none' });
      expect(map.shape).toEqual([2, 5, 7]);
      expectAllClose(map.dataSync(), ref.none);
      map.dispose();
    }
    tf.dispose([logits, labels]);
  });

  it('matches PyTorch label smoothing with class weights', async () => {
    await useBackend(backend);
    const { logits, labels } = goldenInputs();
    const ref = g.ce['weightedSmoothing0.1'];
    for (const reduction of SCALAR_REDUCTIONS) {
      const loss = weightedCrossEntropy(logits, labels, {
        classWeights: g.classWeights,
        labelSmoothing: 0.1,
        reduction,
      });
      expectRelClose(loss.dataSync()[0]!, ref[reduction]);
      loss.dispose();
    }
    const map = weightedCrossEntropy(logits, labels, {
      classWeights: g.classWeights,
      labelSmoothing: 0.1,
      reduction: 'none',
    });
    expectAllClose(map.dataSync(), ref.none);
    tf.dispose([map, logits, labels]);
  });

  it('gradients wrt logits equal PyTorch (mmseg and weight-sum)', async () => {
    await useBackend(backend);
    const { logits, labels } = goldenInputs();
    const w = tf.tensor1d(g.classWeights);
    for (const reduction of ['mmseg', 'weight-sum'] as const) {
      const grad = tf.grad((x: tf.Tensor) =>
        weightedCrossEntropy(x as tf.Tensor4D, labels, { classWeights: w, reduction }),
      )(logits);
      expectAllClose(grad.dataSync(), g.ceGrad[reduction], 1e-5);
      grad.dispose();
    }
    tf.dispose([logits, labels, w]);
  });

  it('gradients match central differences (label smoothing, non-ignored)', async () => {
    await useBackend(backend);
    const x = tf.randomNormal([1, 3, 4, 5], 0, 1, 'float32', 7);
    const y = tf.tensor3d(
      [
        [
          [0, 1, 2, 3],
          [4, 255, 1, 0],
          [2, 2, 255, 4],
        ],
      ],
      undefined,
      'int32',
    );
    expectGradientMatchesNumeric(
      (t) =>
        weightedCrossEntropy(t as tf.Tensor4D, y, {
          classWeights: [0.5, 1, 2, 1.5, 3],
          labelSmoothing: 0.2,
          reduction: 'non-ignored',
        }),
      x,
    );
    tf.dispose([x, y]);
  });

  it('resizes logits to the labels (half-pixel bilinear) with the PyTorch gradient', async () => {
    await useBackend(backend);
    const r = g.resized;
    const small = tf.tensor4d(r.logits, r.logitsShape);
    const { labels } = goldenInputs();
    const f = (x: tf.Tensor) =>
      weightedCrossEntropy(x as tf.Tensor4D, labels, {
        classWeights: g.classWeights,
        resizeLogitsTo: 'labels',
      });
    const { value, grad } = tf.valueAndGrad(f)(small);
    expectRelClose(value.dataSync()[0]!, r.mmseg);
    expectAllClose(grad.dataSync(), r.grad, 1e-5);
    tf.dispose([value, grad, small, labels]);
  });

  it('is 0 (not NaN) when every pixel is ignored', async () => {
    await useBackend(backend);
    const x = tf.randomNormal([1, 2, 2, 3]) as tf.Tensor4D;
    const y = tf.fill([1, 2, 2], 255, 'int32') as tf.Tensor3D;
    for (const reduction of SCALAR_REDUCTIONS) {
      const loss = weightedCrossEntropy(x, y, { reduction, classWeights: [1, 2, 3] });
      expect(loss.dataSync()[0]).toBe(0);
      loss.dispose();
    }
    tf.dispose([x, y]);
  });

  it('honours an in-range ignoreIndex and stays finite for huge logits', async () => {
    await useBackend(backend);
    const x = tf.tensor4d([1000, 0, -1000, 0, 1000, 0], [1, 1, 2, 3]);
    const y = tf.tensor3d([[[1, 0]]], undefined, 'int32');
    // Pixel 0: target 1, log p_1 = -1000 exactly; pixel 1 (label 0) is ignored.
    const loss = weightedCrossEntropy(x, y, { ignoreIndex: 0, reduction: 'sum' });
    expectRelClose(loss.dataSync()[0]!, 1000, 1e-6);
    tf.dispose([x, y, loss]);
  });

  it('leaks no tensors (with resize and smoothing)', async () => {
    await useBackend(backend);
    const { logits, labels } = goldenInputs();
    await expectNoTensorLeak(() =>
      tf.tidy(() =>
        tf.grad((x: tf.Tensor) =>
          weightedCrossEntropy(x as tf.Tensor4D, labels, {
            classWeights: g.classWeights,
            labelSmoothing: 0.1,
            resizeLogitsTo: 'labels',
          }),
        )(tf.slice(logits, [0, 0, 0, 0], [2, 3, 4, 19])),
      ),
    );
    tf.dispose([logits, labels]);
  });
});
