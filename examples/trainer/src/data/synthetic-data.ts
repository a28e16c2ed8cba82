import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeSyntheticDataset } from '@facepar/celebamask-data';

/**
 * Writes synthetic faces (the data package's generator) as a course-layout dataset with
 * `train` and `val` splits, unless `dir` already holds one (resume).
 */
export async function ensureSyntheticDataset(options: {
  dir: string;
  train: number;
  val: number;
  size: number;
  seed: number;
}): Promise<void> {
  const { dir, train, val, size, seed } = options;
  if (existsSync(join(dir, 'val', 'masks'))) return;
  await writeSyntheticDataset({
    dir,
    count: train + val,
    size,
    seed,
    splits: { train: train / (train + val), val: val / (train + val) },
  });
}
