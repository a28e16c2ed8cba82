import * as tf from '@tensorflow/tfjs-core';

// In-memory samples for evaluation (test-time resize + normalisation). Training batches come
// from the data package's `createLoader` (see loader-batches.ts).

/** One decoded image/label pair. */
export interface Sample {
  id: string;
  /** RGB, HWC, row-major. */
  image: Uint8Array;
  /** One class id per pixel (255 = ignore). */
  labels: Uint8Array;
  width: number;
  height: number;
}

/** Scale factor of mmseg `RandomResize(keep_ratio=True)` for one image and ratio. */
export function keepRatioScale(options: {
  width: number;
  height: number;
  short: number;
  long: number;
}): number {
  const { width, height, short, long } = options;
  return Math.min(long / Math.max(width, height), short / Math.min(width, height));
}

/**
 * Crops `[ch, cw]` at offset (y0, x0) out of the image rescaled by `scale`, resampling only
 * the crop (bilinear, half-pixel centres like cv2 for the image; nearest for labels); pixels
 * beyond the rescaled image are padded (image 0, labels `ignoreIndex`), like mmseg's Pad.
 */
export function cropRescaled(options: {
  sample: Sample;
  scale: number;
  y0: number;
  x0: number;
  cropSize: [number, number];
  flip: boolean;
  ignoreIndex: number;
  labelsOnly?: boolean;
}): { image: Float32Array; labels: Uint8Array } {
  const { sample, scale, y0, x0, cropSize, flip, ignoreIndex, labelsOnly = false } = options;
  const [ch, cw] = cropSize;
  const { width: w, height: h } = sample;
  const sh = Math.round(h * scale);
  const sw = Math.round(w * scale);
  const fy = h / sh;
  const fx = w / sw;
  const labels = new Uint8Array(ch * cw).fill(ignoreIndex);
  const image = new Float32Array(labelsOnly ? 0 : ch * cw * 3);
  for (let y = 0; y < ch; y++) {
    const sy = y + y0;
    if (sy >= sh) break;
    const ly = Math.min(h - 1, Math.floor((sy + 0.5) * fy));
    const gy = Math.min(h - 1, Math.max(0, (sy + 0.5) * fy - 0.5));
    const y1 = Math.floor(gy);
    const y2 = Math.min(h - 1, y1 + 1);
    const wy = gy - y1;
    for (let x = 0; x < cw; x++) {
      const sx = x + x0;
      if (sx >= sw) break;
      const ox = flip ? cw - 1 - x : x;
      const lx = Math.min(w - 1, Math.floor((sx + 0.5) * fx));
      labels[y * cw + ox] = sample.labels[ly * w + lx]!;
      if (labelsOnly) continue;
      const gx = Math.min(w - 1, Math.max(0, (sx + 0.5) * fx - 0.5));
      const x1 = Math.floor(gx);
      const x2 = Math.min(w - 1, x1 + 1);
      const wx = gx - x1;
      const o = (y * cw + ox) * 3;
      for (let c = 0; c < 3; c++) {
        const a = sample.image[(y1 * w + x1) * 3 + c]!;
        const b = sample.image[(y1 * w + x2) * 3 + c]!;
        const d = sample.image[(y2 * w + x1) * 3 + c]!;
        const e = sample.image[(y2 * w + x2) * 3 + c]!;
        image[o + c] = (a * (1 - wx) + b * wx) * (1 - wy) + (d * (1 - wx) + e * wx) * wy;
      }
    }
  }
  return { image, labels };
}

/** Normalises a whole sample resized to `size` `[h, w]` (test pipeline); caller owns the tensor. */
export function normalisedInput(options: {
  sample: Sample;
  scale: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}): tf.Tensor4D {
  const { sample, scale, mean, std } = options;
  const h = Math.round(sample.height * scale);
  const w = Math.round(sample.width * scale);
  const { image } = cropRescaled({
    sample,
    scale,
    y0: 0,
    x0: 0,
    cropSize: [h, w],
    flip: false,
    ignoreIndex: 255,
  });
  for (let i = 0; i < image.length; i += 3) {
    for (let c = 0; c < 3; c++) image[i + c] = (image[i + c]! - mean[c]!) / std[c]!;
  }
  return tf.tensor4d(image, [1, h, w, 3]);
}
