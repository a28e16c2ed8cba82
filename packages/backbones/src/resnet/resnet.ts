import { BatchNorm2d, Conv2d, MaxPool2d } from '@facepar/core';
import * as tfl from '@tensorflow/tfjs-layers';
import type {
  Backbone,
  BackboneApplyOptions,
  BackboneModelOptions,
  FeatureInfo,
} from '../types.js';
import { RESNET_BLOCK_EXPANSION } from './resnet-archs.js';
import {
  type ResNetOptions,
  type ResolvedResNetOptions,
  resolveResNetOptions,
} from './resnet-options.js';
import { countResNetParams } from './resnet-params.js';

type ST = tfl.SymbolicTensor;

/** A ResNet backbone: mmseg `ResNet` (pytorch style) with mmseg's module names. */
export interface ResNet extends Backbone {
  readonly options: ResolvedResNetOptions;
  /** Channels and reduction of all four stages (`featureInfo` keeps only `outIndices`). */
  readonly stageInfo: readonly FeatureInfo[];
}

/**
 * Builds a ResNet description; layers are created by `apply` (functional API) or `createModel`.
 * Layer names are the PyTorch module paths (`stem.0`, `layer1.0.conv1`, `layer1.0.downsample.1`)
 * under an optional prefix, so an mmseg or torchvision state dict maps onto them by rule.
 */
export function createResNet(options: ResNetOptions): ResNet {
  const r = resolveResNetOptions(options);
  const stageInfo: FeatureInfo[] = r.stageChannels.map((channels, i) => ({
    name: `layer${i + 1}`,
    channels,
    reduction: r.reductions[i]!,
  }));
  const featureInfo = r.outIndices.map((i) => ({ ...stageInfo[i]! }));
  const paramCount = countResNetParams(r);

  const apply = (input: ST, applyOptions: BackboneApplyOptions = {}): ST[] =>
    buildResNet(r, input, applyOptions.prefix ?? 'backbone');

  const createModel = (modelOptions: BackboneModelOptions = {}): tfl.LayersModel => {
    const prefix = modelOptions.prefix ?? '';
    const shape = modelOptions.inputShape ?? [null, null, r.inChannels];
    const input = tfl.input({ shape, name: prefix ? `${prefix}.input` : 'input' });
    const outputs = buildResNet(r, input, prefix);
    return tfl.model({ inputs: input, outputs, name: prefix || r.arch.name });
  };

  return {
    name: r.arch.name,
    options: r,
    stageInfo,
    featureInfo,
    outIndices: [...r.outIndices],
    paramCount,
    apply,
    createModel,
  };
}

function buildResNet(r: ResolvedResNetOptions, input: ST, prefix: string): ST[] {
  const path = (s: string) => (prefix ? `${prefix}.${s}` : s);
  let seedCounter = 0;
  const nextSeed = () => (r.seed == null ? undefined : r.seed + seedCounter++);
  // stage 0 = stem, stage k = layer k; frozen stages keep BN in eval mode and weights fixed
  const frozen = (stage: number) => stage <= r.frozenStages;
  const conv = (
    x: ST,
    name: string,
    stage: number,
    o: { filters: number; k: number; stride?: number; padding?: number; dilation?: number },
  ): ST =>
    new Conv2d({
      name: path(name),
      filters: o.filters,
      kernelSize: o.k,
      stride: o.stride ?? 1,
      padding: o.padding ?? 0,
      dilation: o.dilation ?? 1,
      useBias: false,
      seed: nextSeed(),
      trainable: !frozen(stage),
    }).apply(x) as ST;
  const bn = (x: ST, name: string, stage: number): ST =>
    new BatchNorm2d({
      name: path(name),
      normEval: r.normEval || frozen(stage),
      trainable: !frozen(stage),
    }).apply(x) as ST;
  const relu = (x: ST, name: string): ST => tfl.layers.reLU({ name: path(name) }).apply(x) as ST;

  let x = input;
  const s = r.stemChannels;
  if (r.arch.deepStem) {
    const h = Math.floor(s / 2);
    const chans = [h, h, s];
    chans.forEach((c, i) => {
      x = conv(x, `stem.${3 * i}`, 0, { filters: c, k: 3, stride: i === 0 ? 2 : 1, padding: 1 });
      x = bn(x, `stem.${3 * i + 1}`, 0);
      x = relu(x, `stem.${3 * i + 2}`);
    });
  } else {
    x = conv(x, 'conv1', 0, { filters: s, k: 7, stride: 2, padding: 3 });
    x = bn(x, 'bn1', 0);
    x = relu(x, 'relu');
  }
  x = new MaxPool2d({ name: path('maxpool'), kernelSize: 3, stride: 2, padding: 1 }).apply(x) as ST;

  const e = RESNET_BLOCK_EXPANSION[r.arch.block];
  let inplanes = s;
  const outs: ST[] = [];
  r.arch.stageBlocks.forEach((blocks, i) => {
    const stage = i + 1;
    const planes = r.planes[i]!;
    for (let b = 0; b < blocks; b++) {
      const blk = `layer${stage}.${b}`;
      const stride = b === 0 ? r.strides[i]! : 1;
      const dilation = b === 0 ? r.firstDilations[i]! : r.dilations[i]!;
      const identityIn = x;
      let y: ST;
      if (r.arch.block === 'basic') {
        y = conv(x, `${blk}.conv1`, stage, {
          filters: planes,
          k: 3,
          stride,
          padding: dilation,
          dilation,
        });
        y = relu(bn(y, `${blk}.bn1`, stage), `${blk}.relu1`);
        // mmseg's BasicBlock never dilates conv2
        y = conv(y, `${blk}.conv2`, stage, { filters: planes, k: 3, padding: 1 });
        y = bn(y, `${blk}.bn2`, stage);
      } else {
        y = conv(x, `${blk}.conv1`, stage, { filters: planes, k: 1 });
        y = relu(bn(y, `${blk}.bn1`, stage), `${blk}.relu1`);
        y = conv(y, `${blk}.conv2`, stage, {
          filters: planes,
          k: 3,
          stride,
          padding: dilation,
          dilation,
        });
        y = relu(bn(y, `${blk}.bn2`, stage), `${blk}.relu2`);
        y = conv(y, `${blk}.conv3`, stage, { filters: planes * e, k: 1 });
        y = bn(y, `${blk}.bn3`, stage);
      }
      let identity = identityIn;
      if (b === 0 && (stride !== 1 || inplanes !== planes * e)) {
        const ds = `${blk}.downsample`;
        if (r.arch.avgDown) {
          // AvgPool2d(stride, stride, ceil_mode=True, count_include_pad=False): TF 'same'
          // averages over the valid pixels only, which is the same window and divisor.
          if (stride > 1) {
            identity = tfl.layers
              .averagePooling2d({
                name: path(`${ds}.0`),
                poolSize: stride,
                strides: stride,
                padding: 'same',
              })
              .apply(identity) as ST;
          }
          identity = conv(identity, `${ds}.1`, stage, { filters: planes * e, k: 1 });
          identity = bn(identity, `${ds}.2`, stage);
        } else {
          identity = conv(identity, `${ds}.0`, stage, { filters: planes * e, k: 1, stride });
          identity = bn(identity, `${ds}.1`, stage);
        }
      }
      y = tfl.layers.add({ name: path(`${blk}.add`) }).apply([y, identity]) as ST;
      x = relu(y, `${blk}.relu`);
      inplanes = planes * e;
    }
    if (r.outIndices.includes(i)) outs.push(x);
  });
  return outs;
}
