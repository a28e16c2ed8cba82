import * as tf from '@tensorflow/tfjs-core';

/**
 * `ResizeBilinear` gradient that honours `halfPixelCenters` (PyTorch `align_corners=False`);
 * tfjs 4.22's backward kernels ignore the flag. Each output row/column reads two input rows
 * (weights 1-λ, λ), so the transpose is sparse: input k receives from at most M outputs.
 * The gradient is M gathers + weighted sums along H, then along W: O(M · size), exact.
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

/**
 * Transposed taps: for each input index k, up to M (output index, weight) pairs, padded with
 * weight 0. Returned as [M][inSize] index and weight arrays.
 */
export function transposedTaps(
  taps: InterpolationTaps,
  inSize: number,
): {
  index: Int32Array[];
  weight: Float32Array[];
} {
  const lists: Array<Array<[number, number]>> = Array.from({ length: inSize }, () => []);
  const add = (k: number, o: number, wgt: number) => {
    if (wgt === 0) return;
    const list = lists[k] as Array<[number, number]>;
    const last = list[list.length - 1];
    if (last !== undefined && last[0] === o) last[1] += wgt;
    else list.push([o, wgt]);
  };
  for (let o = 0; o < taps.lower.length; o++) {
    const lam = taps.lambda[o] as number;
    add(taps.lower[o] as number, o, 1 - lam);
    add(taps.upper[o] as number, o, lam);
  }
  const m = Math.max(1, ...lists.map((l) => l.length));
  const index: Int32Array[] = [];
  const weight: Float32Array[] = [];
  for (let j = 0; j < m; j++) {
    const idx = new Int32Array(inSize);
    const wgt = new Float32Array(inSize);
    for (let k = 0; k < inSize; k++) {
      const e = (lists[k] as Array<[number, number]>)[j];
      if (e !== undefined) {
        idx[k] = e[0];
        wgt[k] = e[1];
      }
    }
    index.push(idx);
    weight.push(wgt);
  }
  return { index, weight };
}

/** Applies the transposed interpolation along `axis` (1 = H, 2 = W) of a 4-D tensor. */
function scatterAxis(
  dy: tf.Tensor4D,
  axis: 1 | 2,
  taps: InterpolationTaps,
  inSize: number,
): tf.Tensor4D {
  const { index, weight } = transposedTaps(taps, inSize);
  const wShape = axis === 1 ? [1, inSize, 1, 1] : [1, 1, inSize, 1];
  const terms = index.map((idx, j) =>
    tf.mul(
      tf.gather(dy, tf.tensor1d(idx, 'int32'), axis),
      tf.tensor(weight[j] as Float32Array, wShape),
    ),
  );
  return (terms.length === 1 ? terms[0] : tf.addN(terms)) as tf.Tensor4D;
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
    const tapsH = interpolationTaps({ inSize: inH, outSize: outH, alignCorners, halfPixelCenters });
    const tapsW = interpolationTaps({ inSize: inW, outSize: outW, alignCorners, halfPixelCenters });
    const alongH = scatterAxis(tf.cast(dy, 'float32'), 1, tapsH, inH);
    return scatterAxis(alongH, 2, tapsW, inW);
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
