import '@tensorflow/tfjs-backend-cpu';
import '@facepar/core';
import { expectNoTensorLeak } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createResNet } from './resnet.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** PyTorch-style count: every weight except BN running statistics. */
function torchParamCount(model: tfl.LayersModel): number {
  return model.weights
    .filter((w) => !/moving_(mean|variance)|running_(mean|var)/.test(w.originalName ?? w.name))
    .reduce((n, w) => n + w.shape.reduce((a, b) => a! * b!, 1)!, 0);
}

function dispose(model: tfl.LayersModel): void {
  for (const w of model.weights) w.dispose();
}

describe('createResNet', () => {
  it.each([
    ['resnet18-v1c', 8, [4, 8, 8, 8], [8, 16, 32, 64]],
    ['resnet50-v1b', 16, [4, 8, 16, 16], [32, 64, 128, 256]],
    ['resnet34-v1d', 32, [4, 8, 16, 32], [8, 16, 32, 64]],
  ] as const)(
    '%s at output stride %i: featureInfo, shapes, parameter count',
    (arch, os, red, ch) => {
      const net = createResNet({ arch, outputStride: os, widthMultiplier: 0.125, seed: 1 });
      expect(net.featureInfo.map((f) => f.reduction)).toEqual(red);
      expect(net.featureInfo.map((f) => f.channels)).toEqual(ch);
      expect(net.featureInfo.map((f) => f.name)).toEqual(['layer1', 'layer2', 'layer3', 'layer4']);
      const model = net.createModel({ inputShape: [65, 66, 3] });
      expect(model.outputs.map((o) => o.shape)).toEqual(
        red.map((r, i) => [null, Math.ceil(65 / r), Math.ceil(66 / r), ch[i]]),
      );
      expect(torchParamCount(model)).toBe(net.paramCount);
      dispose(model);
    },
  );

  it('names layers after the mmseg module paths', () => {
    const v1c = createResNet({ arch: 'resnet50-v1c', widthMultiplier: 0.125 }).createModel();
    const names = v1c.layers.map((l) => l.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'stem.0',
        'stem.1',
        'stem.8',
        'maxpool',
        'layer1.0.conv3',
        'layer1.0.downsample.0',
        'layer1.0.downsample.1',
        'layer4.2.bn3',
      ]),
    );
    dispose(v1c);
    const net = createResNet({ arch: 'resnet18-v1d', widthMultiplier: 0.125 });
    const v1d = net.createModel({ prefix: 'backbone' });
    const dnames = v1d.layers.map((l) => l.name);
    expect(dnames).toEqual(
      expect.arrayContaining(['backbone.layer2.0.downsample.0', 'backbone.layer2.0.downsample.2']),
    );
    // stride-1 shortcut of a basic block with equal channels: no downsample at all
    expect(dnames.some((n) => n.startsWith('backbone.layer1.0.downsample'))).toBe(false);
    dispose(v1d);
  });

  it('freezes the stem and the first stages', () => {
    const model = createResNet({
      arch: 'resnet18-v1c',
      widthMultiplier: 0.125,
      frozenStages: 1,
    }).createModel();
    const trainable = new Set(model.trainableWeights.map((w) => w.originalName.split('/')[0]));
    expect(trainable.has('stem.0')).toBe(false);
    expect(trainable.has('layer1.1.conv2')).toBe(false);
    expect(trainable.has('layer2.0.conv1')).toBe(true);
    dispose(model);
  });

  it('predicts without leaking tensors', async () => {
    const model = createResNet({
      arch: 'resnet18-v1c',
      widthMultiplier: 0.125,
      outIndices: [1, 3],
    }).createModel({ inputShape: [32, 32, 3] });
    const x = tf.randomNormal([1, 32, 32, 3]);
    await expectNoTensorLeak(() => model.predict(x) as tf.Tensor[]);
    x.dispose();
    dispose(model);
  });
});
