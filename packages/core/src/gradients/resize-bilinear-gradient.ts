import * as tf from '@tensorflow/tfjs-core';

/**
 * `ResizeBilinear` gradient that honours `halfPixelCenters` (PyTorch `align_corners=False`);
 * tfjs 4.22's backward kernels ignore the flag. The resize is separable (y = Ry·x·Rxᵀ), so the
 * gradient is dx = Ryᵀ·dy·Rx, one axis at a time: an integer half-pixel upsample (the usual
 * logits → labels case) is a stride-s depthwise correlation, anything else one broadcast batch
 * matmul with the dense transposed interpolation matrix. Both are exact.
 */

export interface InterpolationTaps {
  /** For each output index: lower source index, upper source index, weight of the upper. */
  lower: Int32Array;
  upper: Int32Array;
  lambda: Float64Array;
}

/** Source taps of 1-D linear interpolation with tfjs/PyTorch semantics. */
export function interpolationTaps(options: {
  inSize: number;
  outSize: number;
  alignCorners: boolean;
  halfPixelCenters: boolean;
}): InterpolationTaps {
  const { inSize, outSize, alignCorners, halfPixelCenters } = options;
  const scale = alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
  const lower = new Int32Array(outSize);
  const upper = new Int32Array(outSize);
  const lambda = new Float64Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const src = Math.max(0, halfPixelCenters ? scale * (o + 0.5) - 0.5 : scale * o);
    const lo = Math.min(Math.floor(src), inSize - 1);
    lower[o] = lo;
    const hi = Math.min(lo + 1, inSize - 1);
    upper[o] = hi;
    lambda[o] = hi === lo ? 0 : Math.min(Math.max(src - lo, 0), 1);
  }
  return { lower, upper, lambda };
}

/** Dense transposed interpolation matrix [inSize, outSize] (row k: weights input k receives). */
export function transposedInterpolationMatrix(
  taps: InterpolationTaps,
  inSize: number,
): Float32Array {
  const out = taps.lower.length;
  const m = new Float64Array(inSize * out);
  for (let o = 0; o < out; o++) {
    const lam = taps.lambda[o] as number;
    m[(taps.lower[o] as number) * out + o] =
      (m[(taps.lower[o] as number) * out + o] as number) + 1 - lam;
    m[(taps.upper[o] as number) * out + o] =
      (m[(taps.upper[o] as number) * out + o] as number) + lam;
  }
  return Float32Array.from(m);
}

/**
 * Kernel of the half-pixel upsample-by-s gradient as a stride-s correlation over dy (length 3s).
 * Output o = s·k + r reads source k + δ_r, δ_r = (2r + 1 − s) / 2s, from the edge-padded
 * input: weight 1 − |δ_r| on k, |δ_r| on k − 1 (δ_r < 0) or k + 1 (δ_r ≥ 0).
 */
export function integerUpsampleKernel(s: number): Float32Array {
  const k = new Float32Array(3 * s);
  for (let r = 0; r < s; r++) {
    const d = (2 * r + 1 - s) / (2 * s);
    k[r] = Math.max(d, 0);
    k[s + r] = 1 - Math.abs(d);
    k[2 * s + r] = Math.max(-d, 0);
  }
  return k;
}

function axisPad(axis: 1 | 2, before: number, after: number): Array<[number, number]> {
  return axis === 1
    ? [
        [0, 0],
        [before, after],
        [0, 0],
        [0, 0],
      ]
    : [
        [0, 0],
        [0, 0],
        [before, after],
        [0, 0],
      ];
}

function axisSlice(x: tf.Tensor4D, axis: 1 | 2, begin: number, size: number): tf.Tensor4D {
  const b = [0, 0, 0, 0];
  const sz = [...x.shape];
  b[axis] = begin;
  sz[axis] = size;
  return tf.slice(x, b, sz);
}

/**
 * Half-pixel upsample by an integer factor s: one depthwise stride-s correlation of the
 * zero-padded dy gives the gradient of the edge-padded input (size in + 2); the two edge cells
 * fold back onto the first and last input cells. O(output · 3), on wasm's fast depthwise conv.
 */
function integerUpsampleAxis(dy: tf.Tensor4D, axis: 1 | 2, s: number, inSize: number): tf.Tensor4D {
  const c = dy.shape[3];
  const kernel = integerUpsampleKernel(s);
  const filter = new Float32Array(3 * s * c);
  for (let t = 0; t < 3 * s; t++) filter.fill(kernel[t] as number, t * c, (t + 1) * c);
  const fShape: [number, number, number, number] = axis === 1 ? [3 * s, 1, c, 1] : [1, 3 * s, c, 1];
  const padded = tf.pad(dy, axisPad(axis, 2 * s, 2 * s));
  const strides: [number, number] = axis === 1 ? [s, 1] : [1, s];
  const full = tf.depthwiseConv2d(padded, tf.tensor4d(filter, fShape), strides, 'valid');
  const mid = axisSlice(full, axis, 1, inSize);
  const first = axisSlice(full, axis, 0, 1);
  const last = axisSlice(full, axis, inSize + 1, 1);
  if (inSize === 1) return tf.addN([mid, first, last]);
  return tf.addN([
    mid,
    tf.pad(first, axisPad(axis, 0, inSize - 1)),
    tf.pad(last, axisPad(axis, inSize - 1, 0)),
  ]);
}

/** Transposed interpolation along `axis` as one broadcast batch matmul (general, exact). */
function matrixAxis(
  dy: tf.Tensor4D,
  axis: 1 | 2,
  taps: InterpolationTaps,
  inSize: number,
): tf.Tensor4D {
  const [n, h, w, c] = dy.shape;
  const outSize = axis === 1 ? h : w;
  const rt = tf.tensor3d(transposedInterpolationMatrix(taps, inSize), [1, inSize, outSize]);
  if (axis === 1) {
    return tf.reshape(tf.matMul(rt, tf.reshape(dy, [n, h, w * c])), [n, inSize, w, c]);
  }
  return tf.reshape(tf.matMul(rt, tf.reshape(dy, [n * h, w, c])), [n, h, inSize, c]);
}

/** The gradient along one axis, by the cheapest exact route. */
function backpropAxis(
  dy: tf.Tensor4D,
  axis: 1 | 2,
  inSize: number,
  alignCorners: boolean,
  halfPixelCenters: boolean,
): tf.Tensor4D {
  const outSize = dy.shape[axis];
  if (outSize === inSize) return dy; // every mode maps o to o
  if (halfPixelCenters && !alignCorners && outSize % inSize === 0) {
    return integerUpsampleAxis(dy, axis, outSize / inSize, inSize);
  }
  const taps = interpolationTaps({ inSize, outSize, alignCorners, halfPixelCenters });
  return matrixAxis(dy, axis, taps, inSize);
}

/** dImages of `resizeBilinear` (caller owns the result). */
export function resizeBilinearBackprop(options: {
  dy: tf.Tensor4D;
  inputShape: number[];
  alignCorners: boolean;
  halfPixelCenters: boolean;
}): tf.Tensor4D {
  const { dy, inputShape, alignCorners, halfPixelCenters } = options;
  const [, inH, inW] = inputShape as [number, number, number, number];
  const [, outH, outW] = dy.shape;
  return tf.tidy(() => {
    const d = tf.cast(dy, 'float32') as tf.Tensor4D;
    // Shrink the larger ratio first: the second pass then runs on the smaller tensor.
    if (inH / outH <= inW / outW) {
      const alongH = backpropAxis(d, 1, inH, alignCorners, halfPixelCenters);
      return backpropAxis(alongH, 2, inW, alignCorners, halfPixelCenters);
    }
    const alongW = backpropAxis(d, 2, inW, alignCorners, halfPixelCenters);
    return backpropAxis(alongW, 1, inH, alignCorners, halfPixelCenters);
  });
}

export const resizeBilinearGradConfig: tf.GradConfig = {
  kernelName: 'ResizeBilinear',
  inputsToSave: ['images'],
  gradFunc: (dy, saved, attrs) => {
    const [images] = saved as [tf.Tensor4D];
    return {
      images: () =>
        resizeBilinearBackprop({
          dy: dy as tf.Tensor4D,
          inputShape: images.shape,
          alignCorners: Boolean(attrs.alignCorners),
          halfPixelCenters: Boolean(attrs.halfPixelCenters),
        }),
    };
  },
};
