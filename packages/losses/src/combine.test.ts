import { expectNoTensorLeak } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { combineLosses } from './combine.js';
import { weightedCrossEntropy } from './cross-entropy.js';
import { diceLoss } from './dice.js';
import { expectRelClose, goldenInputs, loadGolden, useBackend } from './golden.test-util.js';

const g = loadGolden();

describe('combineLosses', () => {
  beforeAll(() => useBackend('cpu'));

  it('decode + 0.4 · aux (mmseg) in one line, with its gradient', () => {
    const { logits, labels } = goldenInputs();
    const ce = (x: tf.Tensor4D, y: tf.Tensor3D) =>
      weightedCrossEntropy(x, y, { classWeights: g.classWeights });
    const loss = combineLosses([{ loss: ce }, { loss: ce, weight: 0.4, input: 1 }]);
    const aux = tf.mul(logits, 0.5) as tf.Tensor4D;
    const total = loss([logits, aux], labels);
    const auxAlone = ce(aux, labels);
    expectRelClose(total.dataSync()[0]!, g.ce.weighted.mmseg + 0.4 * auxAlone.dataSync()[0]!);
    // d/d(decode) of decode + 0.4·aux is the decode gradient alone.
    const grad = tf.grad((x: tf.Tensor) => loss([x as tf.Tensor4D, aux], labels))(logits);
    const ref = tf.grad((x: tf.Tensor) => ce(x as tf.Tensor4D, labels))(logits);
    expect(tf.max(tf.abs(tf.sub(grad, ref))).dataSync()[0]).toBeLessThan(1e-7);
    tf.dispose([logits, labels, aux, total, auxAlone, grad, ref]);
  });

  it('CE + Dice on one output', () => {
    const { logits, labels } = goldenInputs();
    const loss = combineLosses([
      { loss: (x, y) => weightedCrossEntropy(x, y, { reduction: 'non-ignored' }) },
      { loss: (x, y) => diceLoss(x, y) as tf.Scalar, weight: 0.5 },
    ]);
    const v = loss(logits, labels);
    expectRelClose(v.dataSync()[0]!, g.ce.unweighted['non-ignored'] + 0.5 * g.dice.mean, 1e-5);
    tf.dispose([logits, labels, v]);
  });

  it('rejects bad terms and missing outputs with the offending value', () => {
    expect(() => combineLosses([])).toThrow(/non-empty/);
    expect(() => combineLosses([{ loss: 3 as never }])).toThrow(/terms\[0\]\.loss .* number/);
    expect(() => combineLosses([{ loss: () => tf.scalar(0), weight: Number.NaN }])).toThrow(
      /terms\[0\]\.weight .* NaN/,
    );
    const { logits, labels } = goldenInputs();
    const loss = combineLosses([{ loss: (x) => tf.sum(x), input: 2 }]);
    expect(() => loss([logits], labels)).toThrow(/terms\[0\]\.input is 2 but 1 output/);
    tf.dispose([logits, labels]);
  });

  it('leaks no tensors', async () => {
    const { logits, labels } = goldenInputs();
    const loss = combineLosses([
      { loss: (x, y) => weightedCrossEntropy(x, y) },
      { loss: (x, y) => diceLoss(x, y) as tf.Scalar, weight: 0.5 },
    ]);
    await expectNoTensorLeak(() =>
      tf.grad((x: tf.Tensor) => loss(x as tf.Tensor4D, labels))(logits),
    );
    tf.dispose([logits, labels]);
  });
});
