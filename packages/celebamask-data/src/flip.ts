import { CELEBAMASK_FLIP_PAIRS, flipLabelTable } from '@facepar/metrics';
import type { SegSample } from './sample.js';

// mmseg `RandomFlip` for faces: the mirror swaps the left/right classes.

export interface FlipOptions {
  /**
   * Left/right label pairs swapped by the flip (a face's left eye becomes its right eye).
   * Default `CELEBAMASK_FLIP_PAIRS`; `[]` reproduces mmseg's plain flip.
   */
  pairs?: readonly (readonly [number, number])[];
}

/** Horizontal mirror of a label map, swapping the L/R label pairs. */
export function flipLabels(
  options: { labels: Uint8Array; width: number; height: number } & FlipOptions,
): Uint8Array {
  const table = flipLabelTable({ pairs: options.pairs ?? CELEBAMASK_FLIP_PAIRS });
  const { labels: src, width: w, height: h } = options;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) out[row + (w - 1 - x)] = table[src[row + x]!]!;
  }
  return out;
}

/** Horizontal mirror of an RGB HWC image. */
export function flipImage(options: {
  image: Uint8Array;
  width: number;
  height: number;
}): Uint8Array {
  const { image: src, width: w, height: h } = options;
  const out = new Uint8Array(src.length);
  for (let y = 0; y < h; y++) {
    const row = y * w * 3;
    for (let x = 0; x < w; x++) {
      const s = row + 3 * x;
      const d = row + 3 * (w - 1 - x);
      out[d] = src[s]!;
      out[d + 1] = src[s + 1]!;
      out[d + 2] = src[s + 2]!;
    }
  }
  return out;
}

/** Horizontal mirror of image and labels, swapping the L/R label pairs. */
export function flipSample(options: { sample: SegSample } & FlipOptions): SegSample {
  const { sample } = options;
  const table = flipLabelTable({ pairs: options.pairs ?? CELEBAMASK_FLIP_PAIRS });
  const { width: w, height: h } = sample;
  const image = new Uint8Array(sample.image.length);
  const labels = new Uint8Array(sample.labels.length);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const s = row + x;
      const d = row + (w - 1 - x);
      labels[d] = table[sample.labels[s]!]!;
      image[3 * d] = sample.image[3 * s]!;
      image[3 * d + 1] = sample.image[3 * s + 1]!;
      image[3 * d + 2] = sample.image[3 * s + 2]!;
    }
  }
  return { image, labels, width: w, height: h };
}
