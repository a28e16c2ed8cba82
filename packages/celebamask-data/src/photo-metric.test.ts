import { describe, expect, it } from 'vitest';
import { applyPhotoMetric, drawPhotoMetric } from './photo-metric.js';
import { createRng } from './rng.js';

describe('photoMetricDistortion', () => {
  it('draws each step with p = 0.5 in mmseg order, hue in [-18, 17]', () => {
    const rng = createRng({ seed: 5 });
    let b = 0;
    let c = 0;
    let sat = 0;
    let hue = 0;
    let first = 0;
    const hues = new Set<number>();
    const N = 4000;
    for (let i = 0; i < N; i++) {
      const d = drawPhotoMetric({ rng });
      if (d.brightness !== null) {
        b++;
        expect(Math.abs(d.brightness)).toBeLessThanOrEqual(32);
      }
      if (d.contrast !== null) {
        c++;
        expect(d.contrast).toBeGreaterThanOrEqual(0.5);
        expect(d.contrast).toBeLessThan(1.5);
      }
      if (d.saturation !== null) sat++;
      if (d.hue !== null) {
        hue++;
        hues.add(d.hue);
      }
      if (d.contrastFirst) first++;
    }
    for (const n of [b, c, sat, hue, first]) expect(Math.abs(n / N - 0.5)).toBeLessThan(0.035);
    expect(Math.min(...hues)).toBe(-18);
    expect(Math.max(...hues)).toBe(17);
    expect(hues.size).toBe(36);
  });

  it('brightness/contrast clip and truncate like mmseg convert', () => {
    const img = Uint8Array.from([250, 3, 100]);
    applyPhotoMetric({
      image: img,
      draw: { brightness: 10.7, contrastFirst: true, contrast: null, saturation: null, hue: null },
    });
    expect([...img]).toEqual([255, 13, 110]);
    const img2 = Uint8Array.from([200, 100, 1]);
    applyPhotoMetric({
      image: img2,
      draw: { brightness: null, contrastFirst: false, contrast: 1.5, saturation: null, hue: null },
    });
    expect([...img2]).toEqual([255, 150, 1]);
  });

  it('composes brightness and contrast like two truncating passes', () => {
    const img = Uint8Array.from([100, 0, 250]);
    applyPhotoMetric({
      image: img,
      draw: { brightness: 10.7, contrastFirst: true, contrast: 1.5, saturation: null, hue: null },
    });
    // floor(floor(100 + 10.7) * 1.5) = 165; floor(floor(0 + 10.7) * 1.5) = 15; 255 clipped
    expect([...img]).toEqual([165, 15, 255]);
  });

  it('gives the bytes of separate truncating passes on any buffer offset and length', () => {
    const rng = createRng({ seed: 9 });
    const base = Uint8Array.from({ length: 64 + 11 }, () => rng.int(0, 255));
    const conv = (v: number, a: number, b: number) =>
      Math.min(255, Math.max(0, Math.floor(v * a + b)));
    for (const [start, end] of [
      [0, 75],
      [1, 74],
      [3, 70],
      [2, 5],
    ] as const) {
      const buf = base.slice();
      const img = buf.subarray(start, end);
      const draw = {
        brightness: -7.3,
        contrastFirst: false,
        contrast: 1.3,
        saturation: null,
        hue: null,
      };
      applyPhotoMetric({ image: img, draw });
      const expected = [...base.subarray(start, end)].map((v) => conv(conv(v, 1, -7.3), 1.3, 0));
      expect([...img]).toEqual(expected);
      expect([...buf.subarray(0, start)]).toEqual([...base.subarray(0, start)]);
      expect([...buf.subarray(end)]).toEqual([...base.subarray(end)]);
      // brightness before the HSV step: same bytes as applying it on its own first
      const hsvDraw = {
        brightness: 12.5,
        contrastFirst: true,
        contrast: 0.8,
        saturation: 1.4,
        hue: 7,
      };
      const fused = base.slice(start, end - ((end - start) % 3));
      const split = fused.slice();
      applyPhotoMetric({ image: fused, draw: hsvDraw });
      applyPhotoMetric({ image: split, draw: { ...hsvDraw, saturation: null, hue: null } });
      applyPhotoMetric({
        image: split,
        draw: { ...hsvDraw, brightness: null, contrast: null },
      });
      expect([...fused]).toEqual([...split]);
    }
  });

  it('saturation and hue act in 8-bit HSV (hue unit = 2 degrees)', () => {
    const red = Uint8Array.from([255, 0, 0]);
    applyPhotoMetric({
      image: red,
      draw: { brightness: null, contrastFirst: true, contrast: null, saturation: null, hue: 60 },
    });
    expect([...red]).toEqual([0, 255, 0]);
    const red2 = Uint8Array.from([255, 0, 0]);
    applyPhotoMetric({
      image: red2,
      draw: { brightness: null, contrastFirst: true, contrast: null, saturation: 0.5, hue: null },
    });
    expect([...red2]).toEqual([255, 128, 128]);
    // a round trip with no change stays within the 8-bit HSV rounding
    const rng = createRng({ seed: 2 });
    const img = Uint8Array.from({ length: 3000 }, () => rng.int(0, 255));
    const copy = img.slice();
    applyPhotoMetric({
      image: img,
      draw: { brightness: null, contrastFirst: true, contrast: null, saturation: 1, hue: 0 },
    });
    let maxErr = 0;
    for (let i = 0; i < img.length; i++) maxErr = Math.max(maxErr, Math.abs(img[i]! - copy[i]!));
    expect(maxErr).toBeLessThanOrEqual(5);
  });
});
