import type { Segmentor } from '@facepar/heads';
import {
  combineLosses,
  type WeightedCrossEntropyOptions,
  weightedCrossEntropy,
} from '@facepar/losses';
import * as tf from '@tensorflow/tfjs-core';
import type { ComputeLoss } from '../loop/train-step.js';

/**
 * mmseg's decode + auxiliary losses, from the segmentor's spec: weighted CE (`loss`, logits
 * resized to the labels first, as mmseg does) on each output, the decode head weighted by its
 * `lossWeight` (default 1) and each auxiliary head by its own. The parts are returned for the
 * log.
 */
export function createSegmentorLoss(options: {
  segmentor: Pick<Segmentor, 'spec' | 'auxiliaryHeads'>;
  loss: WeightedCrossEntropyOptions;
}): ComputeLoss {
  const { segmentor, loss } = options;
  const numAux = segmentor.auxiliaryHeads.length;
  const ce = (logits: tf.Tensor4D, labels: tf.Tensor3D): tf.Scalar =>
    weightedCrossEntropy(logits, labels, loss) as tf.Scalar;
  const decode = combineLosses([
    { loss: ce, weight: segmentor.spec.decodeHead.lossWeight ?? 1, input: 0 },
  ]);
  const aux =
    numAux === 0
      ? null
      : combineLosses(
          segmentor.auxiliaryHeads.map((h, i) => ({
            loss: ce,
            weight: h.lossWeight,
            input: i + 1,
          })),
        );
  return (outputs, labels) => {
    if (outputs.length !== 1 + numAux) {
      throw new Error(
        `the model has ${outputs.length} outputs; expected decode + ${numAux} auxiliary`,
      );
    }
    const d = decode(outputs, labels);
    if (aux === null) return { total: d, decode: d };
    const a = aux(outputs, labels);
    return { total: tf.add(d, a), decode: d, aux: a };
  };
}
