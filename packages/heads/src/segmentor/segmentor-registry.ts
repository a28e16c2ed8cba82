import type { ResNetOptions } from '@facepar/backbones';
import { IMAGENET_MEAN, IMAGENET_STD } from '@facepar/image';
import type { AsppHeadOptions } from '../aspp/aspp-head.js';
import type { DecodeHeadCommonOptions } from '../decode-head.js';
import type { FcnHeadOptions } from '../fcn/fcn-head.js';
import type { DepthwiseSeparableAsppHeadOptions } from '../sep-aspp/depthwise-separable-aspp-head.js';

/** A head as data: its kind plus the options its builder takes (minus what the segmentor derives). */
type HeadData<T> = Omit<T, 'featureInfo' | 'numClasses' | 'seed' | 'normEval'>;
export type DecodeHeadSpec =
  | ({ type: 'fcn' } & HeadData<FcnHeadOptions>)
  | ({ type: 'aspp' } & HeadData<AsppHeadOptions>)
  | ({ type: 'sep-aspp' } & HeadData<DepthwiseSeparableAsppHeadOptions>);

export type AuxiliaryHeadSpec = DecodeHeadSpec & {
  /** Weight of this head's loss in the total (mmseg `loss_decode.loss_weight`). */
  lossWeight: number;
};

/**
 * The test pipeline: mmseg's test `Resize(scale=(long, short), keep_ratio=True)` (absent: the
 * image as given), then whole-image or sliding-window inference (mmseg `test_cfg`).
 */
export type TestModeSpec = (
  | { mode: 'whole' }
  | { mode: 'slide'; crop: [number, number]; stride: [number, number] }
) & { scale?: [number, number] };

/** One registered segmentor (an mmseg config as typed data). */
export interface SegmentorSpec {
  name: string;
  /** Backbone options without `seed`/`normEval` overrides, e.g. `{ arch: 'resnet50-v1c', outputStride: 8 }`. */
  backbone: Omit<ResNetOptions, 'seed'>;
  /** The decode head; its loss weighs `lossWeight` (default 1, mmseg `loss_weight=1.0`). */
  decodeHead: DecodeHeadSpec & { lossWeight?: number };
  auxiliaryHeads: AuxiliaryHeadSpec[];
  numClasses: number;
  /** Per-channel RGB mean/std on the 0..255 scale (mmseg `data_preprocessor`). */
  mean: [number, number, number];
  std: [number, number, number];
  /** Training crop `[h, w]` (mmseg `crop_size`: the data pipeline's crop and the batch size). */
  cropSize: [number, number];
  test: TestModeSpec;
  /** One line for listings. */
  description: string;
}

type Common = Pick<DecodeHeadCommonOptions, 'channels'>;

/** ImageNet-pretrained backbones: inputs normalised with the ImageNet mean/std. */
function imagenetNormalization(): Pick<SegmentorSpec, 'mean' | 'std'> {
  return {
    mean: [...IMAGENET_MEAN] as [number, number, number],
    std: [...IMAGENET_STD] as [number, number, number],
  };
}

const DEEPLABV3PLUS_R50_D8: SegmentorSpec = {
  name: 'deeplabv3plus_r50-d8',
  description:
    'mmseg deeplabv3plus_r50-d8: ResNetV1c-50 at output stride 8, DepthwiseSeparableASPPHead, FCN auxiliary head',
  backbone: { arch: 'resnet50-v1c', outputStride: 8, contractDilation: true },
  decodeHead: {
    type: 'sep-aspp',
    inIndex: 3,
    channels: 512,
    dilations: [1, 12, 24, 36],
    c1InIndex: 0,
    c1Channels: 48,
    dropoutRatio: 0.1,
    lossWeight: 1,
  },
  auxiliaryHeads: [
    {
      type: 'fcn',
      inIndex: 2,
      channels: 256,
      numConvs: 1,
      concatInput: false,
      dropoutRatio: 0.1,
      lossWeight: 0.4,
    },
  ],
  numClasses: 19,
  ...imagenetNormalization(),
  cropSize: [512, 512],
  test: { mode: 'whole' },
};

const DEEPLABV3PLUS_R18_D16_THIN: SegmentorSpec = {
  name: 'deeplabv3plus_r18-d16-thin',
  description:
    'CPU demo preset: ResNet-18 v1c at width 1/4 and output stride 16, 64-channel DeepLabV3+ head, FCN auxiliary head',
  backbone: {
    arch: 'resnet18-v1c',
    outputStride: 16,
    contractDilation: true,
    widthMultiplier: 0.25,
  },
  decodeHead: {
    type: 'sep-aspp',
    inIndex: 3,
    channels: 64,
    dilations: [1, 6, 12, 18],
    c1InIndex: 0,
    c1Channels: 12,
    dropoutRatio: 0.1,
    lossWeight: 1,
  },
  auxiliaryHeads: [
    {
      type: 'fcn',
      inIndex: 2,
      channels: 32,
      numConvs: 1,
      concatInput: false,
      dropoutRatio: 0.1,
      lossWeight: 0.4,
    },
  ],
  numClasses: 19,
  ...imagenetNormalization(),
  cropSize: [96, 96],
  test: { mode: 'whole' },
};

/** Every registered segmentor by name. */
export const SEGMENTOR_REGISTRY: Readonly<Record<string, Readonly<SegmentorSpec>>> = Object.freeze({
  [DEEPLABV3PLUS_R50_D8.name]: DEEPLABV3PLUS_R50_D8,
  [DEEPLABV3PLUS_R18_D16_THIN.name]: DEEPLABV3PLUS_R18_D16_THIN,
});

export function listSegmentors(): string[] {
  return Object.keys(SEGMENTOR_REGISTRY);
}

/**
 * A deep copy of a registered spec; `<name>@x<factor>` is the registered spec at that width
 * (`scaleSegmentorSpec`, e.g. `deeplabv3plus_r50-d8@x0.03125`, the reduced-width parity
 * fixtures' model). An unknown name throws listing the known ones.
 */
export function getSegmentorSpec(name: string): SegmentorSpec {
  const scaled = /^(.+)@x(\d+(?:\.\d+)?(?:e-?\d+)?)$/.exec(name);
  if (scaled) return scaleSegmentorSpec(getSegmentorSpec(scaled[1]!), Number(scaled[2]));
  const spec = SEGMENTOR_REGISTRY[name];
  if (spec == null) {
    throw new Error(
      `unknown segmentor '${name}'; known: ${listSegmentors().join(', ')} (each also as <name>@x<width factor>)`,
    );
  }
  return structuredClone(spec) as SegmentorSpec;
}

/**
 * The same structure with every channel count scaled by `factor` (`max(1, round(c·f))`):
 * backbone width, head channels, `c1Channels`. Dilations, strides and kernels stay. Used for
 * reduced-width parity fixtures and small experiments.
 */
export function scaleSegmentorSpec(spec: SegmentorSpec, factor: number): SegmentorSpec {
  if (!(typeof factor === 'number' && factor > 0 && Number.isFinite(factor))) {
    throw new Error(`scaleSegmentorSpec: factor must be a finite number > 0, got ${factor}`);
  }
  const s = (c: number) => Math.max(1, Math.round(c * factor));
  const head = <T extends DecodeHeadSpec & Common>(h: T): T => {
    const out = { ...h, channels: s(h.channels) };
    if (out.type === 'sep-aspp' && out.c1Channels !== undefined) out.c1Channels = s(out.c1Channels);
    return out;
  };
  const copy = structuredClone(spec) as SegmentorSpec;
  return {
    ...copy,
    name: `${spec.name}@x${factor}`,
    backbone: { ...copy.backbone, widthMultiplier: (copy.backbone.widthMultiplier ?? 1) * factor },
    decodeHead: head(copy.decodeHead),
    auxiliaryHeads: copy.auxiliaryHeads.map((h) => head(h)),
  };
}
