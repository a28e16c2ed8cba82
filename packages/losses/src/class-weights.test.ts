import { describe, expect, it } from 'vitest';
import {
  CLASS_WEIGHT_SCHEMES,
  classWeightsFromCounts,
  formatClassWeights,
  parseClassCounts,
  REPORT_CLASS_WEIGHTS,
  REPORT_PIXEL_COUNTS,
  resolveClassWeightsFromCountsOptions,
} from './class-weights.js';

describe('classWeightsFromCounts', () => {
  it("reproduces the report's Table 2 to 4 decimals from its counts", () => {
    const w = classWeightsFromCounts(REPORT_PIXEL_COUNTS, { scheme: 'log2-inverse' });
    expect(w).toHaveLength(19);
    // The printed values are 4-decimal roundings with trailing zeros dropped.
    expect(w.map((v) => Number(v.toFixed(4)))).toEqual([...REPORT_CLASS_WEIGHTS]);
    expect(REPORT_CLASS_WEIGHTS).toEqual([
      1.805, 1.976, 5.6004, 8.5621, 8.8014, 8.8059, 7.8778, 7.9143, 7.7323, 8.0199, 8.3939, 7.9185,
      7.2026, 1.6725, 6.695, 8.7228, 12.7002, 4.6004, 4.8802,
    ]);
    expect(REPORT_PIXEL_COUNTS.reduce((a, b) => a + b, 0)).toBe(5000 * 512 * 512);
    // log2-inverse is the default scheme.
    expect(classWeightsFromCounts(REPORT_PIXEL_COUNTS)).toEqual(w);
  });

  it('computes every scheme on a hand-checked case', () => {
    const counts = [50, 25, 25]; // total 100, f = [0.5, 0.25, 0.25]
    expect(classWeightsFromCounts(counts, { scheme: 'log2-inverse' })).toEqual([1, 2, 2]);
    expect(classWeightsFromCounts(counts, { scheme: 'inverse' })).toEqual([2, 4, 4]);
    // median f = 0.25
    expect(classWeightsFromCounts(counts, { scheme: 'median-frequency' })).toEqual([0.5, 1, 1]);
    const enet = classWeightsFromCounts(counts, { scheme: 'enet' });
    expect(enet[0]).toBeCloseTo(1 / Math.log(1.52), 12);
    expect(enet[1]).toBeCloseTo(1 / Math.log(1.27), 12);
    // beta = 0.5: raw = 0.5 / (1 - 0.5^n); n=1 -> 1, n=2 -> 2/3; scaled to sum 2.
    const en = classWeightsFromCounts([1, 2], { scheme: 'effective-number', beta: 0.5 });
    expect(en[0]).toBeCloseTo(2 * (1 / (1 + 2 / 3)), 12);
    expect(en[1]).toBeCloseTo(2 * (2 / 3 / (1 + 2 / 3)), 12);
  });

  it('median-frequency uses per-class image pixels when given (Eigen & Fergus)', () => {
    // class 0 in all 4 images of 100 px, class 1 in 1 image, class 2 in 2 images.
    const w = classWeightsFromCounts([300, 50, 50], {
      scheme: 'median-frequency',
      imagePixels: [400, 100, 200],
    });
    // f = [0.75, 0.5, 0.25], median 0.5
    expect(w).toEqual([0.5 / 0.75, 1, 2]);
  });

  it('effective-number is ~inverse for small beta·n and uniform as counts grow', () => {
    const w = classWeightsFromCounts(REPORT_PIXEL_COUNTS, { scheme: 'effective-number' });
    // beta = 0.9999 saturates for counts >> 1e4: all weights equal 1 except the rarest.
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(19, 9);
    expect(Math.max(...w) - Math.min(...w)).toBeLessThan(1e-6);
    const small = classWeightsFromCounts([1, 10], { scheme: 'effective-number', beta: 1e-9 });
    expect(small[0]).toBeCloseTo(small[1]!, 6); // beta -> 0: every class weighs 1
  });

  it('handles zero counts explicitly, never Infinity', () => {
    for (const scheme of CLASS_WEIGHT_SCHEMES) {
      const w = classWeightsFromCounts([10, 0, 30], { scheme });
      expect(w.every(Number.isFinite), scheme).toBe(true);
      expect(w[1], scheme).toBe(0);
      const wMax = classWeightsFromCounts([10, 0, 30], { scheme, zeroCountWeight: 'max' });
      expect(wMax[1], scheme).toBe(Math.max(wMax[0]!, wMax[2]!));
    }
    expect(classWeightsFromCounts([10, 0, 30], { scheme: 'inverse', zeroCountWeight: 7 })).toEqual([
      4,
      7,
      4 / 3,
    ]);
  });

  it('rejects bad input naming the value and the choices', () => {
    expect(() => resolveClassWeightsFromCountsOptions({ scheme: 'log' as 'enet' })).toThrow(
      /scheme "log" is not one of 'log2-inverse', 'inverse', 'median-frequency', 'effective-number', 'enet'/,
    );
    expect(() => resolveClassWeightsFromCountsOptions({ beta: 1 })).toThrow(/beta .* got 1/);
    expect(() => classWeightsFromCounts([1, -1])).toThrow(/counts\[1\] = -1/);
    expect(() => classWeightsFromCounts([0, 0])).toThrow(/all counts are 0/);
    expect(() =>
      classWeightsFromCounts([1, 2], { scheme: 'median-frequency', imagePixels: [1] }),
    ).toThrow(/imagePixels has 1 entries, counts has 2/);
  });
});

describe('options left undefined', () => {
  it('keep their defaults (a CLI forwards unset flags as undefined)', () => {
    expect(
      resolveClassWeightsFromCountsOptions({ scheme: undefined, beta: undefined }),
    ).toMatchObject({ scheme: 'log2-inverse', beta: 0.9999 });
  });
});

describe('parseClassCounts', () => {
  it('reads an array, a saved mask-stats result or { counts }, and names a bad source', () => {
    expect(parseClassCounts({ json: [3, 1], source: 'a.json' })).toEqual([3, 1]);
    expect(parseClassCounts({ json: { files: 2, pixelCounts: [5, 0] }, source: 's' })).toEqual([
      5, 0,
    ]);
    expect(parseClassCounts({ json: { counts: [1] }, source: 's' })).toEqual([1]);
    expect(() => parseClassCounts({ json: { x: 1 }, source: 'b.json' })).toThrow(
      /b\.json must hold a non-empty array of numbers, or an object with "pixelCounts" or "counts"/,
    );
    expect(() => parseClassCounts({ json: [], source: 'c' })).toThrow(/non-empty/);
  });
});

describe('formatClassWeights', () => {
  it('renders a markdown row per class and the paste line', () => {
    const lines = formatClassWeights({
      counts: [3, 1],
      weights: [1, 2.000049],
      classNames: ['bg'],
    });
    expect(lines).toEqual([
      '| class | name | pixels | weight |',
      '|---|---|---|---|',
      '| 0 | bg | 3 | 1.0000 |',
      '| 1 | class_1 | 1 | 2.0000 |',
      'classWeights: [1, 2]',
    ]);
  });
});
