import { expectNoTensorLeak } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BACKENDS,
  expectAllClose,
  expectGradientMatchesNumeric,
  expectRelClose,
  goldenInputs,
  loadGolden,
  useBackend,
} from './golden.test-util.js';
import { lovaszSoftmaxLoss, resolveLovaszSoftmaxLossOptions } from './lovasz.js';

const g = loadGolden();

describe('resolveLovaszSoftmaxLossOptions', () => {
  beforeAll(() => useBackend('cpu'));
  it("defaults to Berman's classes='present', per_image=False and names bad values", () => {
    expect(resolveLovaszSoftmaxLossOptions()).toMatchObject({
      classes: 'present',
      perImage: false,
      reduction: 'mean',
    });
    expect(() => resolveLovaszSoftmaxLossOptions({ classes: 'some' as 'all' })).toThrow(
      /classes "some" is not one of 'present', 'all'/,
    );
  });
});

describe.each(BACKENDS)('lovaszSoftmaxLoss on %s', (backend) => {
  it("equals Berman's lovasz_softmax value and gradient", async () => {
    await useBackend(backend);
    const { logits, labels } = goldenInputs();
    const { value, grad } = tf.valueAndGrad(
      (x: tf.Tensor) => lovaszSoftmaxLoss(x as tf.Tensor4D, labels) as tf.Scalar,
    )(logits);
    expectRelClose(value.dataSync()[0]!, g.lovasz.mean);
    expectAllClose(grad.dataSync(), g.lovasz.grad, 1e-4);
    const weighted = lovaszSoftmaxLoss(logits, labels, { classWeights: g.classWeights });
    expectRelClose(weighted.dataSync()[0]!, g.lovasz.weightedMean);
    tf.dispose([logits, labels, value, grad, weighted]);
  });

  it('hand case: one class, errors sorted, Jaccard steps', async () => {
    await useBackend(backend);
    // Two classes, 3 pixels, labels [0, 0, 1]; logits chosen so p_0 = [0.9, 0.6, 0.3].
    const p0 = [0.9, 0.6, 0.3];
    const x = tf.tensor4d(
      p0.flatMap((p) => [Math.log(p), Math.log(1 - p)]),
      [1, 1, 3, 2],
    );
    const y = tf.tensor3d([[[0, 0, 1]]], undefined, 'int32');
    const perClass = lovaszSoftmaxLoss(x, y, { reduction: 'none' }).dataSync();
    // class 0: errors [0.1, 0.4, 0.3], sorted 0.4 (fg), 0.3 (bg), 0.1 (fg):
    // J = 1 - I/U = [1 - 1/2, 1 - 1/3, 1 - 0/3] = [1/2, 2/3, 1] -> g = [1/2, 1/6, 1/3]
    expect(perClass[0]).toBeCloseTo(0.4 * 0.5 + 0.3 * (1 / 6) + 0.1 * (1 / 3), 5);
    // class 1: p_1 = [0.1, 0.4, 0.7], fg only at pixel 2: errors [0.1, 0.4, 0.3], sorted
    // 0.4 (bg), 0.3 (fg), 0.1 (bg): J = [1/2, 1, 1] -> g = [1/2, 1/2, 0]
    expect(perClass[1]).toBeCloseTo(0.4 * 0.5 + 0.3 * 0.5, 5);
    tf.dispose([x, y]);
  });

  it('perImage averages the per-image losses; classes=all counts absent classes', async () => {
    await useBackend(backend);
    const { logits, labels } = goldenInputs();
    const both = lovaszSoftmaxLoss(logits, labels, { perImage: true }).dataSync()[0]!;
    const single = [0, 1].map((i) =>
      tf.tidy(
        () =>
          lovaszSoftmaxLoss(
            tf.slice(logits, [i, 0, 0, 0], [1, 5, 7, 19]),
            tf.slice(labels, [i, 0, 0], [1, 5, 7]),
          ).dataSync()[0]!,
      ),
    );
    expectRelClose(both, (single[0]! + single[1]!) / 2, 1e-5);
    expect(both).not.toBeCloseTo(g.lovasz.mean, 3);
    const all = lovaszSoftmaxLoss(logits, labels, { classes: 'all' }).dataSync()[0]!;
    expect(all).not.toBeCloseTo(g.lovasz.mean, 4);
    tf.dispose([logits, labels]);
  });

  it('gradient matches central differences', async () => {
    await useBackend(backend);
    const x = tf.randomNormal([1, 2, 3, 3], 0, 1, 'float32', 9);
    const y = tf.tensor3d(
      [
        [
          [0, 1, 2],
          [2, 255, 0],
        ],
      ],
      undefined,
      'int32',
    );
    expectGradientMatchesNumeric(
      (t) => lovaszSoftmaxLoss(t as tf.Tensor4D, y, { classWeights: [1, 2, 3] }) as tf.Scalar,
      x,
      { h: 1e-3, rtol: 1e-2 },
    );
    tf.dispose([x, y]);
  });

  it('leaks no tensors', async () => {
    await useBackend(backend);
    const { logits, labels } = goldenInputs();
    await expectNoTensorLeak(() =>
      tf.grad(
        (x: tf.Tensor) =>
          lovaszSoftmaxLoss(x as tf.Tensor4D, labels, { perImage: true }) as tf.Scalar,
      )(logits),
    );
    tf.dispose([logits, labels]);
  });
});
