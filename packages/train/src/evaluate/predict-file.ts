import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { decodeImage } from '@facepar/celebamask-data';
import { readNpyFile } from '@facepar/core';
import {
  arrayToNhwc,
  modelPredictor,
  nhwcToNchwData,
  openSegmentor,
  predictLabels,
  predictSample,
  type Segmentor,
  type TestPipelineOptions,
  wholeInference,
} from '@facepar/heads';
import { normalizeImage } from '@facepar/image';
import * as tf from '@tensorflow/tfjs-core';
import { openRunCheckpoint } from '../checkpoint/model-state.js';

/**
 * Opens weights for inference: a run or checkpoint folder (`openRunCheckpoint`), a facepar
 * segmentor checkpoint, or an mmseg state dict for the registered `model`.
 */
export async function openSegmentorWeights(options: {
  path: string;
  model?: string;
  numClasses?: number;
}): Promise<Segmentor> {
  const { path, model, numClasses } = options;
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
    return openRunCheckpoint({ path }).segmentor;
  }
  return openSegmentor(new Uint8Array(await readFile(path)), { model, numClasses });
}

export interface PredictFileResult {
  width: number;
  height: number;
  /** The photo's RGB bytes (absent for a `.npy` input). */
  rgb?: Uint8Array;
  /** One class id per pixel (when `labels` was asked for). */
  labels?: Uint8Array;
  /** Whole-image decode-head logits at the input size, NCHW (when `logits` was asked for). */
  logits?: { data: Float32Array; shape: number[] };
}

/**
 * `facepar predict`'s work on one input file: a photo goes through heads' `predictSample`
 * (the pipeline `evaluate` uses, so both give the same masks); a `.npy` array (already
 * normalised, NCHW or NHWC) is the network input as it is. `logits` are the whole-image
 * decode logits of the input as given (no test resize), for parity checks against PyTorch.
 */
export async function predictFile(
  options: TestPipelineOptions & {
    segmentor: Segmentor;
    input: string;
    labels?: boolean;
    logits?: boolean;
  },
): Promise<PredictFileResult> {
  const { segmentor, input } = options;
  const { spec } = segmentor;
  let x: tf.Tensor4D;
  let photo: { image: Uint8Array; width: number; height: number } | undefined;
  if (input.toLowerCase().endsWith('.npy')) {
    const arr = await readNpyFile(input);
    if (arr.dtype !== '<f4' && arr.dtype !== '<f8') {
      throw new Error(`${input}: the array must be float32 (or float64), got ${arr.dtype}`);
    }
    x = arrayToNhwc({ data: Float32Array.from(arr.data as Float32Array), shape: arr.shape });
  } else {
    const d = await decodeImage({ bytes: input });
    photo = { image: d.data, width: d.width, height: d.height };
    const normalised = normalizeImage({ image: d.data, mean: spec.mean, std: spec.std });
    x = tf.tensor4d(normalised, [1, d.height, d.width, 3]);
  }
  const [n, height, width] = x.shape;
  const predict = modelPredictor(segmentor.model);
  try {
    const result: PredictFileResult = { width, height, rgb: photo?.image };
    if (options.logits) {
      const logits = wholeInference({ predict, images: x });
      result.logits = nhwcToNchwData(logits);
      logits.dispose();
    }
    if (!options.labels) return result;
    if (n !== 1) throw new Error(`${input}: a mask needs a single image, got a batch of ${n}`);
    const tta = {
      test: options.test ?? spec.test,
      flip: options.flip,
      flipPairs: options.flipPairs,
    };
    if (photo) result.labels = await predictSample({ segmentor, image: photo, ...tta });
    else {
      const labels = predictLabels({ predict, images: x, ...tta });
      result.labels = Uint8Array.from(await labels.data());
      labels.dispose();
    }
    return result;
  } finally {
    x.dispose();
  }
}
