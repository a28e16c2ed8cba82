import { describe, expect, it } from 'vitest';
import { ConfusionMatrix } from './confusion-matrix.js';
import { CELEBAMASK_CLASS_NAMES } from './labels/index.js';
import { computePresetMetrics, getMetricPreset } from './presets.js';

describe('metric presets', () => {
  it('celebamask: mean F1 over 18 foreground classes beside mIoU over 19', () => {
    const p = getMetricPreset('celebamask');
    expect(p.numClasses).toBe(19);
    expect(p.classNames).toBe(CELEBAMASK_CLASS_NAMES);
    // background perfect (4 px), skin: gt 2 px, predicted 1 right + 1 as nose; nose gt 1 px right.
    const gt = Uint8Array.from([0, 0, 0, 0, 1, 1, 2]);
    const pred = Uint8Array.from([0, 0, 0, 0, 1, 2, 2]);
    const r = computePresetMetrics(new ConfusionMatrix({ numClasses: 19 }).update({ pred, gt }));
    // F1 skin = 2/3, nose = 2/3 ; other 16 foreground classes absent -> NaN, skipped
    expect(r.meanF1).toBeCloseTo(2 / 3, 15);
    // IoU bg 1, skin 1/2, nose 1/2
    expect(r.mIoU).toBeCloseTo(2 / 3, 15);
    expect(r.foreground.includedClasses).toHaveLength(18);
  });

  it('unknown preset lists the known ones; class count must match', () => {
    expect(() => getMetricPreset('ade20k')).toThrow(
      'unknown metric preset "ade20k"; known presets: celebamask',
    );
    expect(() => computePresetMetrics(new ConfusionMatrix({ numClasses: 3 }))).toThrow(
      'preset celebamask needs numClasses 19, the matrix has 3',
    );
  });
});
