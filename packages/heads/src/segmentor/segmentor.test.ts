import '@tensorflow/tfjs-backend-cpu';
import '@facepar/core';
import { expectNoTensorLeak } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { getSegmentorSpec, listSegmentors, scaleSegmentorSpec } from './segmentor-registry.js';
import { countModelParamsByPart, countSegmentorParams, createSegmentor } from './segmentor.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('segmentor registry', () => {
  it('lists the report model and the demo preset; unknown names list the known ones', () => {
    expect(listSegmentors()).toEqual(['deeplabv3plus_r50-d8', 'deeplabv3plus_r18-d16-thin']);
    expect(() => getSegmentorSpec('deeplabv3_r50-d8')).toThrow(
      /unknown segmentor 'deeplabv3_r50-d8'; known: deeplabv3plus_r50-d8, deeplabv3plus_r18-d16-thin/,
    );
    const spec = getSegmentorSpec('deeplabv3plus_r50-d8');
    expect(spec.auxiliaryHeads.map((a) => [a.type, a.inIndex, a.channels, a.lossWeight])).toEqual([
      ['fcn', 2, 256, 0.4],
    ]);
  });

  it("counts deeplabv3plus_r50-d8's parameters by part as the report does", () => {
    expect(countSegmentorParams({ model: 'deeplabv3plus_r50-d8' })).toEqual({
      backbone: 23_527_264,
      decode_head: 17_697_923,
      auxiliary_head: 2_364_691,
      total: 43_589_878,
      totalWithoutAux: 41_225_187,
    });
    // classifier size follows numClasses: 512·k + k and 256·k + k
    const c8 = countSegmentorParams({ model: 'deeplabv3plus_r50-d8', numClasses: 8 });
    expect(c8.total).toBe(43_589_878 - (513 + 257) * 11);
  });

  it('counts the 1/16-width fixture model as PyTorch does (ref_model.py)', () => {
    const spec = scaleSegmentorSpec(getSegmentorSpec('deeplabv3plus_r50-d8'), 1 / 16);
    expect(countSegmentorParams({ model: spec, numClasses: 8 })).toMatchObject({
      backbone: 95_074,
      decode_head: 74_495,
      auxiliary_head: 9_384,
      total: 178_953,
    });
  });
});

describe('createSegmentor', () => {
  it('builds the full deeplabv3plus_r50-d8 whose weights count 43,589,878 by part (about 5 s)', () => {
    const seg = createSegmentor({ model: 'deeplabv3plus_r50-d8' });
    expect(countModelParamsByPart(seg.model)).toEqual({
      backbone: 23_527_264,
      decode_head: 17_697_923,
      auxiliary_head: 2_364_691,
    });
    seg.dispose();
  });

  it('builds the demo preset: outputs at stride 4 (decode) and 16 (aux), counts match the model', () => {
    const seg = createSegmentor({
      model: 'deeplabv3plus_r18-d16-thin',
      inputShape: [64, 64, 3],
      seed: 3,
    });
    expect(seg.model.outputs.map((o) => o.shape)).toEqual([
      [null, 16, 16, 19],
      [null, 4, 4, 19],
    ]);
    const byPart = countModelParamsByPart(seg.model);
    expect(byPart).toEqual({
      backbone: seg.paramCounts.backbone,
      decode_head: seg.paramCounts.decode_head,
      auxiliary_head: seg.paramCounts.auxiliary_head,
    });
    expect(seg.paramCounts.backbone).toBe(701_720);
    seg.dispose();
  });

  it('names layers by the mmseg module paths', () => {
    const spec = scaleSegmentorSpec(getSegmentorSpec('deeplabv3plus_r50-d8'), 1 / 16);
    const seg = createSegmentor({ model: spec, numClasses: 8 });
    const names = new Set(seg.model.layers.map((l) => l.name));
    for (const n of [
      'backbone.stem.0',
      'backbone.layer4.2.conv3',
      'decode_head.image_pool.1.conv',
      'decode_head.aspp_modules.0.conv',
      'decode_head.aspp_modules.1.depthwise_conv.conv',
      'decode_head.aspp_modules.3.pointwise_conv.bn',
      'decode_head.bottleneck.conv',
      'decode_head.c1_bottleneck.conv',
      'decode_head.sep_bottleneck.1.pointwise_conv.conv',
      'decode_head.conv_seg',
      'auxiliary_head.convs.0.conv',
      'auxiliary_head.conv_seg',
    ]) {
      expect(names.has(n), n).toBe(true);
    }
    seg.dispose();
  });

  it('predicts without leaking tensors', async () => {
    const seg = createSegmentor({ model: 'deeplabv3plus_r18-d16-thin', withAuxiliary: false });
    const x = tf.randomNormal([1, 48, 40, 3]);
    const y = seg.model.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([1, 12, 10, 19]);
    y.dispose();
    await expectNoTensorLeak(() => seg.model.predict(x) as tf.Tensor);
    x.dispose();
    seg.dispose();
  });
});
