import { getSegmentorSpec } from '@facepar/heads';
import { REPORT_CLASS_WEIGHTS } from '@facepar/losses';
import { resolveTrainConfig } from '@facepar/train';
import { describe, expect, it } from 'vitest';
import { getTrainConfig, listTrainConfigs, TRAIN_CONFIGS } from './index.js';

describe('train configs', () => {
  it('has the report setup as data', () => {
    const r = getTrainConfig('report');
    expect(r.model).toEqual({ name: 'deeplabv3plus_r50-d8' });
    expect(r.optimizer).toEqual({ lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
    expect(r.schedule).toEqual({ maxIters: 40_000, power: 0.9, minLr: 1e-4 });
    expect(r.loss).toEqual({ classWeights: REPORT_CLASS_WEIGHTS, reduction: 'mmseg' });
    const resolved = resolveTrainConfig(r);
    // the spec is the one source of the crop and of the head weights (decode 1, aux 0.4)
    expect(resolved.pipeline.cropSize).toEqual([512, 512]);
    expect(resolved.spec.auxiliaryHeads.map((h) => h.lossWeight)).toEqual([0.4]);
    expect(resolved.spec.numClasses).toBe(19);
    expect(r.evalEvery).toBe(4_000);
  });

  it('every config resolves; the demo trains at its spec crop', () => {
    for (const name of listTrainConfigs())
      expect(() => resolveTrainConfig(getTrainConfig(name))).not.toThrow();
    const demo = resolveTrainConfig(getTrainConfig('demo'));
    expect(demo.pipeline.cropSize).toEqual(getSegmentorSpec('deeplabv3plus_r18-d16-thin').cropSize);
    expect(demo.pipeline.cropSize).toEqual([96, 96]);
  });

  it('lists names and fails on unknown ones with the list', () => {
    expect(listTrainConfigs()).toEqual(['report', 'demo', 'celebamask-mini-cpu']);
    expect(() => getTrainConfig('big')).toThrow(
      "unknown config 'big'; known configs: report, demo, celebamask-mini-cpu",
    );
    for (const [name, c] of Object.entries(TRAIN_CONFIGS)) expect(c.name).toBe(name);
  });
});
