import '@tensorflow/tfjs-backend-cpu';
import '@facepar/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { countModelParamsByPart } from '../segmentor/segmentor.js';
import { createFcnHead } from './fcn-head.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const R50_D8 = [
  { name: 'layer1', channels: 256, reduction: 4 },
  { name: 'layer2', channels: 512, reduction: 8 },
  { name: 'layer3', channels: 1024, reduction: 8 },
  { name: 'layer4', channels: 2048, reduction: 8 },
];

describe('createFcnHead (mmseg FCNHead)', () => {
  it('counts the DeepLabV3+ auxiliary head (2,364,691) and fcn_r50-d8 decode head (23,605,779) as PyTorch does', () => {
    const aux = createFcnHead({
      featureInfo: R50_D8,
      inIndex: 2,
      channels: 256,
      numConvs: 1,
      concatInput: false,
      numClasses: 19,
    });
    expect(aux.paramCount).toBe(2_364_691);
    expect(aux.outputReduction).toBe(8);
    // mmseg defaults: last feature, two convs, concat_input=True
    expect(createFcnHead({ featureInfo: R50_D8, channels: 512, numClasses: 19 }).paramCount).toBe(
      23_605_779,
    );
  });

  it('builds convs, conv_cat and classifier; counts match; numConvs 0 is identity', () => {
    const info = R50_D8.map((f) => ({ ...f, channels: f.channels / 64 }));
    const head = createFcnHead({
      featureInfo: info,
      channels: 8,
      numClasses: 3,
      dilation: 2,
      seed: 3,
    });
    const inputs = info.map((f) => tfl.input({ shape: [5, 6, f.channels] }));
    const model = tfl.model({ inputs, outputs: head.apply(inputs, { prefix: 'auxiliary_head' }) });
    expect(model.outputs[0]!.shape).toEqual([null, 5, 6, 3]);
    const names = model.layers.map((l) => l.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'auxiliary_head.convs.0.conv',
        'auxiliary_head.convs.1.bn',
        'auxiliary_head.conv_cat.conv',
        'auxiliary_head.conv_seg',
      ]),
    );
    expect(countModelParamsByPart(model)).toEqual({ auxiliary_head: head.paramCount });
    for (const w of model.weights) w.dispose();
    expect(() =>
      createFcnHead({ featureInfo: info, channels: 8, numClasses: 3, numConvs: 0 }),
    ).toThrow(/numConvs 0 needs channels equal to the input's 32, got 8/);
  });
});
