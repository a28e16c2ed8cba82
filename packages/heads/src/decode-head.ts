import type { FeatureInfo } from '@facepar/backbones';
import { Conv2d, Dropout2d, tfjsSeed } from '@facepar/core';
import * as tfl from '@tensorflow/tfjs-layers';

export type ST = tfl.SymbolicTensor;

/** Head kinds in the registry; each has a folder (`fcn/`, `aspp/`, `sep-aspp/`). */
export type DecodeHeadType = 'fcn' | 'aspp' | 'sep-aspp';

/** Options every decode head takes (mmseg `BaseDecodeHead`). */
export interface DecodeHeadCommonOptions {
  /** The backbone's features, high to low resolution; channels are derived from it. */
  featureInfo: readonly FeatureInfo[];
  /** Which feature the head reads (negative counts from the end, like Python). */
  inIndex?: number;
  /** Channels of the head's convolutions. */
  channels: number;
  numClasses: number;
  /** Dropout2d rate before the classifier. */
  dropoutRatio?: number;
  /** BatchNorms always use running statistics. */
  normEval?: boolean;
  /** Seed of the initializers (deterministic weights). */
  seed?: number;
}

export interface HeadApplyOptions {
  /** Layer-name prefix: `decode_head`, `auxiliary_head`, ... */
  prefix?: string;
}

/** A built-on-demand decode head: data about it plus a functional `apply`. */
export interface DecodeHead {
  readonly type: DecodeHeadType;
  readonly inIndex: number;
  readonly inChannels: number;
  readonly channels: number;
  readonly numClasses: number;
  /** Reduction (input size / size) of the logits it returns. */
  readonly outputReduction: number;
  /** PyTorch parameter count (conv weights/biases, BN weight/bias; no running stats). */
  readonly paramCount: number;
  /** Builds the head's layers on the backbone features; returns logits (NHWC, no resize). */
  apply(features: ST[], options?: HeadApplyOptions): ST;
}

export const DEFAULT_DECODE_HEAD_OPTIONS = { dropoutRatio: 0.1, normEval: false } as const;

export interface ResolvedCommonHeadOptions {
  featureInfo: FeatureInfo[];
  inIndex: number;
  inChannels: number;
  channels: number;
  numClasses: number;
  dropoutRatio: number;
  normEval: boolean;
  seed: number | undefined;
}

export function checkPositiveInt(value: unknown, what: string, fn: string): number {
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new Error(`${fn}: ${what} must be an integer >= 1, got ${JSON.stringify(value)}`);
  }
  return value as number;
}

/** Resolves a (possibly negative) feature index against `featureInfo`. */
export function resolveFeatureIndex(
  featureInfo: readonly FeatureInfo[],
  index: number,
  what: string,
  fn: string,
): number {
  const n = featureInfo.length;
  const i = index < 0 ? n + index : index;
  if (!Number.isInteger(index) || i < 0 || i >= n) {
    throw new Error(
      `${fn}: ${what} ${index} is out of range; the backbone gives ${n} features (${featureInfo
        .map((f, k) => `${k}: ${f.name}`)
        .join(', ')})`,
    );
  }
  return i;
}

export function resolveCommonHeadOptions(
  o: DecodeHeadCommonOptions,
  fn: string,
  defaultInIndex: number,
): ResolvedCommonHeadOptions {
  if (!Array.isArray(o.featureInfo) || o.featureInfo.length === 0) {
    throw new Error(`${fn}: featureInfo must be the backbone's non-empty featureInfo array`);
  }
  const inIndex = resolveFeatureIndex(o.featureInfo, o.inIndex ?? defaultInIndex, 'inIndex', fn);
  const dropoutRatio = o.dropoutRatio ?? DEFAULT_DECODE_HEAD_OPTIONS.dropoutRatio;
  if (!(typeof dropoutRatio === 'number' && dropoutRatio >= 0 && dropoutRatio < 1)) {
    throw new Error(`${fn}: dropoutRatio must be a number in [0, 1), got ${dropoutRatio}`);
  }
  return {
    featureInfo: o.featureInfo.map((f) => ({ ...f })),
    inIndex,
    inChannels: o.featureInfo[inIndex]!.channels,
    channels: checkPositiveInt(o.channels, 'channels', fn),
    numClasses: checkPositiveInt(o.numClasses, 'numClasses', fn),
    dropoutRatio,
    normEval: o.normEval ?? DEFAULT_DECODE_HEAD_OPTIONS.normEval,
    seed: o.seed,
  };
}

/** Conv (no bias) + BN parameters, as mmcv ConvModule with BN. */
export function convBnParams(cin: number, cout: number, k: number): number {
  return cin * cout * k * k + 2 * cout;
}

/** Depthwise-separable module parameters (depthwise k×k + BN, pointwise 1×1 + BN). */
export function sepConvParams(cin: number, cout: number, k: number): number {
  return cin * k * k + 2 * cin + convBnParams(cin, cout, 1);
}

/** `conv_seg` parameters: 1×1 conv with bias. */
export function clsSegParams(channels: number, numClasses: number): number {
  return channels * numClasses + numClasses;
}

/**
 * mmseg `BaseDecodeHead.cls_seg`: Dropout2d (`${prefix}.dropout`, identity in eval) then the 1×1
 * classifier `${prefix}.conv_seg` with bias, initialised N(0, 0.01) / 0 as mmseg does.
 */
export function clsSeg(
  x: ST,
  o: { prefix: string; numClasses: number; dropoutRatio: number; seed?: number },
): ST {
  let y = x;
  if (o.dropoutRatio > 0) {
    y = new Dropout2d({ name: `${o.prefix}.dropout`, rate: o.dropoutRatio, seed: o.seed }).apply(
      y,
    ) as ST;
  }
  return new Conv2d({
    name: `${o.prefix}.conv_seg`,
    filters: o.numClasses,
    kernelSize: 1,
    useBias: true,
    kernelInitializer: tfl.initializers.randomNormal({
      mean: 0,
      stddev: 0.01,
      seed: tfjsSeed(o.seed),
    }),
    biasInitializer: tfl.initializers.zeros(),
  }).apply(y) as ST;
}

/** Counter-based seeds so that equal-shaped layers get different weights. */
export function seedSequence(seed: number | undefined): () => number | undefined {
  let k = 0;
  return () => (seed == null ? undefined : seed + 1000 * k++);
}

/**
 * A decode head from its resolved options and its body, the layers between the input features
 * and the classifier (mmseg `BaseDecodeHead`: the subclass's `forward`, then `cls_seg`). The
 * body draws its layers' seeds from `seed` first; the classifier takes the next one.
 */
export function defineDecodeHead<R extends ResolvedCommonHeadOptions>(head: {
  type: DecodeHeadType;
  options: R;
  outputReduction: number;
  paramCount: number;
  body: (features: ST[], context: { prefix: string; seed: () => number | undefined }) => ST;
}): DecodeHead & { readonly options: R } {
  const r = head.options;
  return {
    type: head.type,
    options: r,
    inIndex: r.inIndex,
    inChannels: r.inChannels,
    channels: r.channels,
    numClasses: r.numClasses,
    outputReduction: head.outputReduction,
    paramCount: head.paramCount,
    apply(features: ST[], applyOptions: HeadApplyOptions = {}): ST {
      const prefix = applyOptions.prefix ?? 'decode_head';
      const seed = seedSequence(r.seed);
      const y = head.body(features, { prefix, seed });
      return clsSeg(y, {
        prefix,
        numClasses: r.numClasses,
        dropoutRatio: r.dropoutRatio,
        seed: seed(),
      });
    },
  };
}
