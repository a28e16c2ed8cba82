import { resizeCropBilinear, resizeImageBilinear } from '@facepar/image';
import { describe, expect, it } from 'vitest';
import { cropSample } from './crop.js';
import { flipImage } from './flip.js';
import { randomResizeSize, resizeLabelsCentred } from './resize.js';
import { createRng } from './rng.js';

describe('resize', () => {
  it('randomResizeSize draws ratio 0.5..2 of 512 for a 512² image, deterministic per seed', () => {
    const rng = createRng({ seed: 1 });
    const sizes = Array.from(
      { length: 400 },
      () => randomResizeSize({ width: 512, height: 512, rng }).width,
    );
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(256);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(1024);
    expect(Math.min(...sizes)).toBeLessThan(270);
    expect(Math.max(...sizes)).toBeGreaterThan(1000);
    const again = createRng({ seed: 1 });
    expect(randomResizeSize({ width: 512, height: 512, rng: again }).width).toBe(sizes[0]);
  });

  it('nearest label resize samples at half-pixel centres (aligned with the bilinear image)', () => {
    const lab = resizeLabelsCentred({
      labels: Uint8Array.from([1, 2, 3]),
      width: 3,
      height: 1,
      outWidth: 6,
      outHeight: 1,
    });
    expect([...lab]).toEqual([1, 1, 2, 2, 3, 3]);
  });

  it('equals resize-then-crop (and its mirror when flipped)', () => {
    const rng = createRng({ seed: 4 });
    const image = Uint8Array.from({ length: 9 * 7 * 3 }, () => rng.int(0, 255));
    for (const [ow, oh] of [
      [15, 11],
      [5, 4],
    ] as const) {
      const full = resizeImageBilinear({ image, width: 9, height: 7, outWidth: ow, outHeight: oh });
      const box = { x: 1, y: 1, width: ow - 2, height: oh - 1 };
      const ref = cropSample({
        sample: { image: full, labels: new Uint8Array(ow * oh), width: ow, height: oh },
        box,
      }).image;
      const args = { image, width: 9, height: 7, outWidth: ow, outHeight: oh, box };
      expect([...resizeCropBilinear(args)]).toEqual([...ref]);
      const mirrored = flipImage({ image: ref, width: box.width, height: box.height });
      expect([...resizeCropBilinear({ ...args, flip: true })]).toEqual([...mirrored]);
    }
  });
});
