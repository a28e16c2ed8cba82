import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { reachableConvTaps } from '../ops/conv-taps.js';
import type { ExplicitPadding } from '../ops/padding.js';
import {
  convOutSize,
  deserializeInitializer,
  type Initializer,
  type Kwargs,
  kaimingNormalFanOut,
  type LayerArgs,
  oneTensor,
  serializeInitializer,
} from './common.js';

/** Geometry and weight options shared by Conv2d and DepthwiseConv2d, already resolved. */
export interface ResolvedConvBaseArgs {
  kernelSize: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  useBias: boolean;
}

/**
 * What Conv2d and DepthwiseConv2d share (tfjs-layers' `BaseConv` pattern): PyTorch geometry,
 * kernel and bias weights, output size, the padding-only-tap cropping in `call`, and the
 * common config. A subclass names its op (`convolve`) and its kernel shape.
 */
export abstract class ConvBase extends tfl.layers.Layer {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly useBias: boolean;
  readonly seed: number | undefined;
  protected readonly kernelInit: Initializer | undefined;
  protected readonly biasInit: Initializer | undefined;
  kernel: tfl.LayerVariable | null = null;
  bias: tfl.LayerVariable | null = null;

  protected constructor(
    args: LayerArgs & {
      kernelInitializer?: Initializer;
      biasInitializer?: Initializer;
      seed?: number;
    },
    resolved: ResolvedConvBaseArgs,
  ) {
    super(args);
    this.kernelSize = resolved.kernelSize;
    this.stride = resolved.stride;
    this.padding = resolved.padding;
    this.dilation = resolved.dilation;
    this.useBias = resolved.useBias;
    this.seed = args.seed ?? undefined;
    this.kernelInit = deserializeInitializer(args.kernelInitializer);
    this.biasInit = deserializeInitializer(args.biasInitializer);
  }

  /** The op itself, on the (possibly cropped) kernel with its reduced padding and dilation. */
  protected abstract convolve(
    x: tf.Tensor4D,
    kernel: tf.Tensor4D,
    pad: ExplicitPadding,
    dilation: [number, number],
  ): tf.Tensor4D;

  /**
   * Adds `kernel` (default init: mmcv `kaiming_init` with PyTorch's fan_out) and, when
   * `useBias`, a zero-initialised `bias` of `outChannels`.
   */
  protected addConvWeights(options: {
    kernelShape: [number, number, number, number];
    fanOut: number;
    outChannels: number;
  }): void {
    this.kernel = this.addWeight(
      'kernel',
      options.kernelShape,
      'float32',
      this.kernelInit ?? kaimingNormalFanOut(options.fanOut, this.seed),
      undefined,
      true,
    );
    if (this.useBias) {
      this.bias = this.addWeight(
        'bias',
        [options.outChannels],
        'float32',
        this.biasInit ?? tfl.initializers.zeros(),
        undefined,
        true,
      );
    }
    this.built = true;
  }

  /** Output height and width for an input of `h`×`w` (null when unknown). */
  protected outputSpatialSize(h: number | null, w: number | null): [number | null, number | null] {
    return [
      convOutSize(h, this.kernelSize[0], this.stride[0], this.padding[0], this.dilation[0]),
      convOutSize(w, this.kernelSize[1], this.stride[1], this.padding[1], this.dilation[1]),
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
      let y: tf.Tensor = this.convolve(x, c.kernel, c.pad, c.dilation);
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
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(this.kernelInit),
      biasInitializer: serializeInitializer(this.biasInit),
      seed: this.seed ?? null,
    };
  }
}
