import { CELEBAMASK_IGNORE_INDEX } from '@facepar/metrics';
import { type LazyResizedLabels, lazyResizeLabels } from './resize.js';
import type { Rng } from './rng.js';
import type { SegSample } from './sample.js';

// mmseg `RandomCrop(cat_max_ratio)`: the crop box search and crops of samples.

export interface CropBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface RandomCropOptions {
  /** [height, width] (an int means square). */
  cropSize?: number | readonly [number, number];
  /** Retry (up to 10 times) while one class covers >= this share of the crop (1 = off). */
  catMaxRatio?: number;
  ignoreIndex?: number;
}

export const DEFAULT_RANDOM_CROP_OPTIONS = {
  cropSize: 512,
  catMaxRatio: 0.75,
  ignoreIndex: CELEBAMASK_IGNORE_INDEX,
} as const;

function cropHw(cropSize: number | readonly [number, number]): [number, number] {
  const hw: [number, number] =
    typeof cropSize === 'number' ? [cropSize, cropSize] : [cropSize[0], cropSize[1]];
  if (!hw.every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error(
      `randomCrop: cropSize ${JSON.stringify(cropSize)} must be a positive integer or [h, w]`,
    );
  }
  return hw;
}

/**
 * mmseg `RandomCrop.crop_bbox`: a random box (clipped to the image), redrawn up to 10 times
 * while it holds fewer than 2 classes or one class has `catMaxRatio` or more of its labelled
 * pixels; after 10 redraws the last box is kept.
 */
export function randomCropBox(
  options: {
    labels: Uint8Array | LazyResizedLabels;
    width: number;
    height: number;
    rng: Rng;
  } & RandomCropOptions,
): CropBox {
  const [ch, cw] = cropHw(options.cropSize ?? DEFAULT_RANDOM_CROP_OPTIONS.cropSize);
  const catMaxRatio = options.catMaxRatio ?? DEFAULT_RANDOM_CROP_OPTIONS.catMaxRatio;
  const ignoreIndex = options.ignoreIndex ?? DEFAULT_RANDOM_CROP_OPTIONS.ignoreIndex;
  if (!(catMaxRatio > 0 && catMaxRatio <= 1)) {
    throw new Error(`randomCrop: catMaxRatio ${catMaxRatio} must be in (0, 1]`);
  }
  const { width, height, rng } = options;
  // a materialised map is a lazy one with identity index maps
  const view: LazyResizedLabels =
    options.labels instanceof Uint8Array
      ? lazyResizeLabels({
          labels: options.labels,
          width,
          height,
          outWidth: width,
          outHeight: height,
        })
      : options.labels;
  if (view.width !== width || view.height !== height) {
    throw new Error(
      `randomCrop: labels are ${view.width}x${view.height}, expected ${width}x${height}`,
    );
  }
  const { source, xs, ys } = view;
  const draw = (): CropBox => {
    const x = rng.int(0, Math.max(width - cw, 0));
    const y = rng.int(0, Math.max(height - ch, 0));
    return { x, y, width: Math.min(cw, width - x), height: Math.min(ch, height - y) };
  };
  let box = draw();
  if (catMaxRatio < 1) {
    const counts = new Uint32Array(256);
    // an upscaled map repeats source columns and rows: count each source label once, times the
    // number of output pixels it covers (same counts, a quarter of the reads at 2x)
    const cols = new Int32Array(cw);
    const colMul = new Uint32Array(cw);
    for (let attempt = 0; attempt < 10; attempt++) {
      counts.fill(0);
      let nc = 0;
      for (let xx = box.x; xx < box.x + box.width; xx++) {
        const sx = xs[xx]!;
        if (nc > 0 && cols[nc - 1] === sx) colMul[nc - 1]!++;
        else {
          cols[nc] = sx;
          colMul[nc++] = 1;
        }
      }
      for (let yy = box.y; yy < box.y + box.height; ) {
        const row = ys[yy]!;
        let rowMul = 1;
        for (yy++; yy < box.y + box.height && ys[yy] === row; yy++) rowMul++;
        // label maps are runs: add each run once (no back-to-back increments of one bin)
        let prev = source[row + cols[0]!]!;
        let run = colMul[0]!;
        for (let k = 1; k < nc; k++) {
          const v = source[row + cols[k]!]!;
          if (v === prev) run += colMul[k]!;
          else {
            counts[prev]! += run * rowMul;
            prev = v;
            run = colMul[k]!;
          }
        }
        counts[prev]! += run * rowMul;
      }
      counts[ignoreIndex] = 0;
      let classes = 0;
      let max = 0;
      let sum = 0;
      for (let c = 0; c < 256; c++) {
        const n = counts[c]!;
        if (n === 0) continue;
        classes++;
        sum += n;
        if (n > max) max = n;
      }
      if (classes > 1 && max / sum < catMaxRatio) break;
      box = draw();
    }
  }
  return box;
}

/** Crops image and labels to `box`. */
export function cropSample(options: {
  sample: SegSample;
  box: CropBox;
  labelsOnly?: boolean;
}): SegSample {
  const { sample, box } = options;
  const { width: W } = sample;
  const image = new Uint8Array(options.labelsOnly ? 0 : box.width * box.height * 3);
  const labels = new Uint8Array(box.width * box.height);
  for (let y = 0; y < box.height; y++) {
    const src = (box.y + y) * W + box.x;
    if (!options.labelsOnly) {
      image.set(sample.image.subarray(src * 3, (src + box.width) * 3), y * box.width * 3);
    }
    labels.set(sample.labels.subarray(src, src + box.width), y * box.width);
  }
  return { image, labels, width: box.width, height: box.height };
}
