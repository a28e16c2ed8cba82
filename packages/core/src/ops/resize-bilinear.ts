import * as tf from '@tensorflow/tfjs-core';

export interface ResizeBilinearOptions {
  /** NHWC input. */
  x: tf.Tensor4D;
  /** Output [height, width]. */
  size: readonly [number, number];
  /** PyTorch `align_corners`; false (default) uses half-pixel centres. */
  alignCorners?: boolean;
}

export const DEFAULT_RESIZE_BILINEAR_OPTIONS = { alignCorners: false } as const;

export function resolveResizeBilinearOptions(
  options: ResizeBilinearOptions,
): Required<ResizeBilinearOptions> {
  const { x, size } = options;
  const alignCorners = options.alignCorners ?? DEFAULT_RESIZE_BILINEAR_OPTIONS.alignCorners;
  if (x == null || x.rank !== 4) {
    throw new Error(`resizeBilinear: x must be a rank-4 NHWC tensor, got rank ${x?.rank}`);
  }
  if (
    !Array.isArray(size) ||
    size.length !== 2 ||
    !size.every((s) => Number.isInteger(s) && s > 0)
  ) {
    throw new Error(
      `resizeBilinear: size must be [height, width] of positive integers, got ${JSON.stringify(size)}`,
    );
  }
  if (typeof alignCorners !== 'boolean') {
    throw new Error(
      `resizeBilinear: alignCorners must be true or false, got ${JSON.stringify(alignCorners)}`,
    );
  }
  return { x, size: [size[0], size[1]], alignCorners };
}

/**
 * Bilinear resize with PyTorch `F.interpolate(mode='bilinear', align_corners=…)` semantics,
 * forward and backward (facepar registers the half-pixel gradient). Caller owns the result.
 */
export function resizeBilinear(options: ResizeBilinearOptions): tf.Tensor4D {
  const { x, size, alignCorners } = resolveResizeBilinearOptions(options);
  return tf.tidy(() => tf.image.resizeBilinear(x, [size[0], size[1]], alignCorners, !alignCorners));
}
