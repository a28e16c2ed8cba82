import * as tf from '@tensorflow/tfjs-core';
import type { ExplicitPadding } from './padding.js';

/** A conv with symmetric PyTorch padding, as `cropConvTaps` reads it (kernel HW, NHWC input). */
export interface ConvTapsOptions {
  /** Input `[h, w]`. */
  inSize: readonly [number, number];
  kernelSize: readonly [number, number];
  stride: readonly [number, number];
  /** PyTorch symmetric padding `[h, w]`. */
  padding: readonly [number, number];
  dilation: readonly [number, number];
}

/** The taps of a kernel that can read real pixels, and the conv that uses only them. */
export interface CroppedConvTaps {
  /** First kept tap `[h, w]` (slice begin of an `[kh, kw, ...]` kernel). */
  begin: [number, number];
  /** Kept taps `[h, w]` (slice size). */
  size: [number, number];
  /** Explicit NHWC padding of the cropped conv (same output size and positions). */
  pad: ExplicitPadding;
  /** Dilation of the cropped conv (1 along an axis cropped to one tap). */
  dilation: [number, number];
}

interface AxisCrop {
  begin: number;
  size: number;
  before: number;
  after: number;
  dilation: number;
}

function cropAxis(n: number, k: number, s: number, p: number, d: number): AxisCrop | null {
  const out = Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;
  if (out < 1) return null;
  let lo = -1;
  let hi = -1;
  for (let t = 0; t < k; t++) {
    // Output o reads input o·s − p + t·d: does any o in [0, out) land in [0, n)?
    const first = t * d - p;
    const oMin = Math.max(0, Math.ceil(-first / s));
    if (oMin < out && oMin * s + first <= n - 1) {
      if (lo < 0) lo = t;
      hi = t;
    }
  }
  if (lo < 0) return null;
  const size = hi - lo + 1;
  const dilation = size === 1 ? 1 : d;
  const before = p - lo * d;
  // Trailing pad that keeps exactly `out` outputs at the same input positions.
  const after = (out - 1) * s + dilation * (size - 1) + 1 - n - before;
  if (before < 0 || after < 0) return null;
  return { begin: lo, size, before, after, dilation };
}

/**
 * Kernel taps that only ever read zero padding contribute exactly zero (forward and backward),
 * e.g. ASPP's dilation 36 on a 32×32 feature map: every off-centre tap lands in the padding.
 * Returns the crop to the taps that can reach real pixels, or `null` when every tap can
 * (nothing to crop). The cropped conv has the same output, and its kernel gradient equals the
 * full one on the kept taps (zero elsewhere). Saves the dilated conv's time and its gradient's
 * large space-to-batch buffers.
 */
export function cropConvTaps(options: ConvTapsOptions): CroppedConvTaps | null {
  const axes = [0, 1].map((i) =>
    cropAxis(
      options.inSize[i]!,
      options.kernelSize[i]!,
      options.stride[i]!,
      options.padding[i]!,
      options.dilation[i]!,
    ),
  );
  const [h, w] = axes as [AxisCrop | null, AxisCrop | null];
  const kh = options.kernelSize[0];
  const kw = options.kernelSize[1];
  const keepH: AxisCrop = h ?? {
    begin: 0,
    size: kh,
    before: options.padding[0],
    after: options.padding[0],
    dilation: options.dilation[0],
  };
  const keepW: AxisCrop = w ?? {
    begin: 0,
    size: kw,
    before: options.padding[1],
    after: options.padding[1],
    dilation: options.dilation[1],
  };
  if (keepH.size === kh && keepW.size === kw) return null;
  return {
    begin: [keepH.begin, keepW.begin],
    size: [keepH.size, keepW.size],
    pad: [
      [0, 0],
      [keepH.before, keepH.after],
      [keepW.before, keepW.after],
      [0, 0],
    ],
    dilation: [keepH.dilation, keepW.dilation],
  };
}

/**
 * The kernel, explicit padding and dilation for a conv that skips the taps that only read
 * padding (`cropConvTaps`); the full kernel and symmetric padding when nothing can be skipped.
 * Call inside `tf.tidy`: the returned kernel may be a new tensor (a slice, so gradients reach
 * the kept taps of the original).
 */
export function reachableConvTaps(
  kernel: tf.Tensor4D,
  options: ConvTapsOptions,
): { kernel: tf.Tensor4D; pad: ExplicitPadding; dilation: [number, number] } {
  const crop = cropConvTaps(options);
  if (crop == null) {
    const [ph, pw] = options.padding;
    return {
      kernel,
      pad: [
        [0, 0],
        [ph, ph],
        [pw, pw],
        [0, 0],
      ],
      dilation: [options.dilation[0], options.dilation[1]],
    };
  }
  return {
    kernel: tf.slice(
      kernel,
      [crop.begin[0], crop.begin[1], 0, 0],
      [crop.size[0], crop.size[1], -1, -1],
    ),
    pad: crop.pad,
    dilation: crop.dilation,
  };
}
