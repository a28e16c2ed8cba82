import '@tensorflow/tfjs-backend-cpu';
import '@facepar/core';
import { expectNoTensorLeak } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { countModelParamsByPart } from '../segmentor/segmentor.js';
import { createAsppHead } from './aspp-head.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const R50_D8 = [
  { name: 'layer1', channels: 256, reduction: 4 },
  { name: 'layer2', channels: 512, reduction: 8 },
  { name: 'layer3', channels: 1024, reduction: 8 },
  { name: 'layer4', channels: 2048, reduction: 8 },
];

describe('createAsppHead (mmseg ASPPHead)', () => {
  it("counts deeplabv3_r50-d8's decode head as PyTorch does (ref_model.ASPPHead: 42,221,075)", () => {
    const head = createAsppHead({
      featureInfo: R50_D8,
      channels: 512,
      dilations: [1, 12, 24, 36],
      numClasses: 19,
    });
    expect(head.inIndex).toBe(3);
    expect(head.inChannels).toBe(2048);
    expect(head.paramCount).toBe(42_221_075);
  });

  it('builds plain dilated branches; built parameters equal the arithmetic; no leaks', async () => {
    const info = R50_D8.map((f) => ({ ...f, channels: f.channels / 32 }));
    const head = createAsppHead({
      featureInfo: info,
      channels: 8,
      dilations: [1, 2, 3],
      numClasses: 4,
      seed: 1,
    });
    const inputs = info.map((f) => tfl.input({ shape: [9, 9, f.channels] }));
    const out = head.apply(inputs, { prefix: 'decode_head' });
    expect(out.shape).toEqual([null, 9, 9, 4]);
    const model = tfl.model({ inputs, outputs: out });
    expect(model.getLayer('decode_head.aspp_modules.2.conv').getWeights()[0]!.shape).toEqual([
      3, 3, 64, 8,
    ]);
    expect(countModelParamsByPart(model)).toEqual({ decode_head: head.paramCount });
    const xs = info.map((f) => tf.randomNormal([2, 9, 9, f.channels]));
    await expectNoTensorLeak(() => model.predict(xs) as tf.Tensor);
    tf.dispose(xs);
    for (const w of model.weights) w.dispose();
  });

  it('names the bad option and the allowed values', () => {
    expect(() =>
      createAsppHead({ featureInfo: R50_D8, channels: 8, numClasses: 2, inIndex: 4 }),
    ).toThrow(
      /inIndex 4 is out of range; the backbone gives 4 features \(0: layer1, 1: layer2, 2: layer3, 3: layer4\)/,
    );
    expect(() =>
      createAsppHead({ featureInfo: R50_D8, channels: 8, numClasses: 2, dilations: [0] }),
    ).toThrow(/dilations must be a non-empty list of integers >= 1, got \[0\]/);
    expect(() =>
      createAsppHead({ featureInfo: R50_D8, channels: 8, numClasses: 2, dropoutRatio: 1 }),
    ).toThrow(/dropoutRatio must be a number in \[0, 1\), got 1/);
  });
});
