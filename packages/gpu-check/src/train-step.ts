import { createSgd, leanVariableGrads, readScalar, type Sgd, type SgdOptions } from '@facepar/core';
import type { Segmentor } from '@facepar/heads';
import { REPORT_CLASS_WEIGHTS, weightedCrossEntropy } from '@facepar/losses';
import * as tf from '@tensorflow/tfjs-core';

/** One training batch: normalised NHWC images and class ids (255 = ignore). */
export interface TrainBatch {
  images: tf.Tensor4D;
  labels: tf.Tensor3D;
}

export interface SegmentorTrainStepOptions {
  segmentor: Segmentor;
  /** Per-class CE weights; default the report's (`REPORT_CLASS_WEIGHTS`); null: unweighted. */
  classWeights?: readonly number[] | null;
  ignoreIndex?: number;
  /** Default: the report's SGD (lr 0.01, momentum 0.9, weight decay 5e-4). */
  sgd?: SgdOptions;
}

export const REPORT_SGD_OPTIONS: Readonly<SgdOptions> = Object.freeze({
  lr: 0.01,
  momentum: 0.9,
  weightDecay: 5e-4,
});

export interface SegmentorTrainStep {
  readonly variables: tf.Variable[];
  readonly optimizer: Sgd;
  /** The loss and the gradients of the trainable weights; the caller owns (disposes) them. */
  lossAndGrads(batch: TrainBatch): { value: tf.Scalar; grads: tf.NamedTensorMap };
  /** One SGD iteration; resolves to the loss (one asynchronous read, every backend). */
  step(batch: TrainBatch): Promise<number>;
  /** Frees the momentum buffers (not the model). */
  dispose(): void;
}

/**
 * mmseg's training step of an `EncoderDecoder`: weighted CE (mmseg reduction, logits resized
 * to the labels) on the decode head plus each auxiliary head times its `lossWeight` from the
 * spec, gradients with `leanVariableGrads`, then SGD. The batch is not disposed.
 */
export function createSegmentorTrainStep(options: SegmentorTrainStepOptions): SegmentorTrainStep {
  const { segmentor } = options;
  const classWeights =
    options.classWeights === undefined ? [...REPORT_CLASS_WEIGHTS] : options.classWeights;
  const numClasses = segmentor.spec.numClasses;
  if (classWeights != null && classWeights.length !== numClasses) {
    throw new Error(
      `createSegmentorTrainStep: ${classWeights.length} class weights for a ${numClasses}-class segmentor`,
    );
  }
  const ignoreIndex = options.ignoreIndex ?? 255;
  const auxWeights = segmentor.spec.auxiliaryHeads.map((a) => a.lossWeight);
  const outputs = segmentor.model.outputs.length;
  if (outputs !== 1 + auxWeights.length) {
    throw new Error(
      `createSegmentorTrainStep: the model has ${outputs} outputs; expected decode + ${auxWeights.length} auxiliary (build it with withAuxiliary)`,
    );
  }
  const ce = (logits: tf.Tensor4D, labels: tf.Tensor3D) =>
    weightedCrossEntropy(logits, labels, {
      classWeights: classWeights == null ? null : [...classWeights],
      reduction: 'mmseg',
      ignoreIndex,
      resizeLogitsTo: 'labels',
    });
  const variables = segmentor.model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = createSgd(options.sgd ?? REPORT_SGD_OPTIONS);

  const lossAndGrads = (batch: TrainBatch) => {
    const { value, grads } = tf.tidy(() => {
      const r = leanVariableGrads({
        f: () => {
          const out = segmentor.model.apply(batch.images, { training: true }) as tf.Tensor4D[];
          let total = ce(out[0] as tf.Tensor4D, batch.labels);
          auxWeights.forEach((w, i) => {
            total = tf.add(total, tf.mul(ce(out[i + 1] as tf.Tensor4D, batch.labels), w));
          });
          return total;
        },
        varList: variables,
      });
      return { value: r.value, grads: r.grads } as tf.TensorContainerObject;
    }) as { value: tf.Scalar; grads: tf.NamedTensorMap };
    return { value, grads };
  };

  return {
    variables,
    optimizer,
    lossAndGrads,
    async step(batch) {
      const { value, grads } = lossAndGrads(batch);
      try {
        optimizer.apply({ grads, variables });
      } finally {
        tf.dispose(grads);
      }
      try {
        return await readScalar(value);
      } finally {
        value.dispose();
      }
    },
    dispose() {
      optimizer.dispose();
    },
  };
}
