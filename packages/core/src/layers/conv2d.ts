import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  convOutSize,
  deserializeInitializer,
  type Initializer,
  type IntPair,
  type Kwargs,
  kaimingNormalFanOut,
  type LayerArgs,
  nhwcShape,
  oneTensor,
  serializeInitializer,
  toPair,
} from './common.js';
import { reachableConvTaps } from '../ops/conv-taps.js';

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
export class Conv2d extends tfl.layers.Layer {
  static className = 'Conv2d';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly useBias: boolean;
  readonly seed: number | undefined;
  private readonly kernelInit: Initializer | undefined;
  private readonly biasInit: Initializer | undefined;
  kernel: tfl.LayerVariable | null = null;
  bias: tfl.LayerVariable | null = null;

  constructor(args: Conv2dArgs) {
    super(args);
    const r = resolveConv2dArgs(args);
    this.filters = r.filters;
    this.kernelSize = r.kernelSize;
    this.stride = r.stride;
    this.padding = r.padding;
    this.dilation = r.dilation;
    this.useBias = r.useBias;
    this.seed = args.seed ?? undefined;
    this.kernelInit = deserializeInitializer(args.kernelInitializer);
    this.biasInit = deserializeInitializer(args.biasInitializer);
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = nhwcShape(inputShape, this.name);
    const inChannels = shape[3];
    if (inChannels == null) throw new Error(`layer ${this.name}: the channel axis must be known`);
    const [kh, kw] = this.kernelSize;
    this.kernel = this.addWeight(
      'kernel',
      [kh, kw, inChannels, this.filters],
      'float32',
      this.kernelInit ?? kaimingNormalFanOut(this.filters * kh * kw, this.seed),
      undefined,
      true,
    );
    if (this.useBias) {
      this.bias = this.addWeight(
        'bias',
        [this.filters],
        'float32',
        this.biasInit ?? tfl.initializers.zeros(),
        undefined,
        true,
      );
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [n, h, w] = nhwcShape(inputShape, this.name);
    return [
      n ?? null,
      convOutSize(h ?? null, this.kernelSize[0], this.stride[0], this.padding[0], this.dilation[0]),
      convOutSize(w ?? null, this.kernelSize[1], this.stride[1], this.padding[1], this.dilation[1]),
      this.filters,
    ];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      const x = oneTensor(inputs, this.name) as tf.Tensor4D;
      // Taps that only ever read padding are dropped (exact; see cropConvTaps).
      const c = reachableConvTaps(this.kernel!.read() as tf.Tensor4D, {
        inSize: [x.shape[1], x.shape[2]],
        kernelSize: this.kernelSize,
        stride: this.stride,
        padding: this.padding,
        dilation: this.dilation,
      });
      let y = tf.conv2d(x, c.kernel, this.stride, c.pad, 'NHWC', c.dilation);
      if (this.bias != null) y = tf.add(y, this.bias.read());
      return y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(this.kernelInit),
      biasInitializer: serializeInitializer(this.biasInit),
      seed: this.seed ?? null,
    };
  }
}
