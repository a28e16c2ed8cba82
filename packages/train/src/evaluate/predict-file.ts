import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { decodeImage, encodeRgbPng } from '@facepar/celebamask-data';
import { readNpyFile, writeFileAtomic, writeNpyFile } from '@facepar/core';
import {
  arrayToNhwc,
  modelPredictor,
  nhwcToNchwDataAsync,
  openSegmentor,
  overlayLabels,
  predictLabels,
  predictSample,
  type Segmentor,
  type TestPipelineOptions,
  wholeInference,
} from '@facepar/heads';
import { normalizeImage } from '@facepar/image';
import { CELEBAMASK_PALETTE, encodeLabelPng } from '@facepar/metrics';
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
      try {
        result.logits = await nhwcToNchwDataAsync(logits);
      } finally {
        logits.dispose();
      }
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

/**
 * `predictFile`, then its outputs written atomically: `logits` as NCHW float32 `.npy`, `mask` as
 * a palette PNG, `overlay` as the palette blended over the photo (RGB PNG). Returns one line per
 * file written.
 */
export async function writePredictions(
  options: Omit<Parameters<typeof predictFile>[0], 'labels' | 'logits'> & {
    logits?: string;
    mask?: string;
    overlay?: string;
  },
): Promise<string[]> {
  const { logits, mask, overlay } = options;
  const labels = mask !== undefined || overlay !== undefined;
  const r = await predictFile({ ...options, labels, logits: logits !== undefined });
  const { width: w, height: h } = r;
  if (overlay && !r.rgb)
    throw new Error(`${options.input}: an overlay needs an image, not a .npy array`);
  const written: string[] = [];
  if (logits && r.logits) {
    await writeNpyFile(logits, r.logits);
    written.push(`logits ${JSON.stringify(r.logits.shape)} -> ${logits}`);
  }
  const palette = CELEBAMASK_PALETTE;
  if (mask && r.labels) {
    await writeFileAtomic({
      path: mask,
      data: encodeLabelPng({ labels: r.labels, width: w, height: h, palette }),
    });
    written.push(`mask ${w}x${h} -> ${mask}`);
  }
  if (overlay && r.labels && r.rgb) {
    const rgb = overlayLabels({ rgb: r.rgb, labels: r.labels, palette });
    await writeFileAtomic({ path: overlay, data: encodeRgbPng({ rgb, width: w, height: h }) });
    written.push(`overlay ${w}x${h} -> ${overlay}`);
  }
  return written;
}
