import {
  GlobalAvgPool2d,
  ResizeBilinear,
  convModule,
  depthwiseSeparableConvModule,
} from '@facepar/core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  type DecodeHead,
  type DecodeHeadCommonOptions,
  type ResolvedCommonHeadOptions,
  type ST,
  clsSegParams,
  defineDecodeHead,
  convBnParams,
  resolveCommonHeadOptions,
} from '../decode-head.js';

/** mmseg `ASPPHead`: image pool, one branch per dilation, 3×3 bottleneck, classifier. */
export interface AsppHeadOptions extends DecodeHeadCommonOptions {
  /** Dilation per branch; 1 gives a 1×1 conv, d > 1 a 3×3 conv with padding d. */
  dilations?: number[];
}

export const DEFAULT_ASPP_HEAD_OPTIONS = { inIndex: -1, dilations: [1, 6, 12, 18] } as const;

export interface ResolvedAsppHeadOptions extends ResolvedCommonHeadOptions {
  dilations: number[];
}

export function resolveAsppHeadOptions(
  o: AsppHeadOptions,
  fn = 'createAsppHead',
): ResolvedAsppHeadOptions {
  const common = resolveCommonHeadOptions(o, fn, DEFAULT_ASPP_HEAD_OPTIONS.inIndex);
  const dilations = [...(o.dilations ?? DEFAULT_ASPP_HEAD_OPTIONS.dilations)];
  if (dilations.length === 0 || !dilations.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new Error(
      `${fn}: dilations must be a non-empty list of integers >= 1, got ${JSON.stringify(o.dilations)}`,
    );
  }
  return { ...common, dilations };
}

export function countAsppHeadParams(r: ResolvedAsppHeadOptions): number {
  const { inChannels: cin, channels: ch } = r;
  let n = convBnParams(cin, ch, 1);
  for (const d of r.dilations) n += convBnParams(cin, ch, d === 1 ? 1 : 3);
  n += convBnParams((r.dilations.length + 1) * ch, ch, 3);
  return n + clsSegParams(ch, r.numClasses);
}

/**
 * The ASPP part shared by `ASPPHead` and `DepthwiseSeparableASPPHead`: image pool (global
 * average → 1×1 ConvModule → bilinear back to the feature size), the dilated branches
 * (`aspp_modules.i`), concat and the plain 3×3 ConvModule `bottleneck`.
 */
export function asppBlock(
  x: ST,
  o: Omit<ResolvedAsppHeadOptions, 'seed'> & {
    prefix: string;
    separable: boolean;
    nextSeed: () => number | undefined;
  },
): ST {
  const p = o.prefix;
  let pool = new GlobalAvgPool2d({ name: `${p}.image_pool.0` }).apply(x) as ST;
  pool = convModule({
    name: `${p}.image_pool.1`,
    filters: o.channels,
    kernelSize: 1,
    normEval: o.normEval,
    seed: o.nextSeed(),
  })(pool);
  pool = new ResizeBilinear({ name: `${p}.image_pool.resize` }).apply([pool, x]) as ST;
  const branches = o.dilations.map((d, i) => {
    const name = `${p}.aspp_modules.${i}`;
    if (d === 1) {
      return convModule({
        name,
        filters: o.channels,
        kernelSize: 1,
        normEval: o.normEval,
        seed: o.nextSeed(),
      })(x);
    }
    // DeepLabV3+ makes the dilated 3×3 branches depthwise separable; DeepLabV3 keeps them plain
    const module = o.separable ? depthwiseSeparableConvModule : convModule;
    return module({
      name,
      filters: o.channels,
      kernelSize: 3,
      padding: d,
      dilation: d,
      normEval: o.normEval,
      seed: o.nextSeed(),
    })(x);
  });
  const cat = tfl.layers
    .concatenate({ name: `${p}.aspp_concat`, axis: -1 })
    .apply([pool, ...branches]) as ST;
  return convModule({
    name: `${p}.bottleneck`,
    filters: o.channels,
    kernelSize: 3,
    padding: 1,
    normEval: o.normEval,
    seed: o.nextSeed(),
  })(cat);
}

/** Builds an mmseg `ASPPHead` (DeepLabV3). */
export function createAsppHead(options: AsppHeadOptions): DecodeHead & {
  readonly options: ResolvedAsppHeadOptions;
} {
  const r = resolveAsppHeadOptions(options);
  return defineDecodeHead({
    type: 'aspp',
    options: r,
    outputReduction: r.featureInfo[r.inIndex]!.reduction,
    paramCount: countAsppHeadParams(r),
    body: (features, { prefix, seed }) =>
      asppBlock(features[r.inIndex]!, { ...r, prefix, separable: false, nextSeed: seed }),
  });
}
