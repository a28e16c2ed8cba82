// PyTorch files in the two ResNet-50 layouts users bring (scripts/gen_checkpoint_fixtures.py,
// torch.save from Debian's torch 1.13): mapped by rule, loaded, and checked against PyTorch's
// own features of the same weights.
import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import {
  loadStateDict,
  readPth,
  readSafetensors,
  type TensorEntry,
  toFloat32,
} from '@facepar/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createResNet } from '../resnet/resnet.js';
import {
  backboneCheckpointKey,
  backboneStateDictFromCheckpoint,
  detectCheckpointFormat,
} from './backbone-checkpoint.js';

const bytes = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../fixtures/${name}`, import.meta.url)));
const v1cFile = readPth(bytes('resnet50-v1c-w32.pth'), { source: 'resnet50_v1c.pth' });
const tvFile = readPth(bytes('resnet50-tv-w32.pth'), { source: 'resnet50-0676ba61.pth' });
const golden = readSafetensors(bytes('resnet50-w32-golden.safetensors')).tensors;
const resnet = (arch: string) => createResNet({ arch, widthMultiplier: 1 / 32, outputStride: 32 });

function nhwc(e: TensorEntry): tf.Tensor4D {
  const [n, c, h, w] = e.shape as [number, number, number, number];
  return tf.tidy(() => tf.transpose(tf.tensor4d(toFloat32(e), [n, c, h, w]), [0, 2, 3, 1]));
}

async function expectFeatures(arch: string, tensors: Map<string, TensorEntry>, tag: string) {
  const model = resnet(arch).createModel();
  const report = loadStateDict(model, tensors, { strict: true });
  expect(report).toMatchObject({ missing: [], unexpected: [], mismatched: [] });
  const x = nhwc(golden.get('input')!);
  const feats = model.predict(x) as tf.Tensor4D[];
  for (let i = 0; i < 4; i++) {
    const want = nhwc(golden.get(`${tag}.feat.${i}`)!);
    const err = tf.tidy(() => tf.max(tf.abs(tf.sub(feats[i]!, want))).dataSync()[0]!);
    const scale = tf.tidy(() => tf.max(tf.abs(want)).dataSync()[0]!);
    expect(scale).toBeGreaterThan(0.1);
    expect(err, `${tag}.feat.${i}`).toBeLessThan(1e-4);
    want.dispose();
  }
  tf.dispose([x, ...feats]);
  for (const w of model.weights) w.dispose();
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('backboneStateDictFromCheckpoint', () => {
  it.each([
    [
      "mmcv's open-mmlab://resnet50_v1c (legacy .pth)",
      v1cFile,
      'resnet50-v1c',
      'mmseg-backbone',
      'v1c',
    ],
    ["torchvision's ResNet-50 (zip .pth)", tvFile, 'resnet50-v1b', 'torchvision', 'v1b'],
  ] as const)('maps %s onto %s', async (_name, file, arch, format, tag) => {
    const r = backboneStateDictFromCheckpoint({ tensors: file.tensors, backbone: resnet(arch) });
    expect(r).toMatchObject({
      format,
      dropped: ['fc.weight', 'fc.bias'],
      missing: [],
      unexpected: [],
      mismatched: [],
    });
    expect(r.hint).toBeUndefined();
    expect(r.tensors.size).toBe(file.tensors.size - 2);
    await expectFeatures(arch, r.tensors, tag);
  });

  it('reads the mmcv checkpoint from the legacy format, torchvision from the zip format', () => {
    expect([v1cFile.format, tvFile.format]).toEqual(['legacy', 'zip']);
  });

  it('reports the stem mismatch of torchvision weights on the deep-stem resnet50-v1c, with the fix', () => {
    const r = backboneStateDictFromCheckpoint({
      tensors: tvFile.tensors,
      backbone: resnet('resnet50-v1c'),
    });
    expect(r.missing).toEqual(
      ['stem.0', 'stem.1', 'stem.3', 'stem.4', 'stem.6', 'stem.7'].flatMap((m) =>
        m.endsWith('0') || m.endsWith('3') || m.endsWith('6')
          ? [`${m}.weight`]
          : [`${m}.weight`, `${m}.bias`, `${m}.running_mean`, `${m}.running_var`],
      ),
    );
    expect(r.unexpected).toEqual([
      'conv1.weight',
      'bn1.weight',
      'bn1.bias',
      'bn1.running_mean',
      'bn1.running_var',
      'bn1.num_batches_tracked',
    ]);
    // layer1.0.conv1 takes the stem's 2 channels in both: everything after the stem still fits
    expect(r.mismatched).toEqual([]);
    expect(r.hint).toBe(
      'the checkpoint has a single 7x7 conv1 stem (ResNetV1b, e.g. torchvision) but resnet50-v1c has a 3-conv deep stem: build the backbone as resnet50-v1b to use it whole',
    );
    expect([...r.tensors.keys()].some((k) => k.startsWith('conv1') || k.startsWith('bn1'))).toBe(
      false,
    );
  });

  it('hints at the shortcut variant (v1c weights on a v1d) and lists shape mismatches of another width', () => {
    const d = backboneStateDictFromCheckpoint({
      tensors: v1cFile.tensors,
      backbone: resnet('resnet50-v1d'),
    });
    expect(d.missing).toContain('layer1.0.downsample.2.running_var');
    expect(d.mismatched.map((m) => m.key)).toContain('layer1.0.downsample.1.weight');
    expect(d.hint).toMatch(/strided 1x1 shortcuts .* build the backbone as resnet50-v1c$/);
    const wide = createResNet({ arch: 'resnet50-v1c', widthMultiplier: 1 / 16, outputStride: 32 });
    const w = backboneStateDictFromCheckpoint({ tensors: v1cFile.tensors, backbone: wide });
    expect(w.mismatched[0]).toEqual({
      key: 'stem.0.weight',
      expected: [2, 3, 3, 3],
      got: [1, 3, 3, 3],
    });
    expect(w.tensors.has('stem.0.weight')).toBe(false);
  });

  it('takes the backbone of an mmseg segmentor or mmcls classifier, also under DataParallel', () => {
    const seg = new Map<string, TensorEntry>();
    for (const [k, v] of v1cFile.tensors)
      if (!k.startsWith('fc.')) seg.set(`module.backbone.${k}`, v);
    const head: TensorEntry = {
      dtype: 'F32',
      shape: [19, 16, 1, 1],
      data: new Float32Array(19 * 16),
    };
    seg.set('module.decode_head.conv_seg.weight', head);
    const r = backboneStateDictFromCheckpoint({ tensors: seg, backbone: resnet('resnet50-v1c') });
    expect(r).toMatchObject({
      format: 'mmseg',
      dropped: ['module.decode_head.conv_seg.weight'],
      missing: [],
      unexpected: [],
    });
    const cls = new Map(
      [...seg].filter(([k]) => k.includes('backbone.')).map(([k, v]) => [k.slice(7), v]),
    );
    cls.set('head.fc.weight', head);
    cls.set('neck.x', head);
    expect(detectCheckpointFormat(cls.keys())).toBe('mmcls');
    const c = backboneStateDictFromCheckpoint({ tensors: cls });
    expect(c.dropped).toEqual(['head.fc.weight', 'neck.x']);
    expect(c.tensors.get('stem.0.weight')).toBe(v1cFile.tensors.get('stem.0.weight'));
  });

  it('detects formats and maps keys by rule', () => {
    expect(detectCheckpointFormat(v1cFile.tensors.keys())).toBe('mmseg-backbone');
    expect(detectCheckpointFormat(tvFile.tensors.keys())).toBe('torchvision');
    expect(detectCheckpointFormat(['layer1.0.conv1.weight', 'conv1.weight'])).toBe(
      'mmseg-backbone',
    );
    expect(backboneCheckpointKey('module.backbone.stem.0.weight', 'mmseg')).toBe('stem.0.weight');
    expect(backboneCheckpointKey('fc.bias', 'torchvision')).toBeNull();
    expect(() =>
      backboneStateDictFromCheckpoint({ tensors: new Map(), format: 'timm' as 'mmseg' }),
    ).toThrow('format must be one of auto, mmseg, mmseg-backbone, mmcls, torchvision; got timm');
  });
});
