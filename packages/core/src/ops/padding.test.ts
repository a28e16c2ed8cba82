import { describe, expect, it } from 'vitest';
import { torchPadding } from './padding.js';

describe('torchPadding', () => {
  it('expands PyTorch symmetric padding to the NHWC explicit form', () => {
    expect(torchPadding(1)).toEqual([
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ]);
    expect(torchPadding([2, 3])).toEqual([
      [0, 0],
      [2, 2],
      [3, 3],
      [0, 0],
    ]);
    expect(torchPadding(0)).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
  });

  it('rejects negative, fractional and malformed padding', () => {
    expect(() => torchPadding(-1)).toThrow(/non-negative integer, got -1/);
    expect(() => torchPadding([1, 1.5])).toThrow(/padding\[1\].*got 1.5/);
    expect(() => torchPadding('same' as unknown as number)).toThrow(
      /number or \[h, w\], got "same"/,
    );
  });
});
