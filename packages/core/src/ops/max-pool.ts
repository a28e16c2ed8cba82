import * as tf from '@tensorflow/tfjs-core';
import { type TorchPadding, torchPadding } from './padding.js';

export interface MaxPool2dOptions {
  /** NHWC input. */
  x: tf.Tensor4D;
  kernelSize: number | readonly [number, number];
  /** Defaults to kernelSize, as in PyTorch. */
  stride?: number | readonly [number, number];
  /** PyTorch symmetric padding (padded cells never win: -inf). */
  padding?: TorchPadding;
}

export const DEFAULT_MAX_POOL_2D_OPTIONS = { padding: 0 } as const;

type Pair = [number, number];

function toPair(v: number | readonly [number, number], name: string): Pair {
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((e) => Number.isInteger(e) && e > 0)) {
    throw new Error(
      `maxPool2d: ${name} must be a positive integer or [h, w], got ${JSON.stringify(v)}`,
    );
  }
  return [p[0], p[1]];
}

export function resolveMaxPool2dOptions(options: MaxPool2dOptions): {
  x: tf.Tensor4D;
  kernelSize: Pair;
  stride: Pair;
  padding: Pair;
} {
  const { x } = options;
  if (x == null || x.rank !== 4) {
    throw new Error(`maxPool2d: x must be a rank-4 NHWC tensor, got rank ${x?.rank}`);
  }
  const kernelSize = toPair(options.kernelSize, 'kernelSize');
  const stride = toPair(options.stride ?? options.kernelSize, 'stride');
  const pads = torchPadding(options.padding ?? DEFAULT_MAX_POOL_2D_OPTIONS.padding);
  const padding: Pair = [pads[1][0], pads[2][0]];
  if (padding[0] * 2 > kernelSize[0] || padding[1] * 2 > kernelSize[1]) {
    throw new Error(
      `maxPool2d: padding ${JSON.stringify(padding)} must be at most half of kernelSize ${JSON.stringify(kernelSize)} (PyTorch rule)`,
    );
  }
  return { x, kernelSize, stride, padding };
}

/**
 * Max pooling with PyTorch `nn.MaxPool2d(kernel_size, stride, padding)` semantics
 * (floor mode, symmetric -inf padding), differentiable. Caller owns the result.
 */
export function maxPool2d(options: MaxPool2dOptions): tf.Tensor4D {
  const { x, kernelSize, stride, padding } = resolveMaxPool2dOptions(options);
  return tf.tidy(() => tf.maxPool(x, kernelSize, stride, torchPadding(padding)));
}
