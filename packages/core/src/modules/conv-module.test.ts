import '@tensorflow/tfjs-backend-cpu';
import { expectNoTensorLeak } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchNorm2d } from '../layers/batch-norm2d.js';
import type { Conv2d } from '../layers/conv2d.js';
import { DepthwiseConv2d } from '../layers/depthwise-conv2d.js';
import '../layers/register-layers.js';
import '../register.js';
import { convModule } from './conv-module.js';
import { depthwiseSeparableConvModule } from './depthwise-separable-conv-module.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function buildModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [null, null, 3], name: 'input' });
  let x = convModule({
    name: 'backbone.stem.0',
    filters: 4,
    kernelSize: 3,
    stride: 2,
    padding: 1,
    seed: 1,
  })(input);
  x = depthwiseSeparableConvModule({
    name: 'decode_head.aspp_modules.1',
    filters: 5,
    kernelSize: 3,
    padding: 2,
    dilation: 2,
    seed: 2,
  })(x);
  x = convModule({
    name: 'decode_head.conv_seg',
    filters: 2,
    kernelSize: 1,
    norm: null,
    act: null,
  })(x);
  return tfl.model({ inputs: input, outputs: x, name: 'tiny' });
}

describe('convModule / depthwiseSeparableConvModule', () => {
  it('create layers named after the mmcv module paths, with the right classes', () => {
    const model = buildModel();
    const layers = model.layers.map((l) => [l.name, l.getClassName()]);
    expect(layers).toEqual([
      ['input', 'InputLayer'],
      ['backbone.stem.0.conv', 'Conv2d'],
      ['backbone.stem.0.bn', 'BatchNorm2d'],
      ['backbone.stem.0.activate', 'ReLU'],
      ['decode_head.aspp_modules.1.depthwise_conv.conv', 'DepthwiseConv2d'],
      ['decode_head.aspp_modules.1.depthwise_conv.bn', 'BatchNorm2d'],
      ['decode_head.aspp_modules.1.depthwise_conv.activate', 'ReLU'],
      ['decode_head.aspp_modules.1.pointwise_conv.conv', 'Conv2d'],
      ['decode_head.aspp_modules.1.pointwise_conv.bn', 'BatchNorm2d'],
      ['decode_head.aspp_modules.1.pointwise_conv.activate', 'ReLU'],
      ['decode_head.conv_seg.conv', 'Conv2d'],
    ]);
    const stem = model.getLayer('backbone.stem.0.conv') as Conv2d;
    expect([stem.useBias, stem.stride, stem.padding]).toEqual([false, [2, 2], [1, 1]]);
    const dw = model.getLayer('decode_head.aspp_modules.1.depthwise_conv.conv') as DepthwiseConv2d;
    expect([dw.useBias, dw.dilation, dw.padding]).toEqual([false, [2, 2], [2, 2]]);
    expect((model.getLayer('decode_head.conv_seg.conv') as Conv2d).useBias).toBe(true);
    expect(model.getLayer('backbone.stem.0.bn')).toBeInstanceOf(BatchNorm2d);
    const y = model.predict(tf.zeros([1, 9, 7, 3])) as tf.Tensor;
    expect(y.shape).toEqual([1, 5, 4, 2]);
    y.dispose();
    model.dispose();
  });

  it('ConvModule output equals relu(bn_eval(conv(x))) computed by hand', () => {
    const input = tfl.input({ shape: [3, 3, 1] });
    const out = convModule({ name: 'm', filters: 1, kernelSize: 3, padding: 1 })(input);
    const model = tfl.model({ inputs: input, outputs: out });
    const conv = model.getLayer('m.conv');
    const bn = model.getLayer('m.bn');
    const k = tf.ones([3, 3, 1, 1]);
    conv.setWeights([k]);
    // gamma 2, beta -5, mean 1, var 4 - eps: y = 2 * (s - 1) / 2 - 5 = s - 6
    const bnW = [tf.tensor1d([2]), tf.tensor1d([-5]), tf.tensor1d([1]), tf.tensor1d([4 - 1e-5])];
    bn.setWeights(bnW);
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const y = model.predict(x) as tf.Tensor;
    // 3x3 box sums with zero padding: corners 12,16,24,28; edges 21,27,33,39; centre 45
    const sums = [12, 21, 16, 27, 45, 33, 24, 39, 28];
    const expected = sums.map((s) => Math.max(0, s - 6));
    const got = Array.from(y.dataSync());
    for (let i = 0; i < 9; i++) expect(Math.abs(got[i]! - expected[i]!)).toBeLessThan(1e-4);
    tf.dispose([k, ...bnW, x, y]);
    model.dispose();
  });

  it('model save/load round trip through tf.io.withSaveHandler / tf.io.fromMemory', async () => {
    const model = buildModel();
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    expect(JSON.stringify(artifacts!.modelTopology)).toContain('"class_name":"Conv2d"');
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
    expect(loaded.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    expect(loaded.getLayer('decode_head.aspp_modules.1.depthwise_conv.conv')).toBeInstanceOf(
      DepthwiseConv2d,
    );
    const x = tf.randomNormal([1, 6, 5, 3], 0, 1, 'float32', 5);
    const a = model.predict(x) as tf.Tensor;
    const b = loaded.predict(x) as tf.Tensor;
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([x, a, b]);
    model.dispose();
    loaded.dispose();
  });

  it('a training step through the model does not leak and updates BN stats', async () => {
    const model = buildModel();
    const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 9);
    const bn = model.getLayer('backbone.stem.0.bn') as BatchNorm2d;
    const before = Array.from(bn.movingMean!.read().dataSync());
    const vars = model.trainableWeights
      .filter((w) => !w.name.includes('depthwise_conv.conv'))
      .map((w) => w.read() as tf.Variable);
    await expectNoTensorLeak(
      () =>
        tf.variableGrads(
          () => tf.sum(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar,
          vars,
        ),
      { label: 'model train step' },
    );
    expect(Array.from(bn.movingMean!.read().dataSync())).not.toEqual(before);
    x.dispose();
    model.dispose();
  });

  it('trains through the standard tfjs-layers API (compile + trainOnBatch)', async () => {
    const model = buildModel();
    model.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });
    const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 11);
    const target = tf.zeros([2, 3, 3, 2]);
    const bn = model.getLayer('decode_head.aspp_modules.1.pointwise_conv.bn') as BatchNorm2d;
    const before = Array.from(bn.movingVariance!.read().dataSync());
    const losses: number[] = [];
    for (let i = 0; i < 4; i++) losses.push((await model.trainOnBatch(x, target)) as number);
    expect(losses[3]!).toBeLessThan(losses[0]!);
    expect(Array.from(bn.movingVariance!.read().dataSync())).not.toEqual(before);
    tf.dispose([x, target]);
    model.dispose();
  });

  it('rejects unknown norm / act kinds with the allowed values', () => {
    expect(() =>
      convModule({ name: 'm', filters: 1, kernelSize: 1, norm: 'gn' as unknown as 'bn' }),
    ).toThrow(/norm must be one of 'bn', null; got "gn"/);
    expect(() =>
      convModule({ name: 'm', filters: 1, kernelSize: 1, act: 'gelu' as unknown as 'relu' }),
    ).toThrow(/act must be one of 'relu', null; got "gelu"/);
    expect(() => convModule({ name: '', filters: 1, kernelSize: 1 })).toThrow(/name/);
  });
});
