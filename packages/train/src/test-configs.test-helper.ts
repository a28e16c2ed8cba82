import { REPORT_CLASS_WEIGHTS } from '@facepar/losses';
import type { TrainConfig } from './config.js';

// The CLI's `report` and `demo` configs, restated for the package's own tests.

/** The report's setup (the CLI's `report` config, restated here to test against). */
export const REPORT: TrainConfig = {
  name: 'report',
  description: 'test',
  model: { name: 'deeplabv3plus_r50-d8' },
  data: {
    batchSize: 8,
    pipeline: {
      resize: { scale: [2048, 512], ratioRange: [0.5, 2] },
      catMaxRatio: 0.75,
      flipProb: 0.5,
      photoMetric: {},
      ignoreIndex: 255,
    },
  },
  loss: { classWeights: REPORT_CLASS_WEIGHTS, reduction: 'mmseg' },
  optimizer: { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 },
  schedule: { maxIters: 40_000, power: 0.9, minLr: 1e-4 },
  logEvery: 50,
  checkpointEvery: 4_000,
  evalEvery: 4_000,
  seed: 0,
};

/** The CLI's demo config (thin DeepLabV3+ on synthetic faces). */
export const DEMO: TrainConfig = {
  name: 'demo',
  description: 'test',
  model: { name: 'deeplabv3plus_r18-d16-thin' },
  data: {
    batchSize: 4,
    pipeline: {
      resize: { scale: [512, 128], ratioRange: [0.75, 1.25] },
      catMaxRatio: 0.75,
      flipProb: 0.5,
      photoMetric: null,
      ignoreIndex: 255,
    },
  },
  loss: { classWeights: null, reduction: 'mmseg' },
  optimizer: { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 },
  schedule: { maxIters: 1000, power: 0.9, minLr: 1e-4 },
  logEvery: 10,
  checkpointEvery: 200,
  evalEvery: 100,
  seed: 0,
};
