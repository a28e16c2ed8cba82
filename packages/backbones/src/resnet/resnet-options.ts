import { getResNetArch, RESNET_BLOCK_EXPANSION, type ResNetArch } from './resnet-archs.js';

export type OutputStride = 8 | 16 | 32;
export type Quad = [number, number, number, number];

export interface ResNetOptions {
  /** Registry name (`resnet50-v1c`) or an architecture object. */
  arch: string | ResNetArch;
  /** Sets `strides`/`dilations` (mmseg `-d8`: strides 1,2,1,1 and dilations 1,1,2,4). */
  outputStride?: OutputStride;
  /** Stride of each stage's first block; overrides the `outputStride` table. */
  strides?: Quad;
  /** Dilation of each stage; overrides the `outputStride` table. */
  dilations?: Quad;
  /** First block of a dilated stage uses dilation/2 (mmseg `contract_dilation`). */
  contractDilation?: boolean;
  /** Scales every channel count (stem, stages); `max(1, round(c·w))`. */
  widthMultiplier?: number;
  /** -1: none; 0: the stem; k: the stem and stages 1..k (weights not trainable, BN in eval mode). */
  frozenStages?: number;
  /** Every BatchNorm uses its running statistics, also in training (mmseg `norm_eval`). */
  normEval?: boolean;
  /** Stages whose output is returned, ascending. */
  outIndices?: number[];
  inChannels?: number;
  /** Seed of the kaiming initializers (deterministic weights). */
  seed?: number;
}

export const DEFAULT_RESNET_OPTIONS = {
  outputStride: 32,
  contractDilation: true,
  widthMultiplier: 1,
  frozenStages: -1,
  normEval: false,
  outIndices: [0, 1, 2, 3],
  inChannels: 3,
} as const;

/** Strides and dilations per output stride, as mmseg's `-d8` / `-d16` configs set them. */
export const OUTPUT_STRIDE_SETTINGS: Readonly<
  Record<OutputStride, { strides: Quad; dilations: Quad }>
> = {
  32: { strides: [1, 2, 2, 2], dilations: [1, 1, 1, 1] },
  16: { strides: [1, 2, 2, 1], dilations: [1, 1, 1, 2] },
  8: { strides: [1, 2, 1, 1], dilations: [1, 1, 2, 4] },
};

export interface ResolvedResNetOptions {
  arch: ResNetArch;
  strides: Quad;
  dilations: Quad;
  /** Dilation of each stage's first block (after `contractDilation`). */
  firstDilations: Quad;
  contractDilation: boolean;
  widthMultiplier: number;
  frozenStages: number;
  normEval: boolean;
  outIndices: number[];
  inChannels: number;
  seed: number | undefined;
  /** Stem output channels after scaling. */
  stemChannels: number;
  /** 3×3-conv channels ("planes") of each stage after scaling. */
  planes: Quad;
  /** Output channels of each stage. */
  stageChannels: Quad;
  /** Input size / feature size of each stage. */
  reductions: Quad;
  outputStride: number;
}

function scale(c: number, w: number): number {
  return Math.max(1, Math.round(c * w));
}

function checkQuad(value: unknown, what: string, allowed: string): Quad {
  if (
    !Array.isArray(value) ||
    value.length !== 4 ||
    !value.every((v) => Number.isInteger(v) && v >= 1)
  ) {
    throw new Error(`createResNet: ${what} must be ${allowed}, got ${JSON.stringify(value)}`);
  }
  return [...value] as Quad;
}

/** Copies, fills and validates ResNet options without mutating them. */
export function resolveResNetOptions(options: ResNetOptions): ResolvedResNetOptions {
  const arch = typeof options.arch === 'string' ? getResNetArch(options.arch) : options.arch;
  if (arch == null || typeof arch !== 'object') {
    throw new Error(
      `createResNet: arch must be a registry name or a ResNetArch, got ${options.arch}`,
    );
  }
  const os = options.outputStride;
  if (os !== undefined && !(os in OUTPUT_STRIDE_SETTINGS)) {
    throw new Error(`createResNet: outputStride must be one of 8, 16, 32; got ${os}`);
  }
  const table = OUTPUT_STRIDE_SETTINGS[os ?? DEFAULT_RESNET_OPTIONS.outputStride];
  const strides = checkQuad(options.strides ?? table.strides, 'strides', '4 integers >= 1');
  const dilations = checkQuad(options.dilations ?? table.dilations, 'dilations', '4 integers >= 1');
  const contractDilation = options.contractDilation ?? DEFAULT_RESNET_OPTIONS.contractDilation;
  const firstDilations = dilations.map((d) =>
    d > 1 && contractDilation ? Math.floor(d / 2) : d,
  ) as Quad;
  const outputStride = 4 * strides.reduce((a, b) => a * b, 1);
  if (os !== undefined && outputStride !== os) {
    throw new Error(
      `createResNet: strides [${strides}] give output stride ${outputStride}, not the requested outputStride ${os}`,
    );
  }
  strides.forEach((s, i) => {
    if (s > 1 && firstDilations[i]! > 1) {
      throw new Error(
        `createResNet: stage ${i + 1} has stride ${s} and dilation ${firstDilations[i]}; tfjs convolutions take only one of them > 1`,
      );
    }
  });
  const widthMultiplier = options.widthMultiplier ?? DEFAULT_RESNET_OPTIONS.widthMultiplier;
  if (
    !(
      typeof widthMultiplier === 'number' &&
      widthMultiplier > 0 &&
      Number.isFinite(widthMultiplier)
    )
  ) {
    throw new Error(
      `createResNet: widthMultiplier must be a finite number > 0, got ${widthMultiplier}`,
    );
  }
  const frozenStages = options.frozenStages ?? DEFAULT_RESNET_OPTIONS.frozenStages;
  if (!Number.isInteger(frozenStages) || frozenStages < -1 || frozenStages > 4) {
    throw new Error(
      `createResNet: frozenStages must be one of -1, 0, 1, 2, 3, 4; got ${frozenStages}`,
    );
  }
  const normEval = options.normEval ?? DEFAULT_RESNET_OPTIONS.normEval;
  const outIndices = [...(options.outIndices ?? DEFAULT_RESNET_OPTIONS.outIndices)];
  if (
    outIndices.length === 0 ||
    !outIndices.every(
      (v, i) => Number.isInteger(v) && v >= 0 && v <= 3 && (i === 0 || v > outIndices[i - 1]!),
    )
  ) {
    throw new Error(
      `createResNet: outIndices must be ascending distinct stage indices from 0, 1, 2, 3; got ${JSON.stringify(options.outIndices)}`,
    );
  }
  const inChannels = options.inChannels ?? DEFAULT_RESNET_OPTIONS.inChannels;
  if (!Number.isInteger(inChannels) || inChannels < 1) {
    throw new Error(`createResNet: inChannels must be an integer >= 1, got ${inChannels}`);
  }
  const stemChannels = scale(arch.stemChannels, widthMultiplier);
  if (arch.deepStem && stemChannels < 2) {
    throw new Error(
      `createResNet: a deep stem needs >= 2 stem channels; widthMultiplier ${widthMultiplier} gives ${stemChannels}`,
    );
  }
  const expansion = RESNET_BLOCK_EXPANSION[arch.block];
  const planes = [0, 1, 2, 3].map(
    (i) => scale(arch.baseChannels, widthMultiplier) * 2 ** i,
  ) as Quad;
  const stageChannels = planes.map((p) => p * expansion) as Quad;
  const reductions = [0, 0, 0, 0] as Quad;
  let r = 4;
  strides.forEach((s, i) => {
    r *= s;
    reductions[i] = r;
  });
  return {
    arch,
    strides,
    dilations,
    firstDilations,
    contractDilation,
    widthMultiplier,
    frozenStages,
    normEval,
    outIndices,
    inChannels,
    seed: options.seed,
    stemChannels,
    planes,
    stageChannels,
    reductions,
    outputStride,
  };
}
