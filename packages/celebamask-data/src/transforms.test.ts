import { describe, expect, it } from 'vitest';
import { createRng } from './rng.js';
import {
  applyPhotoMetric,
  cropLazyLabels,
  cropSample,
  flipImage,
  flipLabels,
  drawPhotoMetric,
  flipSample,
  normalizeImage,
  normalizePadInto,
  lazyResizeLabels,
  padSample,
  randomCropBox,
  randomResizeSize,
  rescaleSize,
  resizeCropBilinear,
  resizeImageBilinear,
  resizeLabelsCentred,
  type SegSample,
} from './transforms.js';

function rgbRow(values: number[]): Uint8Array {
  return Uint8Array.from(values.flatMap((v) => [v, v, v]));
}

describe('resize', () => {
  it('rescaleSize follows mmcv keep-ratio rules', () => {
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

  it('bilinear and nearest both sample at half-pixel centres', () => {
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
    const lab = resizeLabelsCentred({
      labels: Uint8Array.from([1, 2, 3]),
      width: 3,
      height: 1,
      outWidth: 6,
      outHeight: 1,
    });
    expect([...lab]).toEqual([1, 1, 2, 2, 3, 3]);
  });
});

describe('resizeCropBilinear', () => {
  it('is exact bilinear up to the 11-bit fixed-point weights (cv2 INTER_LINEAR)', () => {
    const rng = createRng({ seed: 8 });
    const [w, h] = [23, 17];
    const image = Uint8Array.from({ length: w * h * 3 }, () => rng.int(0, 255));
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

describe('flipSample', () => {
  const s: SegSample = {
    image: Uint8Array.from([
      1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6, 7, 7, 7, 8, 8, 8,
    ]),
    labels: Uint8Array.from([4, 6, 8, 1, 5, 7, 9, 255]),
    width: 4,
    height: 2,
  };

  it('mirrors pixels and swaps the L/R pairs exactly', () => {
    const f = flipSample({ sample: s });
    expect([...f.labels]).toEqual([1, 9, 7, 5, 255, 8, 6, 4]);
    expect([...f.image.filter((_, i) => i % 3 === 0)]).toEqual([4, 3, 2, 1, 8, 7, 6, 5]);
    const plain = flipSample({ sample: s, pairs: [] });
    expect([...plain.labels]).toEqual([1, 8, 6, 4, 255, 9, 7, 5]);
  });

  it('applied twice is the identity', () => {
    const twice = flipSample({ sample: flipSample({ sample: s }) });
    expect([...twice.labels]).toEqual([...s.labels]);
    expect([...twice.image]).toEqual([...s.image]);
  });
});

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

describe('normalize and pad', () => {
  it('normalizes with the ImageNet RGB mean/std', () => {
    const out = normalizeImage({ image: Uint8Array.from([255, 0, 104]) });
    expect(out[0]).toBeCloseTo((255 - 123.675) / 58.395, 5);
    expect(out[1]).toBeCloseTo(-116.28 / 57.12, 5);
    expect(out[2]).toBeCloseTo((104 - 103.53) / 57.375, 5);
  });

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
