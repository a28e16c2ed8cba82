import { leanVariableGrads, resizeBilinear, type Sgd } from '@facepar/core';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { StepResult } from './hooks.js';
import type { Batch } from './loader-batches.js';

/** The loss of one step; built inside the gradient scope from the model's outputs. */
export interface LossParts {
  total: tf.Scalar;
  decode: tf.Scalar;
  aux?: tf.Scalar;
}

export type ComputeLoss = (outputs: tf.Tensor4D[], labels: tf.Tensor3D) => LossParts;

export interface TrainStepOptions {
  model: tfl.LayersModel;
  computeLoss: ComputeLoss;
  optimizer: Sgd;
  /** The model's trainable variables (the gradients' targets). */
  variables: tf.Variable[];
  batch: Batch;
  lr: number;
  /**
   * Gradients with `leanVariableGrads` (bit-identical to `tf.variableGrads`, lower peak
   * memory); false uses `tf.variableGrads`.
   */
  leanGradients: boolean;
}

function asOutputs(out: tf.Tensor | tf.Tensor[]): tf.Tensor4D[] {
  return (Array.isArray(out) ? out : [out]) as tf.Tensor4D[];
}

/** Fraction of labelled pixels (label < numClasses) whose argmax matches; a kept scalar. */
function pixelAccuracy(logits: tf.Tensor4D, labels: tf.Tensor3D): tf.Scalar {
  return tf.tidy(() => {
    const [, h, w] = labels.shape;
    const numClasses = logits.shape[3];
    const resized =
      logits.shape[1] === h && logits.shape[2] === w
        ? logits
        : resizeBilinear({ x: logits, size: [h, w] });
    const pred = tf.argMax(resized, 3);
    const valid = tf.less(labels, numClasses);
    const hit = tf.logicalAnd(tf.equal(pred, labels), valid);
    return tf.div(
      tf.sum(tf.cast(hit, 'float32')),
      tf.maximum(tf.sum(tf.cast(valid, 'float32')), 1),
    );
  }) as tf.Scalar;
}

/**
 * One training step: loss and gradients of the trainable weights in a `tf.tidy`, read back,
 * and the SGD update at `lr` only when the loss is finite (a NaN/Inf step leaves the weights
 * as they were; the caller decides what to do). Disposes the batch.
 */
export function trainStep(options: TrainStepOptions): StepResult {
  const { model, computeLoss, optimizer, variables, batch, lr } = options;
  const variableGrads = (f: () => tf.Scalar, varList: tf.Variable[]) =>
    options.leanGradients ? leanVariableGrads({ f, varList }) : tf.variableGrads(f, varList);
  let kept: tf.Tensor[] = [];
  let values: number[];
  let grads: tf.NamedTensorMap;
  try {
    const step = tf.tidy(() => {
      const { value, grads: g } = variableGrads(() => {
        const outputs = asOutputs(
          model.apply(batch.images, { training: true }) as tf.Tensor | tf.Tensor[],
        );
        const parts = computeLoss(outputs, batch.labels);
        const acc = pixelAccuracy(outputs[0]!, batch.labels);
        kept = [tf.keep(parts.decode), tf.keep(parts.aux ?? tf.scalar(Number.NaN)), tf.keep(acc)];
        return parts.total;
      }, variables);
      return { value, grads: g };
    });
    grads = step.grads;
    values = [step.value, ...kept].map((t) => t.dataSync()[0]!);
    step.value.dispose();
  } finally {
    for (const t of kept) t.dispose();
    batch.images.dispose();
    batch.labels.dispose();
  }
  const [loss, decode, aux, pixelAcc] = values as [number, number, number, number];
  if (Number.isFinite(loss)) {
    optimizer.lr = lr;
    optimizer.apply({ variables, grads });
  }
  tf.dispose(grads);
  return { loss, decode, aux, pixelAcc, lr };
}
