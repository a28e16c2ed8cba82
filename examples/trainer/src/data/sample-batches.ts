import { type RngState, createRng, mixSeed } from '@facepar/celebamask-data';
import * as tf from '@tensorflow/tfjs-core';
import type { Batch, BatchSource } from '../train/train-loop.js';

// TODO(move to @facepar/celebamask-data): the mmseg training pipeline (RandomResize,
// RandomCrop with cat_max_ratio, RandomFlip with L/R swap, normalisation) and a resumable
// loader belong to the data package's transforms and `createLoader`; this is the minimal
// version the trainer needs until they land. PhotoMetricDistortion is not implemented.

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

export interface SampleBatchesOptions {
  samples: readonly Sample[];
  batchSize: number;
  cropSize: [number, number];
  resizeShort: number;
  resizeLong: number;
  ratioRange: [number, number];
  catMaxRatio: number;
  flipProb: number;
  /** Class pairs swapped by a horizontal flip, e.g. [[4,5],[6,7],[8,9]]. */
  flipPairs: readonly (readonly [number, number])[];
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  ignoreIndex: number;
  seed: number;
}

interface SampleBatchesState {
  epoch: number;
  cursor: number;
  rng: RngState;
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

function dominantRatio(
  labels: Uint8Array,
  ignoreIndex: number,
): { ratio: number; classes: number } {
  const counts = new Map<number, number>();
  let total = 0;
  for (const v of labels) {
    if (v === ignoreIndex) continue;
    counts.set(v, (counts.get(v) ?? 0) + 1);
    total++;
  }
  const max = Math.max(0, ...counts.values());
  return { ratio: total === 0 ? 1 : max / total, classes: counts.size };
}

/**
 * Random batches over in-memory samples: a shuffled order per epoch (a pure function of seed
 * and epoch) and augmentation from one seeded RNG whose state is saved, so `getState` /
 * `setState` resume the exact stream.
 */
export class SampleBatches implements BatchSource {
  private readonly o: SampleBatchesOptions;
  private readonly swap: Uint8Array;
  private epoch = 0;
  private cursor = 0;
  private order: number[] = [];
  private readonly rng;

  constructor(options: SampleBatchesOptions) {
    if (options.samples.length === 0) throw new Error('SampleBatches: no samples to train on');
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
      throw new Error(`SampleBatches: batchSize must be an integer >= 1, got ${options.batchSize}`);
    }
    this.o = options;
    this.swap = new Uint8Array(256).map((_, i) => i);
    for (const [a, b] of options.flipPairs) {
      this.swap[a] = b;
      this.swap[b] = a;
    }
    this.rng = createRng({ seed: mixSeed(options.seed, 1) });
    this.order = this.epochOrder(0);
  }

  private epochOrder(epoch: number): number[] {
    const order = this.o.samples.map((_, i) => i);
    return createRng({ seed: mixSeed(this.o.seed, 2, epoch) }).shuffle(order);
  }

  private nextIndex(): number {
    if (this.cursor >= this.order.length) {
      this.epoch++;
      this.cursor = 0;
      this.order = this.epochOrder(this.epoch);
    }
    return this.order[this.cursor++]!;
  }

  /** One augmented sample: normalised image `[h,w,3]` and labels `[h,w]`. */
  private augment(sample: Sample): { image: Float32Array; labels: Uint8Array } {
    const { cropSize, ratioRange, catMaxRatio, flipProb, ignoreIndex, mean, std } = this.o;
    const r = this.rng.uniform(ratioRange[0], ratioRange[1]);
    const scale = keepRatioScale({
      width: sample.width,
      height: sample.height,
      short: this.o.resizeShort * r,
      long: this.o.resizeLong * r,
    });
    const sh = Math.round(sample.height * scale);
    const sw = Math.round(sample.width * scale);
    let y0 = 0;
    let x0 = 0;
    for (let attempt = 0; attempt < 10; attempt++) {
      y0 = this.rng.int(0, Math.max(0, sh - cropSize[0]));
      x0 = this.rng.int(0, Math.max(0, sw - cropSize[1]));
      if (catMaxRatio >= 1) break;
      const { labels } = cropRescaled({
        sample,
        scale,
        y0,
        x0,
        cropSize,
        flip: false,
        ignoreIndex,
        labelsOnly: true,
      });
      const { ratio, classes } = dominantRatio(labels, ignoreIndex);
      if (classes > 1 && ratio < catMaxRatio) break;
    }
    const flip = this.rng.random() < flipProb;
    const out = cropRescaled({ sample, scale, y0, x0, cropSize, flip, ignoreIndex });
    if (flip)
      for (let i = 0; i < out.labels.length; i++) out.labels[i] = this.swap[out.labels[i]!]!;
    const img = out.image;
    for (let i = 0; i < img.length; i += 3) {
      for (let c = 0; c < 3; c++) img[i + c] = (img[i + c]! - mean[c]!) / std[c]!;
    }
    return out;
  }

  async next(): Promise<Batch> {
    const { batchSize, cropSize } = this.o;
    const [h, w] = cropSize;
    const images = new Float32Array(batchSize * h * w * 3);
    const labels = new Int32Array(batchSize * h * w);
    for (let b = 0; b < batchSize; b++) {
      const s = this.augment(this.o.samples[this.nextIndex()]!);
      images.set(s.image, b * h * w * 3);
      labels.set(s.labels, b * h * w);
    }
    return {
      images: tf.tensor4d(images, [batchSize, h, w, 3]),
      labels: tf.tensor3d(labels, [batchSize, h, w], 'int32'),
    };
  }

  getState(): SampleBatchesState {
    return { epoch: this.epoch, cursor: this.cursor, rng: this.rng.state() };
  }

  setState(state: unknown): void {
    const s = state as SampleBatchesState;
    if (!s || !Number.isInteger(s.epoch) || !Number.isInteger(s.cursor) || !Array.isArray(s.rng)) {
      throw new Error(
        `SampleBatches: bad saved state ${JSON.stringify(state)}; expected { epoch, cursor, rng }`,
      );
    }
    this.epoch = s.epoch;
    this.cursor = s.cursor;
    this.order = this.epochOrder(s.epoch);
    this.rng.setState(s.rng);
  }
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
