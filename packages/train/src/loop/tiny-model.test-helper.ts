import { BatchNorm2d, Conv2d } from '@facepar/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Batch, BatchSource } from './loader-batches.js';
import type { ComputeLoss } from './train-step.js';

/**
 * A two-output (decode, aux) model of @facepar/core layers, small enough for hundreds of CPU
 * iterations.
 */
export function createTinyModel(options: { numClasses: number; seed: number }): tfl.LayersModel {
  const { numClasses, seed } = options;
  const input = tfl.input({ shape: [8, 8, 3] });
  const conv = new Conv2d({ name: 'conv1', filters: 6, kernelSize: 3, padding: 1, seed: seed + 1 });
  const h = tfl.layers.reLU().apply(conv.apply(input)) as tfl.SymbolicTensor;
  const bn = new BatchNorm2d({ name: 'bn1' }).apply(h) as tfl.SymbolicTensor;
  const decode = new Conv2d({
    name: 'decode',
    filters: numClasses,
    kernelSize: 1,
    seed: seed + 2,
  }).apply(bn) as tfl.SymbolicTensor;
  const aux = new Conv2d({ name: 'aux', filters: numClasses, kernelSize: 1, seed: seed + 3 }).apply(
    h,
  ) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: [decode, aux] });
}

/** Plain mean softmax CE on each output, decode + 0.4 aux. */
export const tinyLoss: ComputeLoss = (outputs, labels) => {
  const numClasses = outputs[0]!.shape[3];
  const ce = (logits: tf.Tensor4D) =>
    tf.losses.softmaxCrossEntropy(
      tf.oneHot(tf.cast(labels, 'int32'), numClasses),
      logits,
    ) as tf.Scalar;
  const decode = ce(outputs[0]!);
  const aux = ce(outputs[1]!);
  return { total: tf.add(decode, tf.mul(aux, 0.4)) as tf.Scalar, decode, aux };
};

/** Batches that are a pure function of (seed, position): label = argmax of the RGB channels. */
export class TinyBatches implements BatchSource {
  private position = 0;
  constructor(
    private readonly seed: number,
    private readonly batchSize = 2,
  ) {}

  async next(): Promise<Batch> {
    const k = this.position++;
    return tf.tidy(() => {
      const images = tf.randomUniform(
        [this.batchSize, 8, 8, 3],
        0,
        1,
        'float32',
        this.seed * 100_003 + k,
      ) as tf.Tensor4D;
      const labels = tf.cast(tf.argMax(images, 3), 'int32') as tf.Tensor3D;
      return { images, labels };
    });
  }

  getState(): unknown {
    return { position: this.position };
  }

  setState(state: unknown): void {
    this.position = (state as { position: number }).position;
  }
}
