import { evalTransform, rescaleSize } from '@facepar/celebamask-data';
import { getSegmentorSpec, inferSegmentation, modelPredictor } from '@facepar/heads';
import {
  CELEBAMASK_FLIP_PAIRS,
  type ConfusionMatrix,
  createConfusionMatrix,
} from '@facepar/metrics';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { TrainConfig } from '../configs/types.js';
import type { Sample } from '../data/samples.js';

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

/**
 * Class ids at the sample's own resolution: resize to the test scale, heads'
 * `inferSegmentation` (whole, softmax, optional flip), bilinear back to the original size
 * (half-pixel, as mmseg's post-processing), argmax.
 */
export function predictSample(options: PredictSampleOptions): Uint8Array {
  const { model, sample, resizeShort, resizeLong, mean, std, flipPairs } = options;
  // mmseg test pipeline: Resize(scale=(long, short), keep_ratio=True), then normalise
  const size = rescaleSize({
    width: sample.width,
    height: sample.height,
    scale: [resizeLong, resizeShort],
  });
  const t = evalTransform({ sample, size, mean, std });
  const input = tf.tensor4d(t.image, [1, t.height, t.width, 3]);
  const pred = tf.tidy(() => {
    const probs = inferSegmentation({
      predict: modelPredictor(model),
      images: input,
      flip: flipPairs != null,
      flipPairs: flipPairs ?? [],
    });
    const full = tf.image.resizeBilinear(probs, [sample.height, sample.width], false, true);
    return tf.cast(tf.argMax(full, 3), 'int32');
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

/**
 * `evaluateSamples` as a training config evaluates: its test scale, class count and ignore
 * index, the model's mean/std, and the CelebAMask-HQ left/right pairs for flip TTA.
 */
export function evaluateWithConfig(options: {
  model: tfl.LayersModel;
  config: TrainConfig;
  samples: readonly Sample[];
  flipTta?: boolean;
  onPrediction?: EvaluateSamplesOptions['onPrediction'];
}): ConfusionMatrix {
  const { model, config, samples, flipTta = false, onPrediction } = options;
  const spec = getSegmentorSpec(config.model);
  return evaluateSamples({
    model,
    samples,
    numClasses: config.numClasses,
    ignoreIndex: config.data.ignoreIndex,
    resizeShort: config.data.resizeShort,
    resizeLong: config.data.resizeLong,
    mean: spec.mean,
    std: spec.std,
    flipPairs: flipTta ? CELEBAMASK_FLIP_PAIRS : null,
    onPrediction,
  });
}
