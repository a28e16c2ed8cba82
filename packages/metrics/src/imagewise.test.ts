import { describe, expect, it } from 'vitest';
import { ConfusionMatrix } from './confusion-matrix.js';
import { computeImagewiseMetrics } from './imagewise.js';

// 3 classes. Image A: gt [0,0,1,1], pred [0,1,1,1] -> c0 tp1 fn1, c1 tp2 fp1, c2 absent.
// Image B: gt [2,2], pred [2,0] -> c2 tp1 fn1, c0 fp1, c1 absent.
const a = new ConfusionMatrix({ numClasses: 3 }).update({
  gt: Uint8Array.from([0, 0, 1, 1]),
  pred: Uint8Array.from([0, 1, 1, 1]),
});
const b = new ConfusionMatrix({ numClasses: 3 }).update({
  gt: Uint8Array.from([2, 2]),
  pred: Uint8Array.from([2, 0]),
});

describe('computeImagewiseMetrics', () => {
  it('macro-imagewise: per-class scores per image, mean over classes, then images (mmseg nan policy)', () => {
    const m = computeImagewiseMetrics({ images: [a, b] });
    // A: IoU c0 1/2, c1 2/3, c2 NaN -> 7/12 ; B: c0 0/1, c1 NaN, c2 1/2 -> 1/4
    expect(m.perImage.iou[0]).toBeCloseTo(7 / 12, 15);
    expect(m.perImage.iou[1]).toBeCloseTo(1 / 4, 15);
    expect(m.iou).toBeCloseTo((7 / 12 + 1 / 4) / 2, 15);
  });

  it('absentClass one counts empty classes as 1, zero as 0 (smp zero_division)', () => {
    const one = computeImagewiseMetrics({ images: [a, b], absentClass: 'one' });
    expect(one.perImage.iou[0]).toBeCloseTo((1 / 2 + 2 / 3 + 1) / 3, 15);
    const zero = computeImagewiseMetrics({ images: [a, b], absentClass: 'zero' });
    expect(zero.perImage.iou[1]).toBeCloseTo((0 + 0 + 1 / 2) / 3, 15);
  });

  it('micro-imagewise: sums over classes per image first', () => {
    const m = computeImagewiseMetrics({
      images: [a.areas(), b.areas()],
      reduction: 'micro-imagewise',
    });
    // A: tp 3, fp 1, fn 1 -> IoU 3/5, dice 6/8 ; B: tp 1, fp 1, fn 1 -> 1/3, 2/4
    expect(Array.from(m.perImage.iou)).toEqual([3 / 5, 1 / 3]);
    expect(m.dice).toBeCloseTo((6 / 8 + 2 / 4) / 2, 15);
    expect(m.acc).toBeCloseTo((3 / 4 + 1 / 2) / 2, 15);
  });

  it('excludeClasses and validation', () => {
    const m = computeImagewiseMetrics({ images: [a], excludeClasses: [0] });
    expect(m.iou).toBeCloseTo(2 / 3, 15);
    expect(() => computeImagewiseMetrics({ images: [a], reduction: 'micro' as never })).toThrow(
      'reduction must be one of macro-imagewise, micro-imagewise, got micro',
    );
    expect(computeImagewiseMetrics({ images: [] }).iou).toBeNaN();
  });
});
