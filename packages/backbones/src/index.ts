export const VERSION = '0.1.0';

export type { Backbone, BackboneApplyOptions, BackboneModelOptions, FeatureInfo } from './types.js';
export {
  RESNET_ARCHS,
  RESNET_BLOCK_EXPANSION,
  RESNET_DEPTHS,
  RESNET_STEMS,
  getResNetArch,
  listResNetArchs,
} from './resnet/resnet-archs.js';
export type {
  ResNetArch,
  ResNetBlockKind,
  ResNetDepth,
  ResNetStem,
} from './resnet/resnet-archs.js';
export {
  DEFAULT_RESNET_OPTIONS,
  OUTPUT_STRIDE_SETTINGS,
  resolveResNetOptions,
} from './resnet/resnet-options.js';
export type {
  OutputStride,
  Quad,
  ResNetOptions,
  ResolvedResNetOptions,
} from './resnet/resnet-options.js';
export { countResNetParams, resnetStateDictShapes } from './resnet/resnet-params.js';
export { createResNet } from './resnet/resnet.js';
export type { ResNet } from './resnet/resnet.js';
export {
  backboneCheckpointKey,
  backboneStateDictFromCheckpoint,
  CHECKPOINT_FORMATS,
  detectCheckpointFormat,
  stripModulePrefix,
} from './checkpoint/backbone-checkpoint.js';
export type {
  BackboneStateDict,
  BackboneStateDictOptions,
  CheckpointFormat,
} from './checkpoint/backbone-checkpoint.js';
