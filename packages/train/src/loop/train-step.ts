import { leanVariableGrads, readScalars, resizeBilinear, type Sgd } from '@facepar/core';
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
  /**
   * Gradients with `leanVariableGrads` (bit-identical to `tf.variableGrads`, lower peak
   * memory; default true); false uses `tf.variableGrads`.
   */
  leanGradients?: boolean;
}

/** What one forward and backward pass leaves on the device; the caller disposes it. */
export interface StepTensors {
  loss: tf.Scalar;
  decode: tf.Scalar;
  /** Absent when the loss has no auxiliary part. */
  aux?: tf.Scalar;
  /** Labelled-pixel accuracy of the decode head on the batch. */
  pixelAcc: tf.Scalar;
  /** Gradients of the trainable weights, by variable name. */
  grads: tf.NamedTensorMap;
}

/** A model's training step (mmengine `OptimWrapper.update_params` around the model's loss). */
export interface TrainStep {
  /** The model's trainable variables (the gradients' targets). */
  readonly variables: tf.Variable[];
  readonly optimizer: Sgd;
  /** Forward, loss and gradients in a `tf.tidy`, without an update. The batch is not disposed. */
  lossAndGrads(batch: Batch): StepTensors;
  /**
   * One iteration: `lossAndGrads`, one asynchronous read of the loss parts and the accuracy
   * (a single GPU wait; no synchronous read, so every backend works, webgpu included), then the
   * SGD update at `lr` (default: the optimizer's) only when the loss is finite (a NaN/Inf step
   * leaves the weights as they were; the caller decides what to do). The batch is not disposed.
   */
  step(options: { batch: Batch; lr?: number }): Promise<StepResult>;
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
 * The training step of `model` under `computeLoss` and `optimizer`: what `runTrainLoop` runs
 * each iteration, and what the WebGPU checks time and compare.
 */
export function createTrainStep(options: TrainStepOptions): TrainStep {
  const { model, computeLoss, optimizer } = options;
  const lean = options.leanGradients ?? true;
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const variableGrads = (f: () => tf.Scalar) =>
    lean ? leanVariableGrads({ f, varList: variables }) : tf.variableGrads(f, variables);

  const lossAndGrads = (batch: Batch): StepTensors => {
    let parts: Omit<StepTensors, 'loss' | 'grads'> | undefined;
    try {
      const { value, grads } = tf.tidy(() => {
        const r = variableGrads(() => {
          const outputs = asOutputs(
            model.apply(batch.images, { training: true }) as tf.Tensor | tf.Tensor[],
          );
          const loss = computeLoss(outputs, batch.labels);
          const acc = pixelAccuracy(outputs[0]!, batch.labels);
          parts = {
            decode: tf.keep(loss.decode),
            pixelAcc: tf.keep(acc),
            ...(loss.aux ? { aux: tf.keep(loss.aux) } : {}),
          };
          return loss.total;
        });
        return { value: r.value, grads: r.grads } as tf.TensorContainerObject;
      }) as { value: tf.Scalar; grads: tf.NamedTensorMap };
      return { loss: value, ...parts!, grads };
    } catch (error) {
      tf.dispose(parts);
      throw error;
    }
  };

  return {
    variables,
    optimizer,
    lossAndGrads,
    async step({ batch, lr }) {
      const t = lossAndGrads(batch);
      let values: number[];
      try {
        values = await readScalars([t.loss, t.decode, t.pixelAcc, ...(t.aux ? [t.aux] : [])]);
        if (Number.isFinite(values[0])) {
          if (lr !== undefined) optimizer.lr = lr;
          optimizer.apply({ variables, grads: t.grads });
        }
      } finally {
        tf.dispose({ ...t });
      }
      const [loss, decode, pixelAcc, aux = Number.NaN] = values as number[];
      return { loss: loss!, decode: decode!, aux, pixelAcc: pixelAcc!, lr: optimizer.lr };
    },
  };
}
