import fsp from 'node:fs/promises';
import path from 'node:path';
import { CELEBAMASK_PALETTE, encodeLabelPng } from '@facepar/metrics';
import { DatasetError, type SkippedFile } from './dataset-error.js';
import { openDataset } from './dataset.js';
import { readLabels } from './read-sample.js';

export interface ConvertPartMasksOptions {
  /** Official CelebAMask-HQ root (`CelebA-HQ-img/`, `CelebAMask-HQ-mask-anno/`). */
  root: string;
  /** Output folder for `<idx>.png` combined label maps (palette PNGs, official palette). */
  outDir: string;
  skipInvalid?: boolean;
  /** Masks combined concurrently (file reads overlap decoding). */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface ConvertPartMasksResult {
  written: number;
  skipped: SkippedFile[];
}

/**
 * Writes one combined label map per image from the per-part masks, like `g_mask.py` (later
 * parts win, so the higher id wins), as palette PNGs whose indices are the class ids.
 */
export async function convertPartMasks(
  options: ConvertPartMasksOptions,
): Promise<ConvertPartMasksResult> {
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new Error(`convertPartMasks: concurrency ${concurrency} must be a positive integer`);
  }
  const ds = await openDataset({
    root: options.root,
    layout: 'official',
    officialMasks: 'parts',
    skipInvalid: options.skipInvalid,
  });
  await fsp.mkdir(options.outDir, { recursive: true });
  const skipped: SkippedFile[] = [...ds.skipped];
  let written = 0;
  let done = 0;
  let next = 0;
  const worker = async () => {
    while (next < ds.entries.length) {
      const entry = ds.entries[next++]!;
      try {
        const lab = await readLabels({ entry, ...ds.readOptions });
        if (lab === null)
          throw new DatasetError({ file: entry.image, problem: 'no per-part masks' });
        const png = encodeLabelPng({ ...lab, palette: CELEBAMASK_PALETTE });
        await fsp.writeFile(path.join(options.outDir, `${entry.id}.png`), png);
        written++;
      } catch (err) {
        if (!(options.skipInvalid && err instanceof DatasetError)) throw err;
        skipped.push({ file: err.file, problem: err.problem });
      }
      options.onProgress?.(++done, ds.entries.length);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { written, skipped };
}
