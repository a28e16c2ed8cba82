import { describe, expect, it } from 'vitest';
import { normalizePadInto, padSample } from './normalize.js';
import { applyPhotoMetric, drawPhotoMetric } from './photo-metric.js';
import { createRng } from './rng.js';

describe('normalize and pad', () => {
  it('with a photometric draw, gives the floats of applyPhotoMetric then normalizePadInto', () => {
    const rng = createRng({ seed: 21 });
    const [w, h, W, H] = [7, 5, 9, 6];
    const image = Uint8Array.from({ length: w * h * 3 }, () => rng.int(0, 255));
    const labels = Uint8Array.from({ length: w * h }, () => rng.int(0, 18));
    const seen = new Set<string>();
    for (let k = 0; k < 200; k++) {
      const draw = drawPhotoMetric({ rng });
      const kind = `${draw.saturation !== null || draw.hue !== null}/${draw.contrastFirst}/${draw.contrast !== null}/${draw.brightness !== null}`;
      seen.add(kind);
      const bytes = image.slice();
      applyPhotoMetric({ image: bytes, draw });
      const base = { labels, width: w, height: h, outWidth: W, outHeight: H, imageOffset: 6 };
      const want = new Float32Array(6 + W * H * 3).fill(-9);
      const wantLabels = new Int32Array(W * H);
      normalizePadInto({ ...base, image: bytes, outImage: want, outLabels: wantLabels });
      const got = new Float32Array(6 + W * H * 3).fill(-9);
      const gotLabels = new Int32Array(W * H);
      normalizePadInto({ ...base, image, photoMetric: draw, outImage: got, outLabels: gotLabels });
      expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
      expect([...gotLabels]).toEqual([...wantLabels]);
    }
    // every combination of HSV step / contrast mode / contrast / brightness was drawn
    expect(seen.size).toBe(16);
  });

  it('contrast after the HSV step gives the bytes of a separate pass', () => {
    const rng = createRng({ seed: 4 });
    const img = Uint8Array.from({ length: 300 }, () => rng.int(0, 255));
    const draw = { brightness: 9.5, contrastFirst: false, contrast: 1.3, saturation: 0.7, hue: -5 };
    const fused = img.slice();
    applyPhotoMetric({ image: fused, draw });
    const split = img.slice();
    applyPhotoMetric({ image: split, draw: { ...draw, contrast: null } });
    applyPhotoMetric({
      image: split,
      draw: { ...draw, brightness: null, saturation: null, hue: null },
    });
    expect([...fused]).toEqual([...split]);
  });

  it('pads bottom/right with 0 (image) and 255 (labels)', () => {
    const p = padSample({
      image: Float32Array.from([1, 2, 3, 4, 5, 6]),
      labels: Uint8Array.from([7, 8]),
      width: 2,
      height: 1,
      size: [2, 3],
    });
    expect([p.width, p.height]).toEqual([3, 2]);
    expect([...p.labels]).toEqual([7, 8, 255, 255, 255, 255]);
    expect([...p.image.subarray(0, 9)]).toEqual([1, 2, 3, 4, 5, 6, 0, 0, 0]);
    expect(() =>
      padSample({
        image: new Float32Array(3),
        labels: new Uint8Array(1),
        width: 1,
        height: 1,
        size: [0, 0],
      }),
    ).toThrow(/larger than the pad size/);
  });
});
