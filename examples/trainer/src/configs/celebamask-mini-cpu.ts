import type { TrainConfig } from './types.js';

/**
 * The real-data CPU preset: the thin DeepLabV3+ on the 900 CelebAMask-HQ pairs of
 * `../shared/data/celebamask-mini`, images at 192 px (short side), 160 crops; about an hour
 * on a 2-core CPU with wasm.
 */
export const CELEBAMASK_MINI_CPU_CONFIG: TrainConfig = {
  name: 'celebamask-mini-cpu',
  description:
    'Thin DeepLabV3+ on the 900 real pairs at 192 px with 160 crops; ~1 h on a 2-core CPU',
  model: 'deeplabv3plus_r18-d16-thin',
  numClasses: 19,
  data: {
    batchSize: 8,
    cropSize: [160, 160],
    resizeShort: 192,
    resizeLong: 768,
    ratioRange: [0.75, 1.5],
    catMaxRatio: 0.75,
    flipProb: 0.5,
    photoMetric: true,
    ignoreIndex: 255,
  },
  loss: { classWeights: 'report', reduction: 'mmseg', decodeWeight: 1.0, auxWeight: 0.4 },
  optimizer: { lr: 0.02, momentum: 0.9, weightDecay: 5e-4 },
  schedule: { maxIters: 1_000, power: 0.9, minLr: 1e-4 },
  logEvery: 20,
  checkpointEvery: 250,
  evalEvery: 250,
  seed: 0,
};
