import { describe, expect, it } from 'vitest';
import { rescaleSize, resizeImageBilinear } from './resize.js';

/** Deterministic bytes (a 32-bit LCG): the package has no RNG of its own. */
function bytes(n: number, seed: number): Uint8Array {
  let s = seed >>> 0;
  return Uint8Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 24;
  });
}

function rgbRow(values: number[]): Uint8Array {
  return Uint8Array.from(values.flatMap((v) => [v, v, v]));
}

describe('rescaleSize', () => {
  it('follows mmcv keep-ratio rules', () => {
    expect(rescaleSize({ width: 512, height: 512, scale: [2048, 512] })).toEqual({
      width: 512,
      height: 512,
    });
    expect(rescaleSize({ width: 512, height: 512, scale: [1024, 256] })).toEqual({
      width: 256,
      height: 256,
    });
    expect(rescaleSize({ width: 1024, height: 512, scale: [4096, 1024] })).toEqual({
      width: 2048,
      height: 1024,
    });
    // long side binds: 3000x500 into (2048, 512): f = min(2048/3000, 512/500)
    expect(rescaleSize({ width: 3000, height: 500, scale: [2048, 512] })).toEqual({
      width: 2048,
      height: 341,
    });
  });
});

describe('resizeImageBilinear', () => {
  it('samples at half-pixel centres', () => {
    const up = resizeImageBilinear({
      image: rgbRow([0, 100]),
      width: 2,
      height: 1,
      outWidth: 4,
      outHeight: 1,
    });
    expect([...up]).toEqual([...rgbRow([0, 25, 75, 100])]);
    const down = resizeImageBilinear({
      image: rgbRow([0, 100, 200, 40]),
      width: 4,
      height: 1,
      outWidth: 2,
      outHeight: 1,
    });
    expect([...down]).toEqual([...rgbRow([50, 120])]);
  });

  it('is exact bilinear up to the 11-bit fixed-point weights (cv2 INTER_LINEAR)', () => {
    const [w, h] = [23, 17];
    const image = bytes(w * h * 3, 8);
    // float64 reference: half-pixel centres, clamped taps, rounded to the nearest byte
    const exact = (ow: number, oh: number) => {
      const out = new Uint8Array(ow * oh * 3);
      const tap = (j: number, n: number, on: number) => {
        const f = Math.max(0, (j + 0.5) * (n / on) - 0.5);
        const a = Math.min(Math.floor(f), n - 1);
        return [a, Math.min(a + 1, n - 1), f - a] as const;
      };
      for (let y = 0; y < oh; y++) {
        const [y0, y1, fy] = tap(y, h, oh);
        for (let x = 0; x < ow; x++) {
          const [x0, x1, fx] = tap(x, w, ow);
          for (let c = 0; c < 3; c++) {
            const p = (yy: number, xx: number) => image[(yy * w + xx) * 3 + c]!;
            const top = p(y0, x0) + (p(y0, x1) - p(y0, x0)) * fx;
            const bot = p(y1, x0) + (p(y1, x1) - p(y1, x0)) * fx;
            out[(y * ow + x) * 3 + c] = Math.round(top + (bot - top) * fy);
          }
        }
      }
      return out;
    };
    for (const [ow, oh] of [
      [40, 29],
      [14, 11],
      [23, 17],
    ] as const) {
      const got = resizeImageBilinear({ image, width: w, height: h, outWidth: ow, outHeight: oh });
      const want = exact(ow, oh);
      let maxDiff = 0;
      let diffs = 0;
      for (let i = 0; i < want.length; i++) {
        const d = Math.abs(got[i]! - want[i]!);
        maxDiff = Math.max(maxDiff, d);
        if (d) diffs++;
      }
      expect(maxDiff).toBeLessThanOrEqual(1);
      expect(diffs / want.length).toBeLessThan(0.05);
      if (ow === w) expect(diffs).toBe(0); // same size: the identity
    }
  });
});
