import { type DatasetLayout, openDataset } from '@facepar/celebamask-data';
import type { Shard } from '../args.js';
import { type Sample, cropRescaled } from './sample-batches.js';

export interface LoadSamplesOptions {
  root: string;
  layout?: DatasetLayout | 'auto';
  /** Split folder (`train`, `val`, ...); null = the whole root. */
  split?: string | null;
  /** Keep every item whose index % count === index (`--shard i/n`). */
  shard?: Shard;
  /** Downscale images and labels whose short side exceeds this (saves memory for training). */
  maxShort?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Downscales a sample (bilinear image, nearest labels) so its short side is `short`. */
export function downscaleSample(options: { sample: Sample; short: number }): Sample {
  const { sample, short } = options;
  const scale = short / Math.min(sample.width, sample.height);
  if (scale >= 1) return sample;
  const width = Math.round(sample.width * scale);
  const height = Math.round(sample.height * scale);
  const { image, labels } = cropRescaled({
    sample,
    scale,
    y0: 0,
    x0: 0,
    cropSize: [height, width],
    flip: false,
    ignoreIndex: 255,
  });
  return {
    id: sample.id,
    image: Uint8Array.from(image, (v) => Math.round(v)),
    labels,
    width,
    height,
  };
}

/**
 * Reads a dataset folder into memory through the data package's `openDataset` (sorted by id,
 * optionally sharded and downscaled). Images without masks fail naming the file.
 */
export async function loadSamples(options: LoadSamplesOptions): Promise<Sample[]> {
  const {
    root,
    layout = 'auto',
    split = 'train',
    shard = { index: 0, count: 1 },
    maxShort,
    onProgress,
  } = options;
  const dataset = await openDataset({ root, layout, split });
  const order = dataset.entries
    .map((e, i) => ({ id: e.id, i }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .filter((_, k) => k % shard.count === shard.index);
  const out: Sample[] = [];
  for (const { i } of order) {
    const s = await dataset.read(i);
    if (s.labels === null) {
      throw new Error(
        `${dataset.entries[i]!.image}: no mask for this image; every sample needs one`,
      );
    }
    const sample: Sample = {
      id: s.id,
      image: s.image,
      labels: s.labels,
      width: s.width,
      height: s.height,
    };
    out.push(maxShort ? downscaleSample({ sample, short: maxShort }) : sample);
    onProgress?.(out.length, order.length);
  }
  return out;
}
