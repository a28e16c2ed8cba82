import { REPORT_CLASS_WEIGHTS } from '@facepar/losses';
import type { TrainConfig } from '@facepar/train';

// The named training setups as typed data (`facepar train --config <name>`). Each model's spec
// supplies the crop (unless `model.cropSize` overrides it), mean/std and head loss weights.

/** mmseg's face-parsing pipeline steps every config shares: RandomCrop(cat_max_ratio), flip. */
const FACE = { catMaxRatio: 0.75, flipProb: 0.5, ignoreIndex: 255 } as const;
const SGD = { momentum: 0.9, weightDecay: 5e-4 } as const;
const LOSS = { classWeights: REPORT_CLASS_WEIGHTS, reduction: 'mmseg' } as const;

/** mmseg `deeplabv3plus_r50-d8_4xb2-40k` on CelebAMask-HQ with the report's class weights. */
export const REPORT_CONFIG: TrainConfig = {
  name: 'report',
  description: "The report's DeepLabV3+ R50-D8 setup: 40k iterations at 512x512 (GPU scale)",
  model: { name: 'deeplabv3plus_r50-d8' },
  data: {
    batchSize: 8, // mmseg 4xb2: 4 GPUs x 2 images
    pipeline: { ...FACE, resize: { scale: [2048, 512], ratioRange: [0.5, 2.0] }, photoMetric: {} },
  },
  loss: LOSS,
  optimizer: { ...SGD, lr: 0.01 },
  schedule: { maxIters: 40_000, power: 0.9, minLr: 1e-4 },
  logEvery: 50,
  checkpointEvery: 4_000,
  evalEvery: 4_000,
  seed: 0,
};

/** `facepar demo` on 128-px synthetic faces; `maxIters` caps the count fitted to the budget. */
export const DEMO_CONFIG: TrainConfig = {
  name: 'demo',
  description:
    'Thin DeepLabV3+ (ResNet-18 x0.25, OS16) on synthetic 128-px faces; minutes on a CPU',
  model: { name: 'deeplabv3plus_r18-d16-thin' },
  data: {
    batchSize: 4,
    pipeline: {
      ...FACE,
      resize: { scale: [512, 128], ratioRange: [0.75, 1.25] },
      photoMetric: null,
    },
  },
  loss: LOSS,
  optimizer: { ...SGD, lr: 0.05 },
  schedule: { maxIters: 1_000, power: 0.9, minLr: 1e-4 },
  logEvery: 10,
  checkpointEvery: 200,
  evalEvery: 100,
  seed: 0,
};

/** The real-data CPU preset: the 900 pairs of `celebamask-mini` at 192 px, 160 crops (~1 h). */
export const CELEBAMASK_MINI_CPU_CONFIG: TrainConfig = {
  name: 'celebamask-mini-cpu',
  description:
    'Thin DeepLabV3+ on the 900 real pairs at 192 px with 160 crops; ~1 h on a 2-core CPU',
  model: { name: 'deeplabv3plus_r18-d16-thin', cropSize: [160, 160] },
  data: {
    batchSize: 8,
    pipeline: { ...FACE, resize: { scale: [768, 192], ratioRange: [0.75, 1.5] }, photoMetric: {} },
  },
  loss: LOSS,
  optimizer: { ...SGD, lr: 0.02 },
  schedule: { maxIters: 1_000, power: 0.9, minLr: 1e-4 },
  logEvery: 20,
  checkpointEvery: 250,
  evalEvery: 250,
  seed: 0,
};

/** Every named config, by name. */
export const TRAIN_CONFIGS: Readonly<Record<string, Readonly<TrainConfig>>> = Object.freeze({
  [REPORT_CONFIG.name]: REPORT_CONFIG,
  [DEMO_CONFIG.name]: DEMO_CONFIG,
  [CELEBAMASK_MINI_CPU_CONFIG.name]: CELEBAMASK_MINI_CPU_CONFIG,
});

export function listTrainConfigs(): string[] {
  return Object.keys(TRAIN_CONFIGS);
}

/** A deep copy of a named config; an unknown name throws listing the known ones. */
export function getTrainConfig(name: string): TrainConfig {
  const config = TRAIN_CONFIGS[name];
  if (!config) {
    throw new Error(`unknown config '${name}'; known configs: ${listTrainConfigs().join(', ')}`);
  }
  return structuredClone(config) as TrainConfig;
}
