import type { TrainConfig } from './types.js';

/**
 * `facepar demo`: the thin CPU preset on 128-px synthetic faces, minutes on a 2-core CPU.
 * `maxIters` is the ceiling; the demo command fits the count to its time budget.
 */
export const DEMO_CONFIG: TrainConfig = {
  name: 'demo',
  description:
    'Thin DeepLabV3+ (ResNet-18 x0.25, OS16) on synthetic 128-px faces; minutes on a CPU',
  model: 'deeplabv3plus_r18-d16-thin',
  numClasses: 19,
  data: {
    batchSize: 4,
    cropSize: [96, 96],
    resizeShort: 128,
    resizeLong: 512,
    ratioRange: [0.75, 1.25],
    catMaxRatio: 0.75,
    flipProb: 0.5,
    photoMetric: false,
    ignoreIndex: 255,
  },
  loss: { classWeights: 'report', reduction: 'mmseg', decodeWeight: 1.0, auxWeight: 0.4 },
  optimizer: { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 },
  schedule: { maxIters: 1_000, power: 0.9, minLr: 1e-4 },
  logEvery: 10,
  checkpointEvery: 200,
  evalEvery: 100,
  seed: 0,
};
