import { describe, expect, it } from 'vitest';
import { polyLr } from './poly-lr.js';

describe('polyLr', () => {
  it('follows mmseg PolyLR: (base - min)(1 - t/T)^p + min', () => {
    const f = polyLr({ baseLr: 0.01, power: 0.9, minLr: 1e-4, maxIters: 80000 });
    expect(f(0)).toBe(0.01);
    expect(f(80000)).toBe(1e-4);
    // (0.0099)·0.5^0.9 + 1e-4 = 0.00538380... (0.5^0.9 = 0.535886731268146)
    expect(f(40000)).toBeCloseTo(0.0099 * 0.535886731268146 + 1e-4, 15);
    expect(f(100000)).toBe(1e-4);
    expect(f(-5)).toBe(0.01);
    const g = polyLr({ baseLr: 1, maxIters: 10 });
    expect(g(5)).toBeCloseTo((1 - 1e-4) * 0.5 ** 0.9 + 1e-4, 15);
  });

  it('is monotone non-increasing', () => {
    const f = polyLr({ baseLr: 0.1, maxIters: 100 });
    for (let i = 1; i <= 100; i++) expect(f(i)).toBeLessThanOrEqual(f(i - 1));
  });

  it('validates options', () => {
    expect(() => polyLr({ baseLr: 0.1, maxIters: 0 })).toThrow(
      /maxIters must be an integer >= 1, got 0/,
    );
    expect(() => polyLr({ baseLr: -1, maxIters: 10 })).toThrow(
      /baseLr must be a finite number >= 0, got -1/,
    );
  });
});
