import { generateSyntheticFace } from '@facepar/celebamask-data';
import { normalizeImage } from '@facepar/image';
import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '@facepar/train';

export interface SyntheticBatchOptions {
  /** Square image side (>= 32, the synthetic faces' minimum). */
  size: number;
  batchSize: number;
  /** Face `i` uses seed `seed + i`. */
  seed?: number;
  /** Per-channel RGB mean/std on the 0..255 scale (the spec's `data_preprocessor`). */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/**
 * A batch of synthetic faces (celebamask-data's generator: 19 CelebAMask-HQ classes), normalised
 * like mmseg's `data_preprocessor`. The caller owns the tensors.
 */
export function syntheticFaceBatch(options: SyntheticBatchOptions): Batch {
  const { size, batchSize, mean, std } = options;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`syntheticFaceBatch: batchSize must be an integer >= 1, got ${batchSize}`);
  }
  const pixels = size * size;
  const labels = new Int32Array(batchSize * pixels);
  const images: tf.Tensor4D[] = [];
  for (let b = 0; b < batchSize; b++) {
    const face = generateSyntheticFace({ seed: seed + b, size });
    const data = normalizeImage({ image: face.image, mean, std });
    images.push(tf.tensor4d(data, [1, size, size, 3]));
    labels.set(face.labels, b * pixels);
  }
  const stacked = tf.concat(images, 0);
  tf.dispose(images);
  return { images: stacked, labels: tf.tensor3d(labels, [batchSize, size, size], 'int32') };
}
