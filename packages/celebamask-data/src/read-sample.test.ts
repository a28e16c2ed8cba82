import { describe, expect, it } from 'vitest';
import { firstInvalidLabel } from './read-sample.js';

describe('firstInvalidLabel', () => {
  const naive = (l: Uint8Array, k: number, ig: number) => l.findIndex((v) => v >= k && v !== ig);
  it('finds the same first bad label as a byte scan, at any offset, length and position', () => {
    const base = new Uint8Array(1031);
    for (let i = 0; i < base.length; i++) base[i] = (i >> 4) % 19;
    base.fill(255, 100, 140);
    let checked = 0;
    for (const offset of [0, 1, 2, 3]) {
      for (const len of [0, 1, 3, 7, 64, 1000]) {
        for (const badAt of [-1, 0, 1, 2, 3, 4, 5, 63, len - 1]) {
          const labels = base.slice().subarray(offset, offset + len);
          if (badAt >= 0 && badAt < len) labels[badAt] = 19 + (badAt % 236);
          const want = naive(labels, 19, 255);
          expect(firstInvalidLabel({ labels, numClasses: 19, ignoreIndex: 255 })).toBe(want);
          checked += want >= 0 ? 1 : 0;
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
    // a bad value inside a run of repeated words is still found (words equal to the previous
    // one are skipped only when the whole word repeats)
    const runs = new Uint8Array(64).fill(3);
    runs[41] = 200;
    expect(firstInvalidLabel({ labels: runs, numClasses: 19, ignoreIndex: 255 })).toBe(41);
  });
});
