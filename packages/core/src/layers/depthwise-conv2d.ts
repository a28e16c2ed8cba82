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
} from './common.js';
import { reachableConvTaps } from '../ops/conv-taps.js';
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
export class DepthwiseConv2d extends tfl.layers.Layer {
  static className = 'DepthwiseConv2d';
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly depthMultiplier: number;
  readonly useBias: boolean;
  readonly seed: number | undefined;
  private readonly kernelInit: Initializer | undefined;
  private readonly biasInit: Initializer | undefined;
  kernel: tfl.LayerVariable | null = null;
  bias: tfl.LayerVariable | null = null;

  constructor(args: DepthwiseConv2dArgs) {
    super(args);
    const r = resolveDepthwiseConv2dArgs(args);
    this.kernelSize = r.kernelSize;
    this.stride = r.stride;
    this.padding = r.padding;
    this.dilation = r.dilation;
    this.depthMultiplier = r.depthMultiplier;
    this.useBias = r.useBias;
    this.seed = args.seed ?? undefined;
    this.kernelInit = deserializeInitializer(args.kernelInitializer);
    this.biasInit = deserializeInitializer(args.biasInitializer);
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = nhwcShape(inputShape, this.name);
    const c = shape[3];
    if (c == null) throw new Error(`layer ${this.name}: the channel axis must be known`);
    const [kh, kw] = this.kernelSize;
    const m = this.depthMultiplier;
    this.kernel = this.addWeight(
      'kernel',
      [kh, kw, c, m],
      'float32',
      this.kernelInit ?? kaimingNormalFanOut(c * m * kh * kw, this.seed),
      undefined,
      true,
    );
    if (this.useBias) {
      this.bias = this.addWeight(
        'bias',
        [c * m],
        'float32',
        this.biasInit ?? tfl.initializers.zeros(),
        undefined,
        true,
      );
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [n, h, w, c] = nhwcShape(inputShape, this.name);
    return [
      n ?? null,
      convOutSize(h ?? null, this.kernelSize[0], this.stride[0], this.padding[0], this.dilation[0]),
      convOutSize(w ?? null, this.kernelSize[1], this.stride[1], this.padding[1], this.dilation[1]),
      c == null ? null : c * this.depthMultiplier,
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
      let y = tf.depthwiseConv2d(x, c.kernel, this.stride, c.pad, 'NHWC', c.dilation);
      if (this.bias != null) y = tf.add(y, this.bias.read());
      return y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      depthMultiplier: this.depthMultiplier,
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(this.kernelInit),
      biasInitializer: serializeInitializer(this.biasInit),
      seed: this.seed ?? null,
    };
  }
}
