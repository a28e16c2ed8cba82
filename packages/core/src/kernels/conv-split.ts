import * as tf from '@tensorflow/tfjs-core';
import { replacedKernelFunc } from './replaced-kernels.js';

/**
 * `Conv2D` for wasm with a large input split along its input channels: the sum of G convolutions
 * of ~1.5 M-float input slices. XNNPACK's convolution streams the whole input once per block of
 * output channels; when the input outgrows the caches (DeepLabV3+'s 3x3 bottleneck over
 * 5 × 512 channels at 32x32, batch 2: 21 MB) it runs memory-bound, at 18 GFLOP/s on one thread
 * or two. In slices of ~6 MB it runs at 26 (one thread) and 48 GFLOP/s (two). The slices are
 * copied in JS (wasm's Slice copies its whole input per call); the partial outputs add up with
 * one AddN. Smaller inputs go to the kernel this one replaced.
 */

/** When to split (tests lower them). */
export const CONV_SPLIT = {
  /** Inputs with more floats than this are split. */
  minInputFloats: 4 * 2 ** 20,
  /** Target floats per slice. */
  sliceFloats: 1.5 * 2 ** 20,
  /** Never slices narrower than this many channels. */
  minSliceChannels: 128,
};

interface HeapBackend {
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

/** Channel groups for `x` [N,H,W,C]: the fewest that divide C into slices under the target. */
export function channelGroups(shape: number[]): number {
  const [n, h, w, c] = shape as [number, number, number, number];
  const size = n * h * w * c;
  if (size <= CONV_SPLIT.minInputFloats) return 1;
  for (let g = Math.ceil(size / CONV_SPLIT.sliceFloats); g <= c; g++) {
    if (c % g !== 0) continue;
    return c / g >= CONV_SPLIT.minSliceChannels ? g : 1;
  }
  return 1;
}

/** Channels [begin, begin + size) of the innermost axis of `v` (rows of `c`), as a new array. */
function innerSlice(v: Float32Array, c: number, begin: number, size: number): Float32Array {
  const rows = v.length / c;
  const out = new Float32Array(rows * size);
  for (let r = 0; r < rows; r++) {
    out.set(v.subarray(r * c + begin, r * c + begin + size), r * size);
  }
  return out;
}

export const conv2dChannelSplit: tf.KernelFunc = (args) => {
  const { inputs, attrs, backend } = args;
  const x = inputs.x as tf.TensorInfo;
  const filter = inputs.filter as tf.TensorInfo;
  const a = (attrs ?? {}) as tf.NamedAttrMap;
  const heap = backend as unknown as Partial<HeapBackend>;
  const format = (a.dataFormat as string | undefined) ?? 'NHWC';
  const groups = format === 'NHWC' && x.dtype === 'float32' ? channelGroups(x.shape) : 1;
  if (groups === 1 || typeof heap.typedArrayFromHeap !== 'function') {
    return replacedKernelFunc(tf.getBackend(), 'Conv2D')(args);
  }
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const [kh, kw, , co] = filter.shape as [number, number, number, number];
  const cg = c / groups;
  // Copy every slice out first: tensor creation may grow (and move) the wasm heap.
  const xv = heap.typedArrayFromHeap(x);
  const fv = heap.typedArrayFromHeap(filter);
  const slices = Array.from({ length: groups }, (_, g) => ({
    x: innerSlice(xv, c, g * cg, cg),
    // filter [kh·kw, C, Co]: rows g·cg .. of each tap are one contiguous block
    f: innerSlice(fv, c * co, g * cg * co, cg * co),
  }));
  return tf.tidy(() => {
    const parts = slices.map((s) =>
      tf.conv2d(
        tf.tensor4d(s.x, [n, h, w, cg]),
        tf.tensor4d(s.f, [kh, kw, cg, co]),
        a.strides as [number, number],
        a.pad as 'valid' | 'same' | number | tf.backend_util.ExplicitPadding,
        'NHWC',
        a.dilations as [number, number],
        (a.dimRoundingMode ?? undefined) as 'floor' | 'round' | 'ceil' | undefined,
      ),
    );
    return tf.addN(parts);
  });
};
