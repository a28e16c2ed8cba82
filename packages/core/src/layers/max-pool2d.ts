import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  convOutSize,
  type IntPair,
  type Kwargs,
  type LayerArgs,
  nhwcShape,
  oneTensor,
  toPair,
} from './common.js';

export interface MaxPool2dArgs extends LayerArgs {
  kernelSize: IntPair;
  /** Default: `kernelSize` (PyTorch). */
  stride?: IntPair;
  /** PyTorch implicit -inf padding (padded cells never win); at most half the kernel. */
  padding?: IntPair;
}

export const DEFAULT_MAX_POOL2D_ARGS = { padding: 0 } as const;

export interface ResolvedMaxPool2dArgs {
  kernelSize: [number, number];
  stride: [number, number];
  padding: [number, number];
}

export function resolveMaxPool2dArgs(args: MaxPool2dArgs): ResolvedMaxPool2dArgs {
  const layer = `MaxPool2d ${args.name ?? ''}`.trim();
  if (args.kernelSize == null) throw new Error(`${layer}: kernelSize is required`);
  const kernelSize = toPair(args.kernelSize, `${layer}: kernelSize`, 1);
  const stride = toPair(args.stride ?? kernelSize, `${layer}: stride`, 1);
  const padding = toPair(args.padding ?? DEFAULT_MAX_POOL2D_ARGS.padding, `${layer}: padding`, 0);
  if (padding[0] > kernelSize[0] / 2 || padding[1] > kernelSize[1] / 2) {
    throw new Error(
      `${layer}: padding [${padding}] must be at most half of kernelSize [${kernelSize}] (PyTorch rule)`,
    );
  }
  return { kernelSize, stride, padding };
}

/**
 * PyTorch `MaxPool2d` (floor mode) over NHWC. Uses `tf.maxPool` with explicit pads: tfjs
 * pools only over cells inside the input, which equals PyTorch's -inf padding.
 */
export class MaxPool2d extends tfl.layers.Layer {
  static className = 'MaxPool2d';
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];

  constructor(args: MaxPool2dArgs) {
    super(args);
    const r = resolveMaxPool2dArgs(args);
    this.kernelSize = r.kernelSize;
    this.stride = r.stride;
    this.padding = r.padding;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [n, h, w, c] = nhwcShape(inputShape, this.name);
    return [
      n ?? null,
      convOutSize(h ?? null, this.kernelSize[0], this.stride[0], this.padding[0], 1),
      convOutSize(w ?? null, this.kernelSize[1], this.stride[1], this.padding[1], 1),
      c ?? null,
    ];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      const x = oneTensor(inputs, this.name) as tf.Tensor4D;
      const [ph, pw] = this.padding;
      return tf.maxPool(x, this.kernelSize, this.stride, [
        [0, 0],
        [ph, ph],
        [pw, pw],
        [0, 0],
      ]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
    };
  }
}
