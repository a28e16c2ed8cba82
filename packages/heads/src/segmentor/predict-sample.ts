import { resizeBilinear } from '@facepar/core';
import { normalizeImage, rescaleSize, resizeImageBilinear } from '@facepar/image';
import * as tf from '@tensorflow/tfjs-core';
import { inferSegmentation, modelPredictor, type Predictor } from './inference.js';
import type { TestModeSpec } from './segmentor-registry.js';
import type { Segmentor } from './segmentor.js';

/** How a segmentor is tested: its test pipeline and the optional flip augmentation. */
export interface TestPipelineOptions {
  /** Test resize and mode; default: the segmentor spec's `test`. */
  test?: TestModeSpec;
  /** Average with the mirrored image (mmseg flip test-time augmentation). */
  flip?: boolean;
  /** Left/right class pairs swapped on the mirrored prediction, e.g. `[[4, 5], [6, 7], [8, 9]]`. */
  flipPairs?: readonly (readonly [number, number])[];
}

export interface PredictLabelsOptions extends Omit<TestPipelineOptions, 'test'> {
  predict: Predictor;
  /** Normalised NHWC images, already at the test scale. */
  images: tf.Tensor4D;
  test?: TestModeSpec;
  /** `[h, w]` of the labels: probabilities are resized bilinearly (half-pixel) to it first. */
  size?: readonly [number, number];
}

/**
 * Class ids `[N, h, w]` (int32, caller owns): `inferSegmentation` (whole or slide, softmax,
 * optional flip), probabilities resized to `size` (mmseg resizes to the original image before
 * the argmax), argmax.
 */
export function predictLabels(options: PredictLabelsOptions): tf.Tensor3D {
  const { predict, images } = options;
  const test = options.test ?? { mode: 'whole' };
  const [, h, w] = images.shape;
  const size = options.size ?? [h, w];
  return tf.tidy(() => {
    const probs = inferSegmentation({
      predict,
      images,
      mode: test.mode,
      crop: test.mode === 'slide' ? test.crop : undefined,
      stride: test.mode === 'slide' ? test.stride : undefined,
      flip: options.flip ?? false,
      flipPairs: options.flipPairs ?? [],
    });
    const full =
      size[0] === h && size[1] === w
        ? probs
        : resizeBilinear({ x: probs, size: [size[0], size[1]] });
    return tf.cast(tf.argMax(full, 3), 'int32') as tf.Tensor3D;
  });
}

export interface PredictSampleOptions extends TestPipelineOptions {
  /** The model with its spec (mean/std, default test pipeline). */
  segmentor: Pick<Segmentor, 'model' | 'spec'>;
  /** An 8-bit RGB photo, HWC. */
  image: { image: Uint8Array; width: number; height: number };
}

/**
 * mmseg's test pipeline on one photo, the one way facepar predicts (evaluation and `predict`
 * alike): test `Resize(keep_ratio)` of the bytes (cv2 bilinear), normalise with the spec's
 * mean/std, infer (whole or slide, optional flip), resize the probabilities back to the photo,
 * argmax. Returns one class id per photo pixel. Reads the result asynchronously (WebGPU-safe).
 */
export async function predictSample(options: PredictSampleOptions): Promise<Uint8Array> {
  const { segmentor, image } = options;
  const { spec } = segmentor;
  const test = options.test ?? spec.test;
  const { width, height } = image;
  if (image.image.length !== width * height * 3) {
    throw new Error(`predictSample: ${image.image.length} bytes is not ${width}x${height}x3 RGB`);
  }
  const size = test.scale ? rescaleSize({ width, height, scale: test.scale }) : { width, height };
  const bytes =
    size.width === width && size.height === height
      ? image.image
      : resizeImageBilinear({
          image: image.image,
          width,
          height,
          outWidth: size.width,
          outHeight: size.height,
        });
  const x = normalizeImage({ image: bytes, mean: spec.mean, std: spec.std });
  const input = tf.tensor4d(x, [1, size.height, size.width, 3]);
  let labels: tf.Tensor3D | undefined;
  try {
    labels = predictLabels({
      predict: modelPredictor(segmentor.model),
      images: input,
      test,
      flip: options.flip,
      flipPairs: options.flipPairs,
      size: [height, width],
    });
    return Uint8Array.from(await labels.data());
  } finally {
    input.dispose();
    labels?.dispose();
  }
}
