import { convModule } from '@facepar/core';
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

/** mmseg `FCNHead`: `numConvs` 3×3 ConvModules, optional concat with the input, classifier. */
export interface FcnHeadOptions extends DecodeHeadCommonOptions {
  numConvs?: number;
  kernelSize?: number;
  dilation?: number;
  /** Concatenate the input with the convs' output, then one more ConvModule (`conv_cat`). */
  concatInput?: boolean;
}

export const DEFAULT_FCN_HEAD_OPTIONS = {
  inIndex: -1,
  numConvs: 2,
  kernelSize: 3,
  dilation: 1,
  concatInput: true,
} as const;

export interface ResolvedFcnHeadOptions extends ResolvedCommonHeadOptions {
  numConvs: number;
  kernelSize: number;
  dilation: number;
  concatInput: boolean;
}

export function resolveFcnHeadOptions(o: FcnHeadOptions): ResolvedFcnHeadOptions {
  const fn = 'createFcnHead';
  const common = resolveCommonHeadOptions(o, fn, DEFAULT_FCN_HEAD_OPTIONS.inIndex);
  const numConvs = o.numConvs ?? DEFAULT_FCN_HEAD_OPTIONS.numConvs;
  if (!Number.isInteger(numConvs) || numConvs < 0) {
    throw new Error(`${fn}: numConvs must be an integer >= 0, got ${numConvs}`);
  }
  const kernelSize = o.kernelSize ?? DEFAULT_FCN_HEAD_OPTIONS.kernelSize;
  if (!Number.isInteger(kernelSize) || kernelSize < 1 || kernelSize % 2 === 0) {
    throw new Error(`${fn}: kernelSize must be an odd integer >= 1, got ${kernelSize}`);
  }
  const dilation = o.dilation ?? DEFAULT_FCN_HEAD_OPTIONS.dilation;
  if (!Number.isInteger(dilation) || dilation < 1) {
    throw new Error(`${fn}: dilation must be an integer >= 1, got ${dilation}`);
  }
  if (numConvs === 0 && common.inChannels !== common.channels) {
    throw new Error(
      `${fn}: numConvs 0 needs channels equal to the input's ${common.inChannels}, got ${common.channels}`,
    );
  }
  return {
    ...common,
    numConvs,
    kernelSize,
    dilation,
    concatInput: o.concatInput ?? DEFAULT_FCN_HEAD_OPTIONS.concatInput,
  };
}

export function countFcnHeadParams(r: ResolvedFcnHeadOptions): number {
  let n = 0;
  for (let i = 0; i < r.numConvs; i++) {
    n += convBnParams(i === 0 ? r.inChannels : r.channels, r.channels, r.kernelSize);
  }
  if (r.concatInput) n += convBnParams(r.inChannels + r.channels, r.channels, r.kernelSize);
  return n + clsSegParams(r.channels, r.numClasses);
}

/** Builds an mmseg `FCNHead` (the auxiliary head of DeepLabV3+: one conv, no concat). */
export function createFcnHead(options: FcnHeadOptions): DecodeHead & {
  readonly options: ResolvedFcnHeadOptions;
} {
  const r = resolveFcnHeadOptions(options);
  return defineDecodeHead({
    type: 'fcn',
    options: r,
    outputReduction: r.featureInfo[r.inIndex]!.reduction,
    paramCount: countFcnHeadParams(r),
    body: (features, { prefix: p, seed }) => {
      const x = features[r.inIndex]!;
      const pad = Math.floor(r.kernelSize / 2) * r.dilation;
      let y = x;
      for (let i = 0; i < r.numConvs; i++) {
        y = convModule({
          name: `${p}.convs.${i}`,
          filters: r.channels,
          kernelSize: r.kernelSize,
          padding: pad,
          dilation: r.dilation,
          normEval: r.normEval,
          seed: seed(),
        })(y);
      }
      if (r.concatInput) {
        y = tfl.layers.concatenate({ name: `${p}.concat`, axis: -1 }).apply([x, y]) as ST;
        y = convModule({
          name: `${p}.conv_cat`,
          filters: r.channels,
          kernelSize: r.kernelSize,
          padding: Math.floor(r.kernelSize / 2),
          normEval: r.normEval,
          seed: seed(),
        })(y);
      }
      return y;
    },
  });
}
