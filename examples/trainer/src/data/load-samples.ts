import {
  type Dataset,
  type DatasetLayout,
  openDataset,
  readSample,
} from '@facepar/celebamask-data';
import type { Shard } from '../args.js';
import type { Sample } from './samples.js';

/** A split's entries and read options (what the loader and `readSamples` need). */
export type SplitDataset = Pick<Dataset, 'entries' | 'readOptions'>;

/** Opens one split of a dataset folder through the data package, entries sorted by id. */
export async function openSplit(options: {
  root: string;
  layout?: DatasetLayout | 'auto';
  split?: string | null;
}): Promise<SplitDataset> {
  const { root, layout = 'auto', split = 'train' } = options;
  const dataset = await openDataset({ root, layout, split });
  const entries = [...dataset.entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { entries, readOptions: dataset.readOptions };
}

/** The last `count` entries (by id) as a held-out split, and the rest. */
export function holdOut(options: { dataset: SplitDataset; count: number }): {
  train: SplitDataset;
  val: SplitDataset;
} {
  const { dataset, count } = options;
  const n = dataset.entries.length;
  if (!Number.isInteger(count) || count < 1 || count >= n) {
    throw new Error(
      `holdout ${count} must be an integer in 1..${n - 1} (the split has ${n} samples)`,
    );
  }
  return {
    train: { entries: dataset.entries.slice(0, n - count), readOptions: dataset.readOptions },
    val: { entries: dataset.entries.slice(n - count), readOptions: dataset.readOptions },
  };
}

/**
 * Decodes a split into memory (for evaluation), optionally keeping one shard (`--shard i/n`:
 * items i, i+n, ... in id order). Images without masks fail naming the file.
 */
export async function readSamples(options: {
  dataset: SplitDataset;
  shard?: Shard;
}): Promise<Sample[]> {
  const { dataset, shard = { index: 0, count: 1 } } = options;
  const out: Sample[] = [];
  for (const [k, entry] of dataset.entries.entries()) {
    if (k % shard.count !== shard.index) continue;
    const s = await readSample({ entry, ...dataset.readOptions });
    if (s.labels === null) {
      throw new Error(`${entry.image}: no mask for this image; evaluation needs one per image`);
    }
    out.push({ id: s.id, image: s.image, labels: s.labels, width: s.width, height: s.height });
  }
  return out;
}
