import * as tfl from '@tensorflow/tfjs-layers';
import { BatchNorm2d } from '../layers/batch-norm2d.js';
import type { IntPair } from '../layers/common.js';
import { DepthwiseConv2d } from '../layers/depthwise-conv2d.js';
import { convModule } from './conv-module.js';

export interface DepthwiseSeparableConvModuleOptions {
  /** Module path; layers `${name}.depthwise_conv.{conv,bn,activate}`, `${name}.pointwise_conv.{…}`. */
  name: string;
  filters: number;
  kernelSize: IntPair;
  stride?: IntPair;
  padding?: IntPair;
  dilation?: IntPair;
  normEval?: boolean;
  seed?: number;
}

export const DEFAULT_DEPTHWISE_SEPARABLE_CONV_MODULE_OPTIONS = {
  stride: 1,
  padding: 0,
  dilation: 1,
  normEval: false,
} as const;

/**
 * mmcv `DepthwiseSeparableConvModule`: depthwise conv → BN → ReLU, then 1×1 conv → BN → ReLU.
 */
export function depthwiseSeparableConvModule(
  options: DepthwiseSeparableConvModuleOptions,
): (x: tfl.SymbolicTensor) => tfl.SymbolicTensor {
  const d = DEFAULT_DEPTHWISE_SEPARABLE_CONV_MODULE_OPTIONS;
  if (typeof options.name !== 'string' || options.name.length === 0) {
    throw new Error(
      `depthwiseSeparableConvModule: name must be a non-empty string, got ${JSON.stringify(options.name)}`,
    );
  }
  const name = options.name;
  const normEval = options.normEval ?? d.normEval;
  return (x) => {
    const dwName = `${name}.depthwise_conv`;
    let y = new DepthwiseConv2d({
      name: `${dwName}.conv`,
      kernelSize: options.kernelSize,
      stride: options.stride ?? d.stride,
      padding: options.padding ?? d.padding,
      dilation: options.dilation ?? d.dilation,
      useBias: false,
      seed: options.seed,
    }).apply(x) as tfl.SymbolicTensor;
    y = new BatchNorm2d({ name: `${dwName}.bn`, normEval }).apply(y) as tfl.SymbolicTensor;
    y = tfl.layers.reLU({ name: `${dwName}.activate` }).apply(y) as tfl.SymbolicTensor;
    return convModule({
      name: `${name}.pointwise_conv`,
      filters: options.filters,
      kernelSize: 1,
      normEval,
      seed: options.seed == null ? undefined : options.seed + 1,
    })(y);
  };
}
