import { resizeBilinear } from '@facepar/core';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

export interface ResizeLogitsOptions {
  /** NHWC logits. */
  logits: tf.Tensor4D;
  /** Target `[h, w]` (usually the input size). */
  size: [number, number];
  /** PyTorch `align_corners`; mmseg's DeepLabV3+ uses false (half-pixel centres). */
  alignCorners?: boolean;
}

/**
 * Bilinear resize of logits as mmseg's `resize(..., mode='bilinear', align_corners=False)`.
 * The caller owns the returned tensor.
 */
export function resizeLogits(options: ResizeLogitsOptions): tf.Tensor4D {
  return resizeBilinear({
    x: options.logits,
    size: options.size,
    alignCorners: options.alignCorners ?? false,
  });
}

/** Maps normalised NHWC images to decode-head logits (any stride). Must not keep its input. */
export type Predictor = (images: tf.Tensor4D) => tf.Tensor4D;

/**
 * A predictor from a segmentor model: the first output (decode logits); auxiliary outputs are
 * computed by tfjs and dropped, so build inference models with `withAuxiliary: false`.
 */
export function modelPredictor(model: tfl.LayersModel): Predictor {
  return (images) =>
    tf.tidy(() => {
      const out = model.predict(images);
      return (Array.isArray(out) ? out[0] : out) as tf.Tensor4D;
    });
}

/** mmseg `whole_inference`: logits resized to the input size (caller owns the result). */
export function wholeInference(options: { predict: Predictor; images: tf.Tensor4D }): tf.Tensor4D {
  const { predict, images } = options;
  return tf.tidy(() => {
    const [, h, w] = images.shape;
    return resizeLogits({ logits: predict(images), size: [h, w] });
  });
}

export interface SlideWindow {
  y1: number;
  y2: number;
  x1: number;
  x2: number;
}

export interface SlideWindowOptions {
  height: number;
  width: number;
  /** Window `[h, w]` (mmseg `test_cfg.crop_size`). */
  crop: [number, number];
  /** Step `[h, w]` (mmseg `test_cfg.stride`). */
  stride: [number, number];
}

function checkPair(v: unknown, what: string): [number, number] {
  if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => Number.isInteger(x) && x >= 1)) {
    throw new Error(
      `slide inference: ${what} must be [h, w] with integers >= 1, got ${JSON.stringify(v)}`,
    );
  }
  return [v[0], v[1]];
}

/**
 * mmseg `slide_inference` window arithmetic: `grids = max(size - crop + stride - 1, 0) // stride + 1`
 * per axis, each window `[start, min(start + crop, size))` shifted back to be `crop` long when
 * the image allows it. A stride larger than the crop is refused (it would leave pixels that no
 * window covers).
 */
export function slideWindows(options: SlideWindowOptions): SlideWindow[] {
  const [hc, wc] = checkPair(options.crop, 'crop');
  const [hs, ws] = checkPair(options.stride, 'stride');
  if (hs > hc || ws > wc) {
    // windows would skip pixels: their logits would be 0/0 (mmseg asserts every pixel is covered)
    throw new Error(
      `slide inference: stride [${hs}, ${ws}] is larger than crop [${hc}, ${wc}], so some pixels would be in no window; use a stride <= crop (mmseg's default is 2/3 of the crop)`,
    );
  }
  const { height: H, width: W } = options;
  const hGrids = Math.floor(Math.max(H - hc + hs - 1, 0) / hs) + 1;
  const wGrids = Math.floor(Math.max(W - wc + ws - 1, 0) / ws) + 1;
  const out: SlideWindow[] = [];
  for (let hi = 0; hi < hGrids; hi++) {
    for (let wi = 0; wi < wGrids; wi++) {
      const y2 = Math.min(hi * hs + hc, H);
      const x2 = Math.min(wi * ws + wc, W);
      out.push({ y1: Math.max(y2 - hc, 0), y2, x1: Math.max(x2 - wc, 0), x2 });
    }
  }
  return out;
}

/**
 * mmseg `slide_inference`: runs `predict` on every window, resizes each window's logits to the
 * window, sums them into place and divides by the per-pixel window count.
 */
export function slideInference(options: {
  predict: Predictor;
  images: tf.Tensor4D;
  crop: [number, number];
  stride: [number, number];
}): tf.Tensor4D {
  const { predict, images } = options;
  const [n, H, W, c] = images.shape;
  const windows = slideWindows({ height: H, width: W, crop: options.crop, stride: options.stride });
  return tf.tidy(() => {
    let sum: tf.Tensor4D | null = null;
    const count = new Float32Array(H * W);
    for (const { y1, y2, x1, x2 } of windows) {
      const crop = tf.slice(images, [0, y1, x1, 0], [n, y2 - y1, x2 - x1, c]);
      const logits = wholeInference({ predict, images: crop });
      const padded = tf.pad(logits, [
        [0, 0],
        [y1, H - y2],
        [x1, W - x2],
        [0, 0],
      ]) as tf.Tensor4D;
      const next: tf.Tensor4D = sum == null ? padded : tf.add(sum, padded);
      sum = next;
      for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) count[y * W + x]! += 1;
    }
    return tf.div(sum!, tf.tensor4d(count, [1, H, W, 1]));
  });
}

/** Channel permutation that swaps each `[a, b]` pair (left/right classes). */
export function flipPermutation(options: {
  numClasses: number;
  flipPairs: readonly (readonly [number, number])[];
}): number[] {
  const perm = Array.from({ length: options.numClasses }, (_, i) => i);
  for (const pair of options.flipPairs) {
    const [a, b] = pair;
    if (![a, b].every((v) => Number.isInteger(v) && v >= 0 && v < options.numClasses) || a === b) {
      throw new Error(
        `flipPairs: ${JSON.stringify(pair)} must be two distinct class ids in [0, ${options.numClasses})`,
      );
    }
    if (perm[a] !== a || perm[b] !== b) {
      throw new Error(`flipPairs: class ${perm[a] !== a ? a : b} appears in two pairs`);
    }
    perm[a] = b;
    perm[b] = a;
  }
  return perm;
}

export type TestMode = 'whole' | 'slide';

export interface InferOptions {
  predict: Predictor;
  /** Normalised NHWC images. */
  images: tf.Tensor4D;
  mode?: TestMode;
  /** Slide mode window and step. */
  crop?: [number, number];
  stride?: [number, number];
  /** Adds the horizontally flipped image (mmseg `flip=True` test-time augmentation). */
  flip?: boolean;
  /** Left/right class pairs swapped on the flipped prediction, e.g. `[[4, 5], [6, 7], [8, 9]]`. */
  flipPairs?: readonly (readonly [number, number])[];
  /** Average softmax probabilities (mmseg `aug_test`) or raw logits. */
  average?: 'probs' | 'logits';
}

export const DEFAULT_INFER_OPTIONS = {
  mode: 'whole',
  flip: false,
  flipPairs: [],
  average: 'probs',
} as const;

/**
 * Test-time inference at input size: whole or slide, optionally with flip augmentation. Returns
 * class probabilities (`average: 'probs'`, mmseg) or logits; NHWC, caller owns the result.
 */
export function inferSegmentation(options: InferOptions): tf.Tensor4D {
  const mode = options.mode ?? DEFAULT_INFER_OPTIONS.mode;
  if (mode !== 'whole' && mode !== 'slide') {
    throw new Error(`inferSegmentation: mode must be one of whole, slide; got ${String(mode)}`);
  }
  const average = options.average ?? DEFAULT_INFER_OPTIONS.average;
  if (average !== 'probs' && average !== 'logits') {
    throw new Error(
      `inferSegmentation: average must be one of probs, logits; got ${String(average)}`,
    );
  }
  if (mode === 'slide' && (options.crop == null || options.stride == null)) {
    throw new Error('inferSegmentation: slide mode needs crop and stride');
  }
  const run = (images: tf.Tensor4D): tf.Tensor4D => {
    const logits =
      mode === 'whole'
        ? wholeInference({ predict: options.predict, images })
        : slideInference({
            predict: options.predict,
            images,
            crop: options.crop!,
            stride: options.stride!,
          });
    return average === 'probs' ? tf.softmax(logits, -1) : logits;
  };
  return tf.tidy(() => {
    const base = run(options.images);
    if (!(options.flip ?? DEFAULT_INFER_OPTIONS.flip)) return base;
    const numClasses = base.shape[3];
    const perm = flipPermutation({
      numClasses,
      flipPairs: options.flipPairs ?? DEFAULT_INFER_OPTIONS.flipPairs,
    });
    const flipped = run(tf.reverse(options.images, 2));
    const back = tf.gather(tf.reverse(flipped, 2), perm, 3) as tf.Tensor4D;
    return tf.div(tf.add(base, back), 2);
  });
}
