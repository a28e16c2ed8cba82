// Runs one op + its gradient on the active backend and returns the relative errors against
// the float64 references (tests assert on them). Shared by the cpu/wasm and WebGPU suites.
import * as tf from '@tensorflow/tfjs-core';
import { maxPool2d } from '../ops/max-pool.js';
import { resizeBilinear } from '../ops/resize-bilinear.js';
import {
  conv2dReference,
  depthwiseReference,
  maxPoolReference,
  type Pads,
  randomArray,
  referencePads,
  relativeError,
  resizeBilinearReference,
} from './reference.test-helper.js';

type Pair = [number, number];
type Shape4 = [number, number, number, number];
export type PadCase = 'same' | 'valid' | Pads;
export type ConvKind = 'conv2d' | 'depthwise';

export interface ConvCase {
  xShape: Shape4;
  kernel: Pair;
  strides: Pair;
  dilations: Pair;
  pad: PadCase;
  /** cout for conv2d, multiplier for depthwise. */
  channels: number;
}

export interface ResizeCase {
  xShape: Shape4;
  size: Pair;
  alignCorners: boolean;
}

export interface MaxPoolCase {
  xShape: Shape4;
  k: Pair;
  s: Pair;
  p: Pair;
}

function f32(a: Float64Array): Float64Array {
  return Float64Array.from(Float32Array.from(a));
}

function tfPad(pad: PadCase): 'same' | 'valid' | tf.backend_util.ExplicitPadding {
  if (pad === 'same' || pad === 'valid') return pad;
  return [
    [0, 0],
    [pad.top, pad.bottom],
    [pad.left, pad.right],
    [0, 0],
  ];
}

export function convLabel(kind: ConvKind, c: ConvCase): string {
  const pad =
    typeof c.pad === 'string'
      ? c.pad
      : `[${c.pad.top},${c.pad.bottom},${c.pad.left},${c.pad.right}]`;
  return `${kind} x${c.xShape.join('x')} k${c.kernel.join('x')} s${c.strides.join(',')} d${c.dilations.join(',')} ${pad} ch${c.channels}`;
}

/** Relative errors of y, dx, dfilter (loss = Σ op(x)·r) against the float64 reference. */
export async function convCaseErrors(
  kind: ConvKind,
  c: ConvCase,
  seed: number,
): Promise<{ y: number; dx: number; dfilter: number }> {
  const [, h, w, cin] = c.xShape;
  const fShape: Shape4 = [c.kernel[0], c.kernel[1], cin, c.channels];
  const xv = f32(
    randomArray(
      c.xShape.reduce((a, b) => a * b),
      seed,
    ),
  );
  const fv = f32(
    randomArray(
      fShape.reduce((a, b) => a * b),
      seed + 1,
    ),
  );
  const pads = referencePads({
    size: [h, w],
    kernel: c.kernel,
    strides: c.strides,
    dilations: c.dilations,
    pad: c.pad,
  });
  const geometry = {
    xShape: c.xShape,
    kernel: c.kernel,
    strides: c.strides,
    dilations: c.dilations,
    pads,
  };
  const reference = kind === 'conv2d' ? conv2dReference : depthwiseReference;
  const shape = reference(geometry, xv, fv, c.channels, new Float64Array(0)).yShape;
  const rv = f32(
    randomArray(
      shape.reduce((a, b) => a * b),
      seed + 2,
    ),
  );
  const ref = reference(geometry, xv, fv, c.channels, rv);
  const op = (x: tf.Tensor4D, f: tf.Tensor4D) =>
    kind === 'conv2d'
      ? tf.conv2d(x, f, c.strides, tfPad(c.pad), 'NHWC', c.dilations)
      : tf.depthwiseConv2d(x, f, c.strides, tfPad(c.pad), 'NHWC', c.dilations);
  const x = tf.tensor4d(Float32Array.from(xv), c.xShape);
  const f = tf.tensor4d(Float32Array.from(fv), fShape);
  const r = tf.tensor(Float32Array.from(rv), ref.yShape);
  const y = op(x, f);
  const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(op(a as tf.Tensor4D, b as tf.Tensor4D), r)),
  )([x, f]) as [tf.Tensor, tf.Tensor];
  const shapesOk =
    JSON.stringify(y.shape) === JSON.stringify(ref.yShape) &&
    JSON.stringify(dx.shape) === JSON.stringify(c.xShape) &&
    JSON.stringify(df.shape) === JSON.stringify(fShape);
  const errors = {
    y: shapesOk ? relativeError(await y.data(), ref.y) : Number.POSITIVE_INFINITY,
    dx: shapesOk ? relativeError(await dx.data(), ref.dx) : Number.POSITIVE_INFINITY,
    dfilter: shapesOk ? relativeError(await df.data(), ref.dfilter) : Number.POSITIVE_INFINITY,
  };
  tf.dispose([x, f, r, y, dx, df]);
  return errors;
}

/** Relative errors of resizeBilinear's output and gradient against Ry·X·Rxᵀ in float64. */
export async function resizeCaseErrors(
  c: ResizeCase,
  seed: number,
): Promise<{ y: number; dx: number }> {
  const xv = f32(
    randomArray(
      c.xShape.reduce((a, b) => a * b),
      seed,
    ),
  );
  const n = c.xShape[0] * c.size[0] * c.size[1] * c.xShape[3];
  const rv = f32(randomArray(n, seed + 50));
  const ref = resizeBilinearReference(c.xShape, xv, c.size, c.alignCorners, rv);
  const x = tf.tensor4d(Float32Array.from(xv), c.xShape);
  const r = tf.tensor4d(Float32Array.from(rv), [c.xShape[0], c.size[0], c.size[1], c.xShape[3]]);
  const op = (a: tf.Tensor) =>
    resizeBilinear({ x: a as tf.Tensor4D, size: c.size, alignCorners: c.alignCorners });
  const y = op(x);
  const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(op(a), r)))(x);
  const errors = {
    y: relativeError(await y.data(), ref.y),
    dx: relativeError(await dx.data(), ref.dx),
  };
  tf.dispose([x, r, y, dx]);
  return errors;
}

/** Relative errors of maxPool2d (values shifted negative so -inf padding matters). */
export async function maxPoolCaseErrors(
  c: MaxPoolCase,
  seed: number,
): Promise<{ y: number; dx: number }> {
  const xv = f32(
    randomArray(
      c.xShape.reduce((a, b) => a * b),
      seed,
    ).map((v) => v - 2),
  );
  const probe = maxPoolReference(c.xShape, xv, c.k, c.s, c.p, new Float64Array(xv.length));
  const rv = f32(randomArray(probe.y.length, seed + 50));
  const ref = maxPoolReference(c.xShape, xv, c.k, c.s, c.p, rv);
  const x = tf.tensor4d(Float32Array.from(xv), c.xShape);
  const r = tf.tensor(Float32Array.from(rv), ref.yShape);
  const op = (a: tf.Tensor) =>
    maxPool2d({ x: a as tf.Tensor4D, kernelSize: c.k, stride: c.s, padding: c.p });
  const y = op(x);
  const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(op(a), r)))(x);
  const ok = JSON.stringify(y.shape) === JSON.stringify(ref.yShape);
  const errors = {
    y: ok ? relativeError(await y.data(), ref.y) : Number.POSITIVE_INFINITY,
    dx: ok ? relativeError(await dx.data(), ref.dx) : Number.POSITIVE_INFINITY,
  };
  tf.dispose([x, r, y, dx]);
  return errors;
}
