import { describe, expect, it } from 'vitest';
import { cropSample, randomCropBox } from './crop.js';
import { flipLabels } from './flip.js';
import { cropLazyLabels, lazyResizeLabels, resizeLabelsCentred } from './resize.js';
import { createRng } from './rng.js';
import type { SegSample } from './sample.js';

describe('randomCropBox', () => {
  // 20x10: class 1 everywhere but columns 17..19 (class 2). With a 10x10 crop only x = 10 holds
  // 30% of class 2 (< 0.75 for class 1); x = 9 holds 20% (class 1 at 80%).
  const W = 20;
  const H = 10;
  const labels = new Uint8Array(W * H).fill(1);
  for (let y = 0; y < H; y++) for (let x = 17; x < 20; x++) labels[y * W + x] = 2;

  it('retries up to 10 times while one class has >= catMaxRatio', () => {
    let good = 0;
    let goodPlain = 0;
    for (let seed = 0; seed < 300; seed++) {
      const box = randomCropBox({
        labels,
        width: W,
        height: H,
        rng: createRng({ seed }),
        cropSize: 10,
      });
      expect([box.y, box.width, box.height]).toEqual([0, 10, 10]);
      if (box.x === 10) good++;
      const plain = randomCropBox({
        labels,
        width: W,
        height: H,
        rng: createRng({ seed }),
        cropSize: 10,
        catMaxRatio: 1,
      });
      if (plain.x === 10) goodPlain++;
    }
    // P(x = 10) is 1 - (10/11)^11 = 0.65 with retries, 1/11 = 0.09 without
    expect(good / 300).toBeGreaterThan(0.55);
    expect(good / 300).toBeLessThan(0.75);
    expect(goodPlain / 300).toBeLessThan(0.16);
  });

  it('does not count ignore pixels and clips crops larger than the image', () => {
    const withIgnore = labels.slice();
    for (let y = 0; y < H; y++)
      for (let x = 0; x < 17; x++) if (x % 2 === 0) withIgnore[y * W + x] = 255;
    const box = randomCropBox({
      labels: withIgnore,
      width: W,
      height: H,
      rng: createRng({ seed: 0 }),
      cropSize: [30, 40],
    });
    expect(box).toEqual({ x: 0, y: 0, width: 20, height: 10 });
    expect(() =>
      randomCropBox({ labels, width: W, height: H, rng: createRng({ seed: 0 }), catMaxRatio: 0 }),
    ).toThrow(/catMaxRatio 0 must be in \(0, 1\]/);
  });

  it('a lazily resized map gives the same crops and boxes as a materialised one', () => {
    const src = Uint8Array.from({ length: 7 * 5 }, (_, i) => (i * 37) % 19);
    const full = resizeLabelsCentred({
      labels: src,
      width: 7,
      height: 5,
      outWidth: 11,
      outHeight: 9,
    });
    const lazy = lazyResizeLabels({ labels: src, width: 7, height: 5, outWidth: 11, outHeight: 9 });
    const box = { x: 3, y: 2, width: 6, height: 5 };
    const expected: number[] = [];
    for (let y = 0; y < 5; y++)
      for (let x = 0; x < 6; x++) expected.push(full[(2 + y) * 11 + 3 + x]!);
    expect([...cropLazyLabels({ labels: lazy, box })]).toEqual(expected);
    // the fused mirror equals flipLabels on the crop, at upscales (repeated rows) and downscales
    for (const [ow, oh] of [
      [11, 9],
      [4, 3],
      [21, 17],
    ] as const) {
      const lz = lazyResizeLabels({
        labels: src,
        width: 7,
        height: 5,
        outWidth: ow,
        outHeight: oh,
      });
      const b = { x: 1, y: 1, width: ow - 2, height: oh - 1 };
      const plain = cropLazyLabels({ labels: lz, box: b });
      const want = flipLabels({ labels: plain, width: b.width, height: b.height });
      expect([...cropLazyLabels({ labels: lz, box: b, flip: true })]).toEqual([...want]);
      expect(want.some((v, i) => v !== plain[i])).toBe(true);
    }
    for (let seed = 0; seed < 20; seed++) {
      const a = randomCropBox({
        labels: full,
        width: 11,
        height: 9,
        rng: createRng({ seed }),
        cropSize: 4,
      });
      const b = randomCropBox({
        labels: lazy,
        width: 11,
        height: 9,
        rng: createRng({ seed }),
        cropSize: 4,
      });
      expect(b).toEqual(a);
    }
    // large regions force redraws; up- and downscaled maps, crops clipped at the border
    const blocks = Uint8Array.from({ length: 16 * 12 }, (_, i) => ((i % 16) >> 3) + 2 * (i >> 7));
    for (const [ow, oh, crop] of [
      [37, 29, 9],
      [10, 7, 6],
      [16, 12, 20],
    ] as const) {
      const m = { labels: blocks, width: 16, height: 12, outWidth: ow, outHeight: oh };
      for (let seed = 0; seed < 30; seed++) {
        const opts = { width: ow, height: oh, cropSize: crop, catMaxRatio: 0.6 };
        const a = randomCropBox({
          ...opts,
          labels: resizeLabelsCentred(m),
          rng: createRng({ seed }),
        });
        const b = randomCropBox({ ...opts, labels: lazyResizeLabels(m), rng: createRng({ seed }) });
        expect(b).toEqual(a);
      }
    }
  });

  it('cropSample takes the same box from image and labels', () => {
    const s: SegSample = {
      image: Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => i),
      labels: Uint8Array.from({ length: 12 }, (_, i) => i),
      width: 4,
      height: 3,
    };
    const c = cropSample({ sample: s, box: { x: 1, y: 1, width: 2, height: 2 } });
    expect([...c.labels]).toEqual([5, 6, 9, 10]);
    expect([...c.image.subarray(0, 3)]).toEqual([15, 16, 17]);
    expect([...c.image.subarray(9, 12)]).toEqual([30, 31, 32]);
  });
});
