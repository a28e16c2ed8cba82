/** Residual block kinds: mmseg `BasicBlock` (expansion 1) and `Bottleneck` (expansion 4). */
export type ResNetBlockKind = 'basic' | 'bottleneck';
/** Stem variants: torchvision 7×7 (`v1b`), deep 3×3 stem (`v1c`), deep stem + avg-pool shortcut (`v1d`). */
export type ResNetStem = 'v1b' | 'v1c' | 'v1d';
export type ResNetDepth = 18 | 34 | 50 | 101 | 152;

/** One registered ResNet architecture (typed data, timm-style entry). */
export interface ResNetArch {
  name: string;
  depth: ResNetDepth;
  block: ResNetBlockKind;
  /** Blocks per stage. */
  stageBlocks: readonly [number, number, number, number];
  stem: ResNetStem;
  /** Three 3×3 convs (`stem.0..8`) instead of the 7×7 `conv1`. */
  deepStem: boolean;
  /** Shortcut downsampling by AvgPool then a stride-1 1×1 conv (`downsample.0` is the pool). */
  avgDown: boolean;
  /** Stem output channels before width scaling. */
  stemChannels: number;
  /** Channels of stage 1's 3×3 convs before width scaling (doubled per stage). */
  baseChannels: number;
}

export const RESNET_BLOCK_EXPANSION: Readonly<Record<ResNetBlockKind, number>> = {
  basic: 1,
  bottleneck: 4,
};

export const RESNET_DEPTHS: Readonly<
  Record<ResNetDepth, { block: ResNetBlockKind; stageBlocks: [number, number, number, number] }>
> = {
  18: { block: 'basic', stageBlocks: [2, 2, 2, 2] },
  34: { block: 'basic', stageBlocks: [3, 4, 6, 3] },
  50: { block: 'bottleneck', stageBlocks: [3, 4, 6, 3] },
  101: { block: 'bottleneck', stageBlocks: [3, 4, 23, 3] },
  152: { block: 'bottleneck', stageBlocks: [3, 8, 36, 3] },
};

export const RESNET_STEMS: Readonly<Record<ResNetStem, { deepStem: boolean; avgDown: boolean }>> = {
  v1b: { deepStem: false, avgDown: false },
  v1c: { deepStem: true, avgDown: false },
  v1d: { deepStem: true, avgDown: true },
};

function makeArchs(): Record<string, ResNetArch> {
  const out: Record<string, ResNetArch> = {};
  for (const depth of [18, 34, 50, 101, 152] as const) {
    for (const stem of ['v1b', 'v1c', 'v1d'] as const) {
      const name = `resnet${depth}-${stem}`;
      out[name] = {
        name,
        depth,
        ...RESNET_DEPTHS[depth],
        stem,
        ...RESNET_STEMS[stem],
        stemChannels: 64,
        baseChannels: 64,
      };
    }
  }
  return out;
}

/** Every registered ResNet: `resnet{18,34,50,101,152}-{v1b,v1c,v1d}`. */
export const RESNET_ARCHS: Readonly<Record<string, Readonly<ResNetArch>>> = Object.freeze(
  makeArchs(),
);

/** Names of the registered ResNets, in registry order. */
export function listResNetArchs(): string[] {
  return Object.keys(RESNET_ARCHS);
}

/** Looks an architecture up by name; an unknown name throws listing the known ones. */
export function getResNetArch(name: string): ResNetArch {
  const arch = RESNET_ARCHS[name];
  if (arch == null) {
    throw new Error(
      `unknown ResNet architecture '${name}'; known: ${listResNetArchs().join(', ')}`,
    );
  }
  return { ...arch, stageBlocks: [...arch.stageBlocks] as ResNetArch['stageBlocks'] };
}
