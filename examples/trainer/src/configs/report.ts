import type { TrainConfig } from './types.js';

/**
 * The report's setup (mmseg `deeplabv3plus_r50-d8_4xb2-40k` on CelebAMask-HQ): weighted CE with
 * the report's class weights (decode ×1.0, aux ×0.4, mmseg reduction), SGD lr 0.01 momentum
 * 0.9 weight decay 5e-4 on all parameters, poly LR (power 0.9) to 1e-4 over 40k iterations,
 * 512 crops with the mmseg pipeline, mIoU every 4k iterations, best checkpoint kept.
 */
export const REPORT_CONFIG: TrainConfig = {
  name: 'report',
  description: "The report's DeepLabV3+ R50-D8 setup: 40k iterations at 512x512 (GPU scale)",
  model: 'deeplabv3plus_r50-d8',
  numClasses: 19,
  data: {
    // mmseg 4xb2: 4 GPUs x 2 images
    batchSize: 8,
    cropSize: [512, 512],
    resizeShort: 512,
    resizeLong: 2048,
    ratioRange: [0.5, 2.0],
    catMaxRatio: 0.75,
    flipProb: 0.5,
    photoMetric: true,
    ignoreIndex: 255,
  },
  loss: { classWeights: 'report', reduction: 'mmseg', decodeWeight: 1.0, auxWeight: 0.4 },
  optimizer: { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 },
  schedule: { maxIters: 40_000, power: 0.9, minLr: 1e-4 },
  logEvery: 50,
  checkpointEvery: 4_000,
  evalEvery: 4_000,
  seed: 0,
};
