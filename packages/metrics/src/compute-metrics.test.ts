import { describe, expect, it } from 'vitest';
import { computeMetrics, nanMean, resolveComputeMetricsOptions } from './compute-metrics.js';
import { ConfusionMatrix } from './confusion-matrix.js';

// 4 classes. (gt, pred) pairs:
//   (0,0)x3 (0,1)x1 (1,1)x2 (1,0)x2 (2,3)x1 ; class 3 only predicted, never in GT.
// areas: I = [3,2,0,0], pred = [5,3,0,1], label = [4,4,1,0], union = [6,5,1,1]
function sample(): ConfusionMatrix {
  const gt = Uint8Array.from([0, 0, 0, 0, 1, 1, 1, 1, 2]);
  const pred = Uint8Array.from([0, 0, 0, 1, 1, 1, 0, 0, 3]);
  return new ConfusionMatrix({ numClasses: 4 }).update({ pred, gt });
}

describe('computeMetrics', () => {
  it('hand-computed per-class values and means (mmseg policy)', () => {
    const m = computeMetrics(sample());
    expect(Array.from(m.perClass.iou)).toEqual([3 / 6, 2 / 5, 0, 0]);
    expect(Array.from(m.perClass.acc.slice(0, 3))).toEqual([3 / 4, 2 / 4, 0]);
    expect(m.perClass.acc[3]).toBeNaN(); // absent from GT
    expect(m.perClass.precision[2]).toBeNaN(); // never predicted
    expect(Array.from(m.perClass.dice)).toEqual([6 / 9, 4 / 7, 0, 0]);
    // mmseg F-score from P and R: class 3 has P = 0, R = NaN -> NaN; class 2 P = NaN -> NaN
    expect(m.perClass.fscore[0]).toBeCloseTo(6 / 9, 15);
    expect(m.perClass.fscore[2]).toBeNaN();
    expect(m.mIoU).toBeCloseTo((0.5 + 0.4) / 4, 15);
    expect(m.mAcc).toBeCloseTo((0.75 + 0.5 + 0) / 3, 15);
    expect(m.mDice).toBeCloseTo((6 / 9 + 4 / 7) / 4, 15);
    expect(m.mF1).toBe(m.mDice);
    expect(m.mFscore).toBeCloseTo((6 / 9 + 4 / 7) / 2, 15);
    expect(m.aAcc).toBeCloseTo(5 / 9, 15);
    // fwIoU = (4/9)*0.5 + (4/9)*0.4 + (1/9)*0
    expect(m.fwIoU).toBeCloseTo((4 / 9) * 0.5 + (4 / 9) * 0.4, 15);
  });

  it('zero and one policies fill zero denominators (smp zero_division) and use smp F-beta', () => {
    const z = computeMetrics(sample(), { absentClass: 'zero' });
    expect(z.perClass.acc[3]).toBe(0);
    expect(z.perClass.precision[2]).toBe(0);
    expect(z.perClass.fscore[3]).toBe(0); // tp 0, fp 1: 0 / 1
    expect(z.mAcc).toBeCloseTo((0.75 + 0.5) / 4, 15);
    const o = computeMetrics(sample(), { absentClass: 'one' });
    expect(o.perClass.acc[3]).toBe(1);
    expect(o.perClass.precision[2]).toBe(1);
    expect(o.mAcc).toBeCloseTo((0.75 + 0.5 + 0 + 1) / 4, 15);
    // a class absent everywhere is 1 under `one` (smp: empty vs empty is a perfect match)
    const cm = new ConfusionMatrix({ numClasses: 3 }).update({
      pred: Uint8Array.from([0, 1]),
      gt: Uint8Array.from([0, 1]),
    });
    expect(computeMetrics(cm, { absentClass: 'one' }).mIoU).toBe(1);
    expect(computeMetrics(cm, { absentClass: 'zero' }).mIoU).toBeCloseTo(2 / 3, 15);
    expect(computeMetrics(cm).mIoU).toBe(1);
  });

  it('excludeClasses drops classes from the means only', () => {
    const m = computeMetrics(sample(), { excludeClasses: [0] });
    expect(m.includedClasses).toEqual([1, 2, 3]);
    expect(m.mIoU).toBeCloseTo(0.4 / 3, 15);
    expect(m.perClass.iou[0]).toBe(0.5);
    expect(m.aAcc).toBeCloseTo(5 / 9, 15); // pixel accuracy is over all classes
    expect(m.fwIoU).toBeCloseTo((4 / 5) * 0.4, 15);
  });

  it('F-beta with beta 2 weighs recall: class 0 P = 3/5, R = 3/4', () => {
    const m = computeMetrics(sample(), { beta: 2 });
    const p = 3 / 5;
    const r = 3 / 4;
    expect(m.perClass.fscore[0]).toBeCloseTo((5 * p * r) / (4 * p + r), 15);
  });

  it('validates options naming the bad value and the allowed ones', () => {
    expect(() => resolveComputeMetricsOptions({ absentClass: 'nan' as never }, 4)).toThrow(
      'absentClass must be one of mmseg, zero, one, got nan',
    );
    expect(() => resolveComputeMetricsOptions({ excludeClasses: [4] }, 4)).toThrow(
      'excludeClasses entries must be class ids in 0..3, got 4',
    );
    expect(() => resolveComputeMetricsOptions({ beta: 0 }, 4)).toThrow(
      'beta must be a finite number > 0, got 0',
    );
  });

  it('nanMean skips NaN and is NaN when empty', () => {
    expect(nanMean([1, Number.NaN, 3])).toBe(2);
    expect(nanMean([])).toBeNaN();
  });
});
