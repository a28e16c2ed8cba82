import { type ResNet, createResNet } from '@facepar/backbones';
import * as tfl from '@tensorflow/tfjs-layers';
import { createAsppHead } from '../aspp/aspp-head.js';
import type { DecodeHead, ST } from '../decode-head.js';
import { createFcnHead } from '../fcn/fcn-head.js';
import { createDepthwiseSeparableAsppHead } from '../sep-aspp/depthwise-separable-aspp-head.js';
import { type DecodeHeadSpec, type SegmentorSpec, getSegmentorSpec } from './segmentor-registry.js';

export interface SegmentorOptions {
  /** Registry name (`deeplabv3plus_r50-d8`) or a spec. */
  model: string | SegmentorSpec;
  /** Overrides the spec's class count. */
  numClasses?: number;
  /** NHWC input shape without batch; `[null, null, 3]` (any size) by default. */
  inputShape?: [number | null, number | null, number];
  /** Leave out the auxiliary heads (inference-only model). */
  withAuxiliary?: boolean;
  /** Every BatchNorm uses running statistics (mmseg `norm_eval`). */
  normEval?: boolean;
  /** Seed of all initializers (deterministic weights). */
  seed?: number;
}

export const DEFAULT_SEGMENTOR_OPTIONS = {
  inputShape: [null, null, 3] as [null, null, number],
  withAuxiliary: true,
  normEval: false,
} as const;

/** Parameter counts by part, PyTorch style (no BN running statistics). */
export interface SegmentorParamCounts {
  backbone: number;
  decode_head: number;
  auxiliary_head: number;
  total: number;
  totalWithoutAux: number;
}

export interface AuxiliaryHead {
  head: DecodeHead;
  lossWeight: number;
  /** Layer-name prefix: `auxiliary_head` (one head) or `auxiliary_head.i`. */
  prefix: string;
}

/** An assembled encoder-decoder. */
export interface Segmentor {
  spec: SegmentorSpec;
  backbone: ResNet;
  decodeHead: DecodeHead;
  auxiliaryHeads: AuxiliaryHead[];
  /**
   * Input: normalised NHWC images. Outputs: `[decodeLogits, ...auxLogits]`, each NHWC at its
   * head's stride (decode: 4, aux: 8 for d8); resize with `resizeLogits`.
   */
  model: tfl.LayersModel;
  /** The backbone's features inside `model` (for probes and backbone-only sub-models). */
  features: tfl.SymbolicTensor[];
  paramCounts: SegmentorParamCounts;
  /** Frees the model's weights. */
  dispose(): void;
}

export function buildHead(
  spec: DecodeHeadSpec,
  common: {
    featureInfo: ResNet['featureInfo'];
    numClasses: number;
    normEval: boolean;
    seed: number | undefined;
  },
): DecodeHead {
  switch (spec.type) {
    case 'fcn':
      return createFcnHead({ ...spec, ...common });
    case 'aspp':
      return createAsppHead({ ...spec, ...common });
    case 'sep-aspp':
      return createDepthwiseSeparableAsppHead({ ...spec, ...common });
    default:
      throw new Error(
        `unknown decode head type '${(spec as { type: string }).type}'; known: fcn, aspp, sep-aspp`,
      );
  }
}

function resolveSpec(options: SegmentorOptions): SegmentorSpec {
  const spec =
    typeof options.model === 'string'
      ? getSegmentorSpec(options.model)
      : (structuredClone(options.model) as SegmentorSpec);
  if (options.numClasses !== undefined) {
    if (!Number.isInteger(options.numClasses) || options.numClasses < 1) {
      throw new Error(
        `createSegmentor: numClasses must be an integer >= 1, got ${options.numClasses}`,
      );
    }
    spec.numClasses = options.numClasses;
  }
  return spec;
}

/**
 * Parameter counts of a spec by arithmetic (no tensors): what `pnpm facepar params` prints.
 * Equal to the built model's counts (tested).
 */
export function countSegmentorParams(
  options: Omit<SegmentorOptions, 'inputShape' | 'seed'>,
): SegmentorParamCounts {
  const parts = describeSegmentor(options);
  const backbone = parts.backbone.paramCount;
  const decode = parts.decodeHead.paramCount;
  const aux = parts.auxiliaryHeads.reduce((n, a) => n + a.head.paramCount, 0);
  return {
    backbone,
    decode_head: decode,
    auxiliary_head: aux,
    total: backbone + decode + aux,
    totalWithoutAux: backbone + decode,
  };
}

function describeSegmentor(options: SegmentorOptions) {
  const spec = resolveSpec(options);
  const normEval = options.normEval ?? DEFAULT_SEGMENTOR_OPTIONS.normEval;
  const seed = options.seed;
  const backbone = createResNet({
    ...spec.backbone,
    normEval: normEval || spec.backbone.normEval,
    seed,
  });
  const common = {
    featureInfo: backbone.featureInfo,
    numClasses: spec.numClasses,
    normEval,
    seed: seed == null ? undefined : seed + 100_000,
  };
  const decodeHead = buildHead(spec.decodeHead, common);
  const withAux = options.withAuxiliary ?? DEFAULT_SEGMENTOR_OPTIONS.withAuxiliary;
  const auxSpecs = withAux ? spec.auxiliaryHeads : [];
  const auxiliaryHeads = auxSpecs.map((a, i) => ({
    head: buildHead(a, {
      ...common,
      seed: common.seed == null ? undefined : common.seed + 200_000 * (i + 1),
    }),
    lossWeight: a.lossWeight,
    prefix: auxSpecs.length === 1 ? 'auxiliary_head' : `auxiliary_head.${i}`,
  }));
  return { spec, backbone, decodeHead, auxiliaryHeads };
}

/**
 * Builds an encoder-decoder `tf.LayersModel` from the registry (mmseg `EncoderDecoder`):
 * layers are named by the mmseg module paths (`backbone.layer1.0.conv1`,
 * `decode_head.aspp_modules.1.depthwise_conv.conv`, `auxiliary_head.convs.0.conv`), so a
 * PyTorch state dict maps onto the model by rule.
 */
export function createSegmentor(options: SegmentorOptions): Segmentor {
  const { spec, backbone, decodeHead, auxiliaryHeads } = describeSegmentor(options);
  const shape = options.inputShape ?? DEFAULT_SEGMENTOR_OPTIONS.inputShape;
  const input = tfl.input({ shape, name: 'input' });
  const features = backbone.apply(input, { prefix: 'backbone' });
  const outputs: ST[] = [decodeHead.apply(features, { prefix: 'decode_head' })];
  for (const a of auxiliaryHeads) outputs.push(a.head.apply(features, { prefix: a.prefix }));
  const model = tfl.model({
    inputs: input,
    outputs,
    name: spec.name.replace(/[^A-Za-z0-9_.-]/g, '_'),
  });
  const paramCounts = countSegmentorParams({ ...options, model: spec });
  return {
    spec,
    backbone,
    decodeHead,
    auxiliaryHeads,
    model,
    features,
    paramCounts,
    dispose() {
      for (const w of model.weights) w.dispose();
    },
  };
}

/**
 * Counts a built model's parameters by the first component of the layer names
 * (`backbone`, `decode_head`, `auxiliary_head`), PyTorch style: BN running statistics excluded.
 */
export function countModelParamsByPart(model: tfl.LayersModel): Record<string, number> {
  const out: Record<string, number> = {};
  for (const layer of model.layers) {
    const part = layer.name.split('.')[0]!;
    for (const w of layer.weights) {
      if (/moving_mean|moving_variance|running_mean|running_var/.test(w.originalName)) continue;
      out[part] = (out[part] ?? 0) + w.shape.reduce((a: number, b) => a * (b ?? 1), 1);
    }
  }
  return out;
}

/** The rows `facepar params` prints: part name and PyTorch parameter count. */
export function paramCountRows(counts: SegmentorParamCounts): [string, number][] {
  return [
    ['backbone', counts.backbone],
    ['decode_head', counts.decode_head],
    ['auxiliary_head', counts.auxiliary_head],
    ['total', counts.total],
    ['total without auxiliary_head', counts.totalWithoutAux],
  ];
}

/** A plain-text table of `paramCountRows`, thousands separated with commas. */
export function formatParamCounts(counts: SegmentorParamCounts): string {
  const rows = paramCountRows(counts).map(([k, v]) => [k, v.toLocaleString('en-US')] as const);
  const w0 = Math.max(4, ...rows.map(([k]) => k.length));
  const w1 = Math.max(10, ...rows.map(([, v]) => v.length));
  return [
    `${'part'.padEnd(w0)}  ${'parameters'.padStart(w1)}`,
    ...rows.map(([k, v]) => `${k.padEnd(w0)}  ${v.padStart(w1)}`),
  ].join('\n');
}
