import '@tensorflow/tfjs-backend-cpu';
import '@facepar/core';
import { createResNet } from '@facepar/backbones';
import { describeSegmentorContract } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll } from 'vitest';
import type { DecodeHeadSpec } from './segmentor-registry.js';
import { getSegmentorSpec, listSegmentors, scaleSegmentorSpec } from './segmentor-registry.js';
import { createSegmentor } from './segmentor.js';
import { exportSegmentorWeights, loadSegmentorWeights } from './weights.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The feature a head's output is computed at: the c1 skip for DeepLabV3+, else its input. */
function headIndex(head: DecodeHeadSpec): number {
  return head.type === 'sep-aspp' ? (head.c1InIndex ?? 0) : (head.inIndex ?? 0);
}

// every registered segmentor; the report model runs at 1/8 width (the full one takes ~45 s here)
describeSegmentorContract({
  entries: listSegmentors().map((name) => ({
    name,
    create: (seed) => {
      const full = getSegmentorSpec(name);
      const spec = full.backbone.widthMultiplier ? full : scaleSegmentorSpec(full, 1 / 8);
      const seg = createSegmentor({ model: spec, seed });
      const features = createResNet(spec.backbone).featureInfo;
      const heads = [spec.decodeHead, ...spec.auxiliaryHeads];
      return {
        model: seg.model,
        numClasses: spec.numClasses,
        outputReductions: heads.map((h) => features[headIndex(h)]!.reduction),
        exportWeights: () => exportSegmentorWeights(seg),
        loadWeights: (weights) => {
          loadSegmentorWeights(seg, weights as Parameters<typeof loadSegmentorWeights>[1]);
        },
        dispose: () => seg.dispose(),
      };
    },
  })),
});
