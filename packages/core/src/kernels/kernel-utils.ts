import * as tf from '@tensorflow/tfjs-core';

/** A kernel input as a Tensor (the engine passes Tensors; raw TensorInfo is wrapped). */
export function asTensor<T extends tf.Tensor = tf.Tensor>(info: tf.TensorInfo): T {
  return (info instanceof tf.Tensor ? info : tf.engine().makeTensorFromTensorInfo(info)) as T;
}

export type Pair = [number, number];

export function pair(v: unknown, fallback = 1): Pair {
  if (v == null) return [fallback, fallback];
  if (typeof v === 'number') return [v, v];
  const a = v as number[];
  return [a[0] ?? fallback, a[1] ?? fallback];
}

/**
 * Pads (positive) or crops (negative) the H and W axes of an NHWC tensor:
 * amounts are [top, bottom, left, right].
 */
export function padOrCrop(x: tf.Tensor4D, amounts: [number, number, number, number]): tf.Tensor4D {
  const [top, bottom, left, right] = amounts;
  let y = x;
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    y = tf.pad(y, [
      [0, 0],
      [Math.max(top, 0), Math.max(bottom, 0)],
      [Math.max(left, 0), Math.max(right, 0)],
      [0, 0],
    ]);
  }
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const [n, h, w, c] = y.shape;
    const t = Math.max(-top, 0);
    const l = Math.max(-left, 0);
    y = tf.slice(
      y,
      [0, t, l, 0],
      [n, h - t - Math.max(-bottom, 0), w - l - Math.max(-right, 0), c],
    );
  }
  return y;
}

/**
 * Inserts stride-1 zeros between rows/columns of an NHWC tensor: [N,H,W,C] →
 * [N, H·sh, W·sw, C] with the data at multiples of the stride (trailing zeros included), using
 * only 4-D ops (5-D slices are slow on wasm).
 */
export function zeroUpsample(x: tf.Tensor4D, strides: Pair): tf.Tensor4D {
  const [sh, sw] = strides;
  const [n, h, w, c] = x.shape;
  let y = x;
  if (sh > 1) {
    y = tf.reshape(
      tf.pad(tf.reshape(y, [n, h, 1, w * c]), [
        [0, 0],
        [0, 0],
        [0, sh - 1],
        [0, 0],
      ]),
      [n, h * sh, w, c],
    );
  }
  if (sw > 1) {
    const hh = y.shape[1];
    y = tf.reshape(
      tf.pad(tf.reshape(y, [n * hh, w, 1, c]), [
        [0, 0],
        [0, 0],
        [0, sw - 1],
        [0, 0],
      ]),
      [n, hh, w * sw, c],
    );
  }
  return y;
}

/**
 * A filter [kh, kw, ...] rotated by 180° in space (reversed along axes 0 and 1). Built from
 * row slices and one concat: wasm's Reverse kernel is about 10x slower for conv filters.
 */
export function flipSpatial(filter: tf.Tensor4D): tf.Tensor4D {
  const [kh, kw, a, b] = filter.shape;
  const taps = kh * kw;
  if (taps === 1) return filter;
  const rows = tf.reshape(filter, [taps, a * b]) as tf.Tensor2D;
  const parts: tf.Tensor2D[] = [];
  for (let t = taps - 1; t >= 0; t--) parts.push(tf.slice(rows, [t, 0], [1, a * b]));
  return tf.reshape(tf.concat(parts, 0), [kh, kw, a, b]);
}
