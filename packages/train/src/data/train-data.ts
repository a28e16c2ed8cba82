import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type Dataset,
  type DatasetLayout,
  type LabelledSample,
  openDataset,
  readSample,
  writeSyntheticDataset,
} from '@facepar/celebamask-data';
import type { DataSource, TrainConfig } from '../config.js';

/** A split's entries and read options (what the loader and `readLabelledSamples` need). */
export type SplitDataset = Pick<Dataset, 'entries' | 'readOptions'>;

/** Which items of a list one process takes: those whose index % count === index. */
export interface Shard {
  index: number;
  count: number;
}

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
 * Decodes a split into memory (for evaluation), optionally keeping one shard (items i, i+n,
 * ... in id order). Images without masks fail naming the file.
 */
export async function readLabelledSamples(options: {
  dataset: SplitDataset;
  shard?: Shard;
}): Promise<LabelledSample[]> {
  const { dataset, shard = { index: 0, count: 1 } } = options;
  const out: LabelledSample[] = [];
  for (const [k, entry] of dataset.entries.entries()) {
    if (k % shard.count !== shard.index) continue;
    const s = await readSample({ entry, ...dataset.readOptions });
    if (s.labels === null) {
      throw new Error(`${entry.image}: no mask for this image; evaluation needs one per image`);
    }
    out.push({ ...s, labels: s.labels });
  }
  return out;
}

/** A run's training split and its in-memory evaluation samples. */
export interface TrainData {
  train: SplitDataset;
  val: LabelledSample[];
}

/**
 * Opens what a `DataSource` names: the training split, and the evaluation samples from a val
 * split or the held-out tail of the training split (`val: null`: none). A synthetic source's
 * faces are written first when its folder holds none yet.
 */
export async function openTrainData(source: DataSource): Promise<TrainData> {
  const { root, layout = 'auto', split = 'train', val = null } = source;
  if (source.synthetic) await ensureSyntheticDataset({ dir: root, ...source.synthetic });
  const all = await openSplit({ root, layout, split });
  if (val === null) return { train: all, val: [] };
  if ('holdout' in val) {
    const parts = holdOut({ dataset: all, count: val.holdout });
    return { train: parts.train, val: await readLabelledSamples({ dataset: parts.val }) };
  }
  const dataset = await openSplit({ root, layout, split: val.split });
  return { train: all, val: await readLabelledSamples({ dataset }) };
}

/** The `DataSource` of synthetic faces in `dir` (course layout, `train` and `val` splits). */
function syntheticSource(options: {
  dir: string;
  train: number;
  val: number;
  size: number;
  seed: number;
}): DataSource {
  const { dir, ...synthetic } = options;
  return { root: dir, layout: 'course', split: 'train', val: { split: 'val' }, synthetic };
}

/**
 * Writes synthetic faces (the data package's generator) as a course-layout dataset with
 * `train` and `val` splits, unless `dir` already holds one (a resumed run keeps its data).
 */
export async function ensureSyntheticDataset(
  options: Parameters<typeof syntheticSource>[0],
): Promise<DataSource> {
  const { dir, train, val, size, seed } = options;
  if (!existsSync(join(dir, 'val', 'masks'))) {
    await writeSyntheticDataset({
      dir,
      count: train + val,
      size,
      seed,
      splits: { train: train / (train + val), val: val / (train + val) },
    });
  }
  return syntheticSource(options);
}

/**
 * The `DataSource` a training command means (nothing is written): a dataset root (absolute),
 * with its `val/` split when there is one, or the last `holdout` samples held out; or
 * `synthetic`: faces to be written into `<workDir>/data` (`holdout` of them for evaluation,
 * default 40). `note` says what was chosen.
 */
export function dataSourceFor(options: {
  data: string;
  workDir: string;
  config: TrainConfig;
  layout?: DataSource['layout'];
  split?: string;
  valSplit?: string;
  holdout?: number;
}): { source: DataSource; note?: string } {
  const { data, config, layout = 'auto', split = 'train', holdout } = options;
  if (data === 'synthetic') {
    const dir = resolve(options.workDir, 'data');
    const size = Math.max(64, config.data.pipeline.resize?.scale[1] ?? 64);
    const sizes = { train: 200, val: holdout ?? 40, size, seed: config.seed };
    const source = syntheticSource({ dir, ...sizes });
    return { source, note: `synthetic faces (${size} px) in ${dir}` };
  }
  const root = resolve(data);
  if (holdout !== undefined) return { source: { root, layout, split, val: { holdout } } };
  const valSplit = options.valSplit ?? (existsSync(join(root, 'val')) ? 'val' : undefined);
  if (valSplit !== undefined) return { source: { root, layout, split, val: { split: valSplit } } };
  const note = `no val split in ${root} and no holdout: training without evaluation (hold out the last N samples with --holdout N)`;
  return { source: { root, layout, split, val: null }, note };
}
