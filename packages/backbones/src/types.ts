import type * as tfl from '@tensorflow/tfjs-layers';

/** One feature map a backbone returns (smp `out_channels` / timm `feature_info`). */
export interface FeatureInfo {
  /** Module path of the stage, e.g. `layer3`. */
  name: string;
  channels: number;
  /** Input size divided by this feature's size (4, 8, 16 or 32). */
  reduction: number;
}

export interface BackboneApplyOptions {
  /** Prefix of every layer name (`backbone` gives `backbone.layer1.0.conv1`); `''` for none. */
  prefix?: string;
}

export interface BackboneModelOptions extends BackboneApplyOptions {
  /** NHWC input shape without the batch axis; spatial sizes may be null. Default `[null, null, 3]`. */
  inputShape?: [number | null, number | null, number];
}

/** What a head needs from a backbone: the features' description and a functional `apply`. */
export interface Backbone {
  /** Registry name of the architecture, e.g. `resnet50-v1c`. */
  readonly name: string;
  /** Channels and reduction of each returned feature, high to low resolution. */
  readonly featureInfo: readonly FeatureInfo[];
  /** Stage indices the features come from. */
  readonly outIndices: readonly number[];
  /** Number of trainable-or-not parameters (BN gamma/beta counted, running stats not). */
  readonly paramCount: number;
  /** Builds the layers on `input` (NHWC) and returns one feature per `outIndices` entry. */
  apply(input: tfl.SymbolicTensor, options?: BackboneApplyOptions): tfl.SymbolicTensor[];
  /** A standalone model whose outputs are the features. */
  createModel(options?: BackboneModelOptions): tfl.LayersModel;
}
