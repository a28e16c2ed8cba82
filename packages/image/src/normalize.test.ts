import { describe, expect, it } from 'vitest';
import { IMAGENET_MEAN, IMAGENET_STD, normalizationLuts, normalizeImage } from './normalize.js';

describe('normalizeImage', () => {
  it('normalizes with the ImageNet RGB mean/std', () => {
    const out = normalizeImage({ image: Uint8Array.from([255, 0, 104]) });
    expect(out[0]).toBeCloseTo((255 - 123.675) / 58.395, 5);
    expect(out[1]).toBeCloseTo(-116.28 / 57.12, 5);
    expect(out[2]).toBeCloseTo((104 - 103.53) / 57.375, 5);
  });

  it('writes into a buffer at an offset, per channel, and names bad mean/std', () => {
    const out = new Float32Array(8).fill(-9);
    normalizeImage({
      image: Uint8Array.from([10, 20, 30, 40, 50, 60]),
      out,
      offset: 1,
      mean: [10, 20, 30],
      std: [1, 2, 5],
    });
    expect([...out]).toEqual([-9, 0, 0, 0, 30, 15, 6, -9]);
    expect(() => normalizeImage({ image: new Uint8Array(3), std: [1, 0, 1] })).toThrow(
      /std \[1, 0, 1\] must be 3 values, std > 0/,
    );
    // a table applied first (a photometric step) composes into the lookup
    const before = Uint8Array.from({ length: 256 }, (_, v) => 255 - v);
    const [r] = normalizationLuts(IMAGENET_MEAN, IMAGENET_STD, before);
    expect(r[0]).toBeCloseTo((255 - 123.675) / 58.395, 5);
  });
});
