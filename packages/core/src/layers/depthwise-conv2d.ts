import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ExplicitPadding } from '../ops/padding.js';
import { type Initializer, type IntPair, type LayerArgs, nhwcShape } from './common.js';
import { ConvBase } from './conv-base.js';
import { resolveConvGeometry } from './conv2d.js';

export interface DepthwiseConv2dArgs extends LayerArgs {
  kernelSize: IntPair;
  stride?: IntPair;
  /** PyTorch symmetric zero padding: an int or `[h, w]`. */
  padding?: IntPair;
  dilation?: IntPair;
  /** Output channels per input channel (PyTorch `out_channels / groups`). */
  depthMultiplier?: number;
  useBias?: boolean;
  /** Default: mmcv `kaiming_init` (fan_out = C·m·kh·kw, as PyTorch computes it). */
  kernelInitializer?: Initializer;
  biasInitializer?: Initializer;
  seed?: number;
}

export const DEFAULT_DEPTHWISE_CONV2D_ARGS = {
  stride: 1,
  padding: 0,
  dilation: 1,
  depthMultiplier: 1,
  useBias: false,
} as const;

export interface ResolvedDepthwiseConv2dArgs {
  kernelSize: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  depthMultiplier: number;
  useBias: boolean;
}

export function resolveDepthwiseConv2dArgs(args: DepthwiseConv2dArgs): ResolvedDepthwiseConv2dArgs {
  const layer = `DepthwiseConv2d ${args.name ?? ''}`.trim();
  const depthMultiplier = args.depthMultiplier ?? DEFAULT_DEPTHWISE_CONV2D_ARGS.depthMultiplier;
  if (!Number.isInteger(depthMultiplier) || depthMultiplier < 1) {
    throw new Error(`${layer}: depthMultiplier must be an integer >= 1, got ${depthMultiplier}`);
  }
  return {
    ...resolveConvGeometry(args, layer),
    depthMultiplier,
    useBias: args.useBias ?? DEFAULT_DEPTHWISE_CONV2D_ARGS.useBias,
  };
}

/**
 * Depthwise conv (PyTorch `Conv2d(groups=C)`), NHWC, with padding and dilation honoured
 * (`tf.layers.depthwiseConv2d` ignores `dilationRate`). Kernel `[kh, kw, C, m]`; output
 * channel `c·m + q` as in PyTorch.
 */
export class DepthwiseConv2d extends ConvBase {
  static className = 'DepthwiseConv2d';
  readonly depthMultiplier: number;

  constructor(args: DepthwiseConv2dArgs) {
    const r = resolveDepthwiseConv2dArgs(args);
    super(args, r);
    this.depthMultiplier = r.depthMultiplier;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const c = nhwcShape(inputShape, this.name)[3];
    if (c == null) throw new Error(`layer ${this.name}: the channel axis must be known`);
    const [kh, kw] = this.kernelSize;
    const m = this.depthMultiplier;
    this.addConvWeights({
      kernelShape: [kh, kw, c, m],
      fanOut: c * m * kh * kw,
      outChannels: c * m,
    });
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [n, h, w, c] = nhwcShape(inputShape, this.name);
    return [
      n ?? null,
      ...this.outputSpatialSize(h ?? null, w ?? null),
      c == null ? null : c * this.depthMultiplier,
    ];
  }

  protected override convolve(
    x: tf.Tensor4D,
    kernel: tf.Tensor4D,
    pad: ExplicitPadding,
    dilation: [number, number],
  ): tf.Tensor4D {
    return tf.depthwiseConv2d(x, kernel, this.stride, pad, 'NHWC', dilation);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), depthMultiplier: this.depthMultiplier };
  }
}
