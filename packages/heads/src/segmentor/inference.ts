import { resizeBilinear } from '@facepar/core';
import type * as tf from '@tensorflow/tfjs-core';

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
