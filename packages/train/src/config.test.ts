import { getSegmentorSpec } from '@facepar/heads';
import { REPORT_CLASS_WEIGHTS } from '@facepar/losses';
import { describe, expect, it } from 'vitest';
import { applyConfigOverrides, polyLrOf, resolveTrainConfig } from './config.js';
import { REPORT } from './test-configs.test-helper.js';

describe('train config', () => {
  it("resolves to each package's own options: crop, mean/std and test scale from the spec", () => {
    const r = resolveTrainConfig(REPORT);
    const spec = getSegmentorSpec('deeplabv3plus_r50-d8');
    expect(r.spec.cropSize).toEqual([512, 512]);
    expect(r.pipeline.cropSize).toEqual(spec.cropSize);
    expect([r.pipeline.mean, r.pipeline.std]).toEqual([spec.mean, spec.std]);
    expect(r.pipeline.photoMetric?.hueDelta).toBe(18); // mmseg defaults filled in
    expect(r.spec.test).toEqual({ mode: 'whole', scale: [2048, 512] });
    expect(r.loss).toEqual({
      classWeights: REPORT_CLASS_WEIGHTS,
      reduction: 'mmseg',
      ignoreIndex: 255,
      resizeLogitsTo: 'labels',
    });
    expect(r.lr).toEqual({ baseLr: 0.01, power: 0.9, minLr: 1e-4, maxIters: 40_000 });
    const five = { ...REPORT, model: { name: REPORT.model.name, numClasses: 5 } };
    expect(() => resolveTrainConfig(five)).toThrow(
      'config report: loss.classWeights has 19 entries but the model has 5 classes',
    );
  });

  it('applies overrides without mutating the source; a crop override scales the resize', () => {
    const c = applyConfigOverrides({ config: REPORT, overrides: { iters: 2, batch: 1, crop: 64 } });
    expect(c.schedule.maxIters).toBe(2);
    expect(c.evalEvery).toBe(2);
    expect(c.checkpointEvery).toBe(2);
    expect(c.data.batchSize).toBe(1);
    expect(c.model.cropSize).toEqual([64, 64]);
    expect(c.data.pipeline.resize).toEqual({ scale: [256, 64], ratioRange: [0.5, 2] });
    expect(resolveTrainConfig(c).spec.test.scale).toEqual([256, 64]);
    expect(REPORT.schedule.maxIters).toBe(40_000);
    expect(REPORT.model.cropSize).toBeUndefined();
    expect(() => applyConfigOverrides({ config: REPORT, overrides: { iters: 0 } })).toThrow(
      'iters must be an integer >= 1, got 0',
    );
  });

  it('poly LR matches mmseg at start, middle and end', () => {
    const lr = polyLrOf(REPORT);
    expect(lr(0)).toBeCloseTo(0.01, 12);
    // (0.01 - 1e-4) * 0.5^0.9 + 1e-4
    expect(lr(20_000)).toBeCloseTo(0.0099 * 0.5 ** 0.9 + 1e-4, 12);
    expect(lr(40_000)).toBeCloseTo(1e-4, 12);
  });
});
