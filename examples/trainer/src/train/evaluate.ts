import { type ConfusionMatrix, createConfusionMatrix } from '@facepar/metrics';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { type Sample, keepRatioScale, normalisedInput } from '../data/sample-batches.js';

export interface PredictSampleOptions {
  model: tfl.LayersModel;
  sample: Sample;
  /** Test-time resize (mmseg `Resize(scale, keep_ratio=True)`). */
  resizeShort: number;
  resizeLong: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  /** Average with the mirrored image, swapping these class pairs (`--flip-tta`). */
  flipPairs?: readonly (readonly [number, number])[] | null;
}

// TODO(move to @facepar/heads): use heads' `inferSegmentation` (whole + flip) once exported.
/**
 * Class ids at the sample's own resolution: resize to the test scale, forward (inference
 * mode), softmax, bilinear back to the original size (half-pixel), argmax.
 */
export function predictSample(options: PredictSampleOptions): Uint8Array {
  const { model, sample, resizeShort, resizeLong, mean, std, flipPairs } = options;
  const scale = keepRatioScale({
    width: sample.width,
    height: sample.height,
    short: resizeShort,
    long: resizeLong,
  });
  const input = normalisedInput({ sample, scale, mean, std });
  const pred = tf.tidy(() => {
    const forward = (x: tf.Tensor4D): tf.Tensor4D => {
      const out = model.predict(x);
      const logits = (Array.isArray(out) ? out[0] : out) as tf.Tensor4D;
      const full = tf.image.resizeBilinear(logits, [sample.height, sample.width], false, true);
      return tf.softmax(full, -1);
    };
    let probs = forward(input);
    if (flipPairs) {
      const numClasses = probs.shape[3];
      const perm = Array.from({ length: numClasses }, (_, i) => i);
      for (const [a, b] of flipPairs) {
        perm[a] = b;
        perm[b] = a;
      }
      const back = tf.gather(tf.reverse(forward(tf.reverse(input, 2)), 2), perm, 3) as tf.Tensor4D;
      probs = tf.div(tf.add(probs, back), 2);
    }
    return tf.cast(tf.argMax(probs, 3), 'int32');
  });
  input.dispose();
  const ids = pred.dataSync();
  pred.dispose();
  return Uint8Array.from(ids);
}

export interface EvaluateSamplesOptions extends Omit<PredictSampleOptions, 'sample'> {
  samples: readonly Sample[];
  numClasses: number;
  ignoreIndex: number;
  /** Called with each prediction (e.g. to save a few coloured masks). */
  onPrediction?: (info: { sample: Sample; pred: Uint8Array; index: number }) => void;
}

/** Dataset-level confusion matrix of the model over `samples`. */
export function evaluateSamples(options: EvaluateSamplesOptions): ConfusionMatrix {
  const { samples, numClasses, ignoreIndex, onPrediction } = options;
  const cm = createConfusionMatrix({ numClasses, ignoreIndex });
  samples.forEach((sample, index) => {
    const pred = predictSample({ ...options, sample });
    cm.update({ pred, gt: sample.labels });
    onPrediction?.({ sample, pred, index });
  });
  return cm;
}
