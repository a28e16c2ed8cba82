import * as tfl from '@tensorflow/tfjs-layers';
import { BatchNorm2d } from '../layers/batch-norm2d.js';
import type { IntPair } from '../layers/common.js';
import { Conv2d } from '../layers/conv2d.js';

export type NormKind = 'bn' | null;
export type ActKind = 'relu' | null;

export interface ConvModuleOptions {
  /** Module path, e.g. `backbone.stem.0`; layers are `${name}.conv`, `.bn`, `.activate`. */
  name: string;
  filters: number;
  kernelSize: IntPair;
  stride?: IntPair;
  padding?: IntPair;
  dilation?: IntPair;
  norm?: NormKind;
  act?: ActKind;
  /** BatchNorm always uses running statistics (mmseg `norm_eval`). */
  normEval?: boolean;
  /** Seed of the conv's kaiming initializer. */
  seed?: number;
}

export const DEFAULT_CONV_MODULE_OPTIONS = {
  stride: 1,
  padding: 0,
  dilation: 1,
  norm: 'bn',
  act: 'relu',
  normEval: false,
} as const;

export const NORM_KINDS: readonly NormKind[] = ['bn', null];
export const ACT_KINDS: readonly ActKind[] = ['relu', null];

export type ResolvedConvModuleOptions = Required<Omit<ConvModuleOptions, 'seed'>> & {
  seed: number | undefined;
};

export function resolveConvModuleOptions(options: ConvModuleOptions): ResolvedConvModuleOptions {
  if (typeof options.name !== 'string' || options.name.length === 0) {
    throw new Error(
      `convModule: name must be a non-empty string, got ${JSON.stringify(options.name)}`,
    );
  }
  const norm = options.norm === undefined ? DEFAULT_CONV_MODULE_OPTIONS.norm : options.norm;
  const act = options.act === undefined ? DEFAULT_CONV_MODULE_OPTIONS.act : options.act;
  if (!NORM_KINDS.includes(norm)) {
    throw new Error(
      `convModule ${options.name}: norm must be one of 'bn', null; got ${JSON.stringify(norm)}`,
    );
  }
  if (!ACT_KINDS.includes(act)) {
    throw new Error(
      `convModule ${options.name}: act must be one of 'relu', null; got ${JSON.stringify(act)}`,
    );
  }
  return {
    name: options.name,
    filters: options.filters,
    kernelSize: options.kernelSize,
    stride: options.stride ?? DEFAULT_CONV_MODULE_OPTIONS.stride,
    padding: options.padding ?? DEFAULT_CONV_MODULE_OPTIONS.padding,
    dilation: options.dilation ?? DEFAULT_CONV_MODULE_OPTIONS.dilation,
    norm,
    act,
    normEval: options.normEval ?? DEFAULT_CONV_MODULE_OPTIONS.normEval,
    seed: options.seed,
  };
}

/**
 * mmcv `ConvModule` (conv → BN → ReLU) for the functional API. Layer names mirror the PyTorch
 * module paths: `${name}.conv` (bias only without norm), `${name}.bn`, `${name}.activate`.
 */
export function convModule(
  options: ConvModuleOptions,
): (x: tfl.SymbolicTensor) => tfl.SymbolicTensor {
  const o = resolveConvModuleOptions(options);
  return (x) => {
    let y = new Conv2d({
      name: `${o.name}.conv`,
      filters: o.filters,
      kernelSize: o.kernelSize,
      stride: o.stride,
      padding: o.padding,
      dilation: o.dilation,
      useBias: o.norm == null,
      seed: o.seed,
    }).apply(x) as tfl.SymbolicTensor;
    if (o.norm === 'bn') {
      y = new BatchNorm2d({ name: `${o.name}.bn`, normEval: o.normEval }).apply(
        y,
      ) as tfl.SymbolicTensor;
    }
    if (o.act === 'relu') {
      y = tfl.layers.reLU({ name: `${o.name}.activate` }).apply(y) as tfl.SymbolicTensor;
    }
    return y;
  };
}
