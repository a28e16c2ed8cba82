import { REPORT_CLASS_WEIGHTS, combineLosses, weightedCrossEntropy } from '@facepar/losses';
import * as tf from '@tensorflow/tfjs-core';
import type { TrainConfig } from '../configs/types.js';
import type { ComputeLoss } from './train-loop.js';

/**
 * mmseg's decode + auxiliary losses: weighted CE on each output (logits resized to the labels
 * first, as mmseg does), decode × `decodeWeight`, each auxiliary head × `auxWeight`. The parts
 * are returned too, for the log.
 */
export function createSegmentorLoss(options: {
  config: TrainConfig;
  numAuxHeads: number;
}): ComputeLoss {
  const { config, numAuxHeads } = options;
  const { loss, data, numClasses } = config;
  const classWeights = loss.classWeights === 'report' ? [...REPORT_CLASS_WEIGHTS] : null;
  if (classWeights && classWeights.length !== numClasses) {
    throw new Error(
      `config ${config.name}: the report's class weights have ${classWeights.length} entries but numClasses is ${numClasses}`,
    );
  }
  const ce = (logits: tf.Tensor4D, labels: tf.Tensor3D): tf.Scalar =>
    weightedCrossEntropy(logits, labels, {
      classWeights,
      reduction: loss.reduction,
      ignoreIndex: data.ignoreIndex,
      resizeLogitsTo: 'labels',
    });
  const decode = combineLosses([{ loss: ce, weight: loss.decodeWeight, input: 0 }]);
  const aux = combineLosses(
    Array.from({ length: numAuxHeads }, (_, i) => ({
      loss: ce,
      weight: loss.auxWeight,
      input: i + 1,
    })),
  );
  return (outputs, labels) => {
    if (outputs.length !== 1 + numAuxHeads) {
      throw new Error(
        `the model has ${outputs.length} outputs; expected decode + ${numAuxHeads} auxiliary`,
      );
    }
    const d = decode(outputs, labels);
    if (numAuxHeads === 0) return { total: d, decode: d };
    const a = aux(outputs, labels);
    return { total: tf.add(d, a), decode: d, aux: a };
  };
}
