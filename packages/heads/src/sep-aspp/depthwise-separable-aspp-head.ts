import { ResizeBilinear, convModule, depthwiseSeparableConvModule } from '@facepar/core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  type AsppHeadOptions,
  type ResolvedAsppHeadOptions,
  asppBlock,
  resolveAsppHeadOptions,
} from '../aspp/aspp-head.js';
import {
  type DecodeHead,
  type ST,
  clsSegParams,
  defineDecodeHead,
  convBnParams,
  resolveFeatureIndex,
  sepConvParams,
} from '../decode-head.js';

/**
 * mmseg `DepthwiseSeparableASPPHead` (DeepLabV3+): ASPP with depthwise-separable dilated
 * branches and a plain 3×3 bottleneck, a 1×1 `c1_bottleneck` on the stride-4 feature, concat
 * with the upsampled ASPP output, two depthwise-separable 3×3 convs, classifier.
 */
export interface DepthwiseSeparableAsppHeadOptions extends AsppHeadOptions {
  /** Feature for the low-level branch (mmseg uses `inputs[0]`). */
  c1InIndex?: number;
  /** Output channels of `c1_bottleneck`; 0 disables the low-level branch. */
  c1Channels?: number;
}

export const DEFAULT_DEPTHWISE_SEPARABLE_ASPP_HEAD_OPTIONS = {
  c1InIndex: 0,
  c1Channels: 48,
} as const;

export interface ResolvedDepthwiseSeparableAsppHeadOptions extends ResolvedAsppHeadOptions {
  c1InIndex: number;
  c1InChannels: number;
  c1Channels: number;
}

export function resolveDepthwiseSeparableAsppHeadOptions(
  o: DepthwiseSeparableAsppHeadOptions,
): ResolvedDepthwiseSeparableAsppHeadOptions {
  const fn = 'createDepthwiseSeparableAsppHead';
  const r = resolveAsppHeadOptions(o, fn);
  const c1InIndex = resolveFeatureIndex(
    r.featureInfo,
    o.c1InIndex ?? DEFAULT_DEPTHWISE_SEPARABLE_ASPP_HEAD_OPTIONS.c1InIndex,
    'c1InIndex',
    fn,
  );
  const c1Channels = o.c1Channels ?? DEFAULT_DEPTHWISE_SEPARABLE_ASPP_HEAD_OPTIONS.c1Channels;
  if (!Number.isInteger(c1Channels) || c1Channels < 0) {
    throw new Error(`${fn}: c1Channels must be an integer >= 0, got ${c1Channels}`);
  }
  return { ...r, c1InIndex, c1InChannels: r.featureInfo[c1InIndex]!.channels, c1Channels };
}

export function countDepthwiseSeparableAsppHeadParams(
  r: ResolvedDepthwiseSeparableAsppHeadOptions,
): number {
  const { inChannels: cin, channels: ch } = r;
  let n = convBnParams(cin, ch, 1);
  for (const d of r.dilations) n += d === 1 ? convBnParams(cin, ch, 1) : sepConvParams(cin, ch, 3);
  n += convBnParams((r.dilations.length + 1) * ch, ch, 3);
  if (r.c1Channels > 0) n += convBnParams(r.c1InChannels, r.c1Channels, 1);
  n += sepConvParams(ch + r.c1Channels, ch, 3) + sepConvParams(ch, ch, 3);
  return n + clsSegParams(ch, r.numClasses);
}

export function createDepthwiseSeparableAsppHead(
  options: DepthwiseSeparableAsppHeadOptions,
): DecodeHead & {
  readonly options: ResolvedDepthwiseSeparableAsppHeadOptions;
} {
  const r = resolveDepthwiseSeparableAsppHeadOptions(options);
  const fi = r.featureInfo;
  return defineDecodeHead({
    type: 'sep-aspp',
    options: r,
    outputReduction: r.c1Channels > 0 ? fi[r.c1InIndex]!.reduction : fi[r.inIndex]!.reduction,
    paramCount: countDepthwiseSeparableAsppHeadParams(r),
    body: (features, { prefix: p, seed }) => {
      let y = asppBlock(features[r.inIndex]!, { ...r, prefix: p, separable: true, nextSeed: seed });
      if (r.c1Channels > 0) {
        const c1 = convModule({
          name: `${p}.c1_bottleneck`,
          filters: r.c1Channels,
          kernelSize: 1,
          normEval: r.normEval,
          seed: seed(),
        })(features[r.c1InIndex]!);
        y = new ResizeBilinear({ name: `${p}.resize_to_c1` }).apply([y, c1]) as ST;
        y = tfl.layers.concatenate({ name: `${p}.c1_concat`, axis: -1 }).apply([y, c1]) as ST;
      }
      for (let i = 0; i < 2; i++) {
        y = depthwiseSeparableConvModule({
          name: `${p}.sep_bottleneck.${i}`,
          filters: r.channels,
          kernelSize: 3,
          padding: 1,
          normEval: r.normEval,
          seed: seed(),
        })(y);
      }
      return y;
    },
  });
}
