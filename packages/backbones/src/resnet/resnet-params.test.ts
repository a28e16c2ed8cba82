import '@tensorflow/tfjs-backend-cpu';
import { exportStateDict } from '@facepar/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createResNet } from './resnet.js';
import { countResNetParams, resnetStateDictShapes } from './resnet-params.js';
import { resolveResNetOptions } from './resnet-options.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('resnetStateDictShapes', () => {
  it.each(['resnet18-v1b', 'resnet34-v1c', 'resnet50-v1c', 'resnet50-v1d', 'resnet101-v1b'])(
    '%s: the keys and shapes the built model exports',
    (arch) => {
      const net = createResNet({ arch, widthMultiplier: 1 / 16, outputStride: 8 });
      const model = net.createModel();
      const exported = exportStateDict(model);
      const shapes = resnetStateDictShapes(net.options);
      const sorted = (m: [string, number[]][]) => m.sort(([a], [b]) => (a < b ? -1 : 1));
      expect(sorted([...shapes])).toEqual(sorted([...exported].map(([k, v]) => [k, v.shape])));
      // PyTorch's module order: the stem first, each block's convs before its shortcut
      expect([...shapes.keys()].slice(0, 1)).toEqual([
        net.options.arch.deepStem ? 'stem.0.weight' : 'conv1.weight',
      ]);
      for (const w of model.weights) w.dispose();
    },
  );

  it('gives the report backbone its 23,527,264 parameters', () => {
    expect(countResNetParams(resolveResNetOptions({ arch: 'resnet50-v1c' }))).toBe(23_527_264);
  });
});
