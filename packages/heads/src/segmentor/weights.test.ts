import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { readSafetensors, type TensorEntry, writeSafetensors } from '@facepar/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { getSegmentorSpec, type SegmentorSpec, scaleSegmentorSpec } from './segmentor-registry.js';
import { createSegmentor } from './segmentor.js';
import { detectCheckpointFormat, exportSegmentorWeights, loadSegmentorWeights } from './weights.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const fixture = readSafetensors(
  new Uint8Array(readFileSync(new URL('../fixtures/deeplab-w16.safetensors', import.meta.url))),
).tensors;
const spec16 = scaleSegmentorSpec(getSegmentorSpec('deeplabv3plus_r50-d8'), 1 / 16);

function bytes(e: TensorEntry): Buffer {
  return Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength);
}

describe('mmseg EncoderDecoder weights', () => {
  it('import then export is bit-exact, also through a safetensors file', () => {
    const seg = createSegmentor({ model: spec16, numClasses: 8, seed: 1 });
    const report = loadSegmentorWeights(seg, fixture);
    expect(report.format).toBe('mmseg');
    // 424 keys in the file, one num_batches_tracked (ignored) per BN: 70
    expect(report.loaded).toHaveLength(354);
    expect([...fixture.keys()].filter((k) => k.endsWith('num_batches_tracked'))).toHaveLength(70);
    const out = readSafetensors(writeSafetensors(exportSegmentorWeights(seg))).tensors;
    const expected = [...fixture.keys()].sort();
    expect([...out.keys()].sort()).toEqual(expected);
    for (const k of expected.filter((k) => !k.endsWith('num_batches_tracked'))) {
      const a = fixture.get(k)!;
      const b = out.get(k)!;
      expect(b.shape, k).toEqual(a.shape);
      expect(bytes(b).equals(bytes(a)), k).toBe(true);
    }
    seg.dispose();
  });

  it('strict mode lists missing, unexpected and mismatched keys; non-strict loads the rest', () => {
    const seg = createSegmentor({ model: spec16, numClasses: 8, seed: 1 });
    const broken = new Map(fixture);
    broken.delete('decode_head.conv_seg.bias');
    broken.set('decode_head.extra.weight', fixture.get('decode_head.conv_seg.bias')!);
    broken.set('auxiliary_head.conv_seg.weight', fixture.get('decode_head.conv_seg.weight')!);
    const before = seg.model.getLayer('backbone.stem.0').getWeights()[0]!;
    expect(() => loadSegmentorWeights(seg, broken)).toThrow(
      /missing keys \(1\): decode_head.conv_seg.bias; unexpected keys \(1\): decode_head.extra.weight; mismatched \(1\): auxiliary_head.conv_seg.weight \(shape \[8, 32, 1, 1\] in file, model needs \[8, 16, 1, 1\]\)/,
    );
    // strict failure changes nothing
    const after = seg.model.getLayer('backbone.stem.0').getWeights()[0]!;
    expect(after.dataSync()).toEqual(before.dataSync());
    const report = loadSegmentorWeights(seg, broken, { strict: false });
    expect(report).toMatchObject({
      missing: ['decode_head.conv_seg.bias'],
      unexpected: ['decode_head.extra.weight'],
    });
    expect(report.loaded).toHaveLength(354 - 2);
    expect(report.mismatched.map((m) => m.key)).toEqual(['auxiliary_head.conv_seg.weight']);
    const w = seg.model.getLayer('decode_head.conv_seg').getWeights()[0]!;
    // OIHW [8,32,1,1] -> HWIO [1,1,32,8]: element (o=1, i=0) sits at flat index 1
    expect(w.dataSync()[1]).toBe(
      (fixture.get('decode_head.conv_seg.weight')!.data as Float32Array)[32],
    );
    seg.dispose();
  });
});

describe('backbone checkpoints', () => {
  it('loads an mmseg ResNetV1c checkpoint (stem.*, layer*) into the backbone only', () => {
    const backboneOnly = new Map(
      [...fixture].filter(([k]) => k.startsWith('backbone.')).map(([k, v]) => [k.slice(9), v]),
    );
    // mmcv's open-mmlab://resnet50_v1c also holds its ImageNet classifier, under DataParallel here
    for (const [k, v] of [...backboneOnly]) {
      backboneOnly.delete(k);
      backboneOnly.set(`module.${k}`, v);
    }
    backboneOnly.set('module.fc.weight', {
      dtype: 'F32',
      shape: [10, 128],
      data: new Float32Array(1280),
    });
    expect(detectCheckpointFormat(backboneOnly.keys())).toBe('mmseg-backbone');
    const seg = createSegmentor({ model: spec16, numClasses: 8, seed: 2 });
    const report = loadSegmentorWeights(seg, backboneOnly);
    expect(report).toMatchObject({ format: 'mmseg-backbone', missing: [], unexpected: [] });
    const a = seg.model.getLayer('backbone.stem.0').getWeights()[0]!;
    // OIHW [2,3,3,3]: weight[o=0,i=0,0,0] is HWIO element 0
    expect(a.dataSync()[0]).toBe((fixture.get('backbone.stem.0.weight')!.data as Float32Array)[0]);
    seg.dispose();
  });

  it('loads an mmcls classifier checkpoint (backbone.*, head.fc.*) into the backbone only', () => {
    const mmcls = new Map([...fixture].filter(([k]) => k.startsWith('backbone.')));
    mmcls.set('head.fc.weight', {
      dtype: 'F32',
      shape: [1000, 128],
      data: new Float32Array(128000),
    });
    expect(detectCheckpointFormat(mmcls.keys())).toBe('mmcls');
    const seg = createSegmentor({ model: spec16, numClasses: 8, seed: 3 });
    const report = loadSegmentorWeights(seg, mmcls);
    expect(report).toMatchObject({ format: 'mmcls', missing: [], unexpected: [], mismatched: [] });
    expect(report.loaded).toHaveLength(
      [...mmcls.keys()].filter(
        (k) => k.startsWith('backbone.') && !k.endsWith('num_batches_tracked'),
      ).length,
    );
    seg.dispose();
  });

  it('loads torchvision ResNet names (conv1, bn1, downsample.0/1), dropping fc', () => {
    const base = getSegmentorSpec('deeplabv3plus_r18-d16-thin');
    const spec: SegmentorSpec = { ...base, backbone: { ...base.backbone, arch: 'resnet18-v1b' } };
    const src = createSegmentor({ model: spec, seed: 11 });
    const sd = new Map(
      [...exportSegmentorWeights(src)]
        .filter(([k]) => k.startsWith('backbone.'))
        .map(([k, v]) => [k.slice(9), v] as const),
    );
    expect([...sd.keys()]).toEqual(
      expect.arrayContaining([
        'conv1.weight',
        'bn1.running_var',
        'layer2.0.downsample.0.weight',
        'layer2.0.downsample.1.bias',
      ]),
    );
    sd.set('fc.weight', { dtype: 'F32', shape: [1000, 128], data: new Float32Array(128000) });
    sd.set('fc.bias', { dtype: 'F32', shape: [1000], data: new Float32Array(1000) });
    const dst = createSegmentor({ model: spec, seed: 12 });
    const report = loadSegmentorWeights(dst, sd);
    expect(report).toMatchObject({
      format: 'torchvision',
      missing: [],
      unexpected: [],
      mismatched: [],
    });
    const back = exportSegmentorWeights(dst);
    for (const [k, v] of sd) {
      if (k.startsWith('fc.') || k.endsWith('num_batches_tracked')) continue;
      expect(bytes(back.get(`backbone.${k}`)!).equals(bytes(v)), k).toBe(true);
    }
    src.dispose();
    dst.dispose();
  });
});
