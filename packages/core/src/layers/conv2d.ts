import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ExplicitPadding } from '../ops/padding.js';
import { type Initializer, type IntPair, type LayerArgs, nhwcShape, toPair } from './common.js';
import { ConvBase } from './conv-base.js';

export interface Conv2dArgs extends LayerArgs {
  /** Output channels. */
  filters: number;
  kernelSize: IntPair;
  stride?: IntPair;
  /** PyTorch symmetric zero padding: an int or `[h, w]`. */
  padding?: IntPair;
  dilation?: IntPair;
  useBias?: boolean;
  /** Default: mmcv `kaiming_init` (normal, std sqrt(2 / fan_out), fan_out = filters·kh·kw). */
  kernelInitializer?: Initializer;
  /** Default: zeros. */
  biasInitializer?: Initializer;
  /** Seed of the default kernel initializer (deterministic weights). */
  seed?: number;
}

export const DEFAULT_CONV2D_ARGS = { stride: 1, padding: 0, dilation: 1, useBias: true } as const;

export interface ResolvedConv2dArgs {
  filters: number;
  kernelSize: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  useBias: boolean;
}

/** Fills defaults and validates conv arguments (shared by Conv2d and DepthwiseConv2d). */
export function resolveConvGeometry(
  args: { kernelSize: IntPair; stride?: IntPair; padding?: IntPair; dilation?: IntPair },
  layer: string,
): Omit<ResolvedConv2dArgs, 'filters' | 'useBias'> {
  if (args.kernelSize == null) throw new Error(`${layer}: kernelSize is required`);
  const kernelSize = toPair(args.kernelSize, `${layer}: kernelSize`, 1);
  const stride = toPair(args.stride ?? DEFAULT_CONV2D_ARGS.stride, `${layer}: stride`, 1);
  const padding = toPair(args.padding ?? DEFAULT_CONV2D_ARGS.padding, `${layer}: padding`, 0);
  const dilation = toPair(args.dilation ?? DEFAULT_CONV2D_ARGS.dilation, `${layer}: dilation`, 1);
  // tfjs' conv kernels reject this combination (PyTorch allows it).
  if (stride.some((s) => s > 1) && dilation.some((d) => d > 1)) {
    throw new Error(
      `${layer}: stride [${stride}] and dilation [${dilation}] cannot both be > 1 (tfjs supports only one of them)`,
    );
  }
  return { kernelSize, stride, padding, dilation };
}

export function resolveConv2dArgs(args: Conv2dArgs): ResolvedConv2dArgs {
  const layer = `Conv2d ${args.name ?? ''}`.trim();
  if (!Number.isInteger(args.filters) || args.filters < 1) {
    throw new Error(`${layer}: filters must be an integer >= 1, got ${args.filters}`);
  }
  return {
    filters: args.filters,
    ...resolveConvGeometry(args, layer),
    useBias: args.useBias ?? DEFAULT_CONV2D_ARGS.useBias,
  };
}

/**
 * 2-D convolution with PyTorch semantics (symmetric explicit padding, dilation), NHWC.
 * Kernel layout HWIO `[kh, kw, in, out]`; weights `kernel` and `bias`.
 * Uses unfused `tf.conv2d` because the fused op's gradient rejects dilation > 1.
 */
export class Conv2d extends ConvBase {
  static className = 'Conv2d';
  readonly filters: number;

  constructor(args: Conv2dArgs) {
    const r = resolveConv2dArgs(args);
    super(args, r);
    this.filters = r.filters;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const inChannels = nhwcShape(inputShape, this.name)[3];
    if (inChannels == null) throw new Error(`layer ${this.name}: the channel axis must be known`);
    const [kh, kw] = this.kernelSize;
    this.addConvWeights({
      kernelShape: [kh, kw, inChannels, this.filters],
      fanOut: this.filters * kh * kw,
      outChannels: this.filters,
    });
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [n, h, w] = nhwcShape(inputShape, this.name);
    return [n ?? null, ...this.outputSpatialSize(h ?? null, w ?? null), this.filters];
  }

  protected override convolve(
    x: tf.Tensor4D,
    kernel: tf.Tensor4D,
    pad: ExplicitPadding,
    dilation: [number, number],
  ): tf.Tensor4D {
    return tf.conv2d(x, kernel, this.stride, pad, 'NHWC', dilation);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), filters: this.filters };
  }
}
