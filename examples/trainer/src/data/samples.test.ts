import { describe, expect, it } from 'vitest';
import { type Sample, cropRescaled, keepRatioScale } from './samples.js';

function sample(id: string, w: number, h: number, fill: (x: number, y: number) => number): Sample {
  const image = new Uint8Array(w * h * 3);
  const labels = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      labels[y * w + x] = fill(x, y);
      image.fill(fill(x, y) * 10, (y * w + x) * 3, (y * w + x) * 3 + 3);
    }
  }
  return { id, image, labels, width: w, height: h };
}

describe('samples', () => {
  it('keepRatioScale follows mmseg RandomResize keep_ratio', () => {
    expect(keepRatioScale({ width: 512, height: 512, short: 512, long: 2048 })).toBe(1);
    expect(keepRatioScale({ width: 1000, height: 500, short: 512, long: 800 })).toBe(0.8);
  });

  it('crop at scale 1 without flip is an exact copy; flip mirrors; outside is padded', () => {
    const s = sample('a', 4, 4, (x, y) => y * 4 + x);
    const same = cropRescaled({
      sample: s,
      scale: 1,
      y0: 0,
      x0: 0,
      cropSize: [4, 4],
      flip: false,
      ignoreIndex: 255,
    });
    expect([...same.labels]).toEqual([...s.labels]);
    expect(same.image[3 * 5]).toBe(50);
    const flipped = cropRescaled({
      sample: s,
      scale: 1,
      y0: 1,
      x0: 1,
      cropSize: [4, 4],
      flip: true,
      ignoreIndex: 255,
    });
    expect([...flipped.labels.subarray(0, 4)]).toEqual([255, 7, 6, 5]);
    expect([...flipped.labels.subarray(12)]).toEqual([255, 255, 255, 255]);
  });
});
