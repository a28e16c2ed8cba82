import { describe, expect, it } from 'vitest';
import { getResNetArch, listResNetArchs } from './resnet-archs.js';
import { resolveResNetOptions } from './resnet-options.js';
import { countResNetParams } from './resnet-params.js';

const count = (arch: string, extra = {}) =>
  countResNetParams(resolveResNetOptions({ arch, ...extra }));

describe('ResNet registry', () => {
  it('registers 5 depths x 3 stems by name', () => {
    expect(listResNetArchs()).toHaveLength(15);
    expect(getResNetArch('resnet50-v1c')).toMatchObject({
      depth: 50,
      block: 'bottleneck',
      stageBlocks: [3, 4, 6, 3],
      deepStem: true,
      avgDown: false,
    });
    expect(getResNetArch('resnet101-v1d')).toMatchObject({
      stageBlocks: [3, 4, 23, 3],
      avgDown: true,
    });
  });

  it('fails on an unknown name, listing the known ones', () => {
    expect(() => getResNetArch('resnet51-v1c')).toThrow(
      /unknown ResNet architecture 'resnet51-v1c'; known: resnet18-v1b, .*resnet50-v1c/,
    );
  });
});

describe('ResNet parameter arithmetic', () => {
  it('matches PyTorch counts (mmseg ResNetV1c-50: 23,527,264; torchvision backbones without fc)', () => {
    expect(count('resnet50-v1c')).toBe(23_527_264);
    // torchvision resnet18/50/101 totals minus their fc layer (512*1000+1000, 2048*1000+1000)
    expect(count('resnet18-v1b')).toBe(11_689_512 - 513_000);
    expect(count('resnet34-v1b')).toBe(21_797_672 - 513_000);
    expect(count('resnet50-v1b')).toBe(25_557_032 - 2_049_000);
    expect(count('resnet101-v1b')).toBe(44_549_160 - 2_049_000);
    expect(count('resnet152-v1b')).toBe(60_192_808 - 2_049_000);
    // v1d only adds weightless pools
    expect(count('resnet50-v1d')).toBe(23_527_264);
  });

  it('does not depend on strides/dilations, scales with width', () => {
    expect(count('resnet50-v1c', { outputStride: 8 })).toBe(23_527_264);
    // width 1/16 is the golden fixture model's backbone (PyTorch count printed by gen_golden.py)
    // PyTorch counts of the same structures (ref_model.py): width 1/16 is the golden fixture's
    // backbone, ResNet-18 v1c at width 1/4 the demo preset's
    expect(count('resnet50-v1c', { widthMultiplier: 1 / 16 })).toBe(95_074);
    expect(count('resnet18-v1c', { widthMultiplier: 0.25, outputStride: 16 })).toBe(701_720);
  });
});

describe('resolveResNetOptions', () => {
  it('maps output stride 8 to mmseg d8 strides/dilations with contracted first dilation', () => {
    const r = resolveResNetOptions({ arch: 'resnet50-v1c', outputStride: 8 });
    expect(r.strides).toEqual([1, 2, 1, 1]);
    expect(r.dilations).toEqual([1, 1, 2, 4]);
    expect(r.firstDilations).toEqual([1, 1, 1, 2]);
    expect(r.reductions).toEqual([4, 8, 8, 8]);
    expect(r.stageChannels).toEqual([256, 512, 1024, 2048]);
    const r16 = resolveResNetOptions({
      arch: 'resnet18-v1c',
      outputStride: 16,
      contractDilation: false,
    });
    expect(r16.firstDilations).toEqual([1, 1, 1, 2]);
    expect(r16.reductions).toEqual([4, 8, 16, 16]);
    expect(r16.stageChannels).toEqual([64, 128, 256, 512]);
  });

  it('names the bad value and the allowed ones', () => {
    expect(() => resolveResNetOptions({ arch: 'resnet50-v1c', outputStride: 4 as 8 })).toThrow(
      /outputStride must be one of 8, 16, 32; got 4/,
    );
    expect(() => resolveResNetOptions({ arch: 'resnet50-v1c', frozenStages: 5 })).toThrow(
      /frozenStages must be one of -1, 0, 1, 2, 3, 4; got 5/,
    );
    expect(() => resolveResNetOptions({ arch: 'resnet50-v1c', outIndices: [2, 1] })).toThrow(
      /outIndices must be ascending/,
    );
    expect(() =>
      resolveResNetOptions({ arch: 'resnet50-v1c', outputStride: 16, strides: [1, 2, 1, 1] }),
    ).toThrow(/give output stride 8, not the requested outputStride 16/);
    expect(() =>
      resolveResNetOptions({
        arch: 'resnet50-v1c',
        strides: [1, 2, 2, 1],
        dilations: [1, 1, 4, 4],
      }),
    ).toThrow(/stage 3 has stride 2 and dilation 2/);
  });
});
