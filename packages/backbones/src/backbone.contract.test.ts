import '@tensorflow/tfjs-backend-cpu';
import '@facepar/core';
import { describeBackboneContract } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll } from 'vitest';
import { listResNetArchs } from './resnet/resnet-archs.js';
import { createResNet } from './resnet/resnet.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// every registered ResNet, thin (1/16 width) so the whole registry builds in seconds; the
// output strides cover the three settings
const STRIDES = [8, 16, 32] as const;
describeBackboneContract({
  entries: listResNetArchs().map((arch, i) => ({
    name: `${arch} (x1/16, output stride ${STRIDES[i % 3]})`,
    create: () => {
      const net = createResNet({
        arch,
        widthMultiplier: 1 / 16,
        outputStride: STRIDES[i % 3],
        seed: i,
      });
      const model = net.createModel();
      return {
        featureInfo: net.featureInfo,
        model,
        dispose: () => {
          for (const w of model.weights) w.dispose();
        },
      };
    },
  })),
});
