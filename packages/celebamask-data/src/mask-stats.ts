import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import {
  CELEBAMASK_CLASS_NAMES,
  CELEBAMASK_IGNORE_INDEX,
  CELEBAMASK_NUM_CLASSES,
  decodeLabelPng,
} from '@facepar/metrics';
import { DatasetError, type SkippedFile } from './dataset-error.js';

export interface ComputeMaskStatsOptions {
  /** A folder of label-map PNGs (palette, grey or colour-coded). */
  masksDir: string;
  numClasses?: number;
  ignoreIndex?: number;
  /** Skip and list unreadable masks or masks with bad labels instead of failing. */
  skipInvalid?: boolean;
  /** Files read ahead while decoding. */
  concurrency?: number;
}

export const DEFAULT_COMPUTE_MASK_STATS_OPTIONS = {
  numClasses: CELEBAMASK_NUM_CLASSES,
  ignoreIndex: CELEBAMASK_IGNORE_INDEX,
  skipInvalid: false,
  concurrency: 8,
} as const;

export interface MaskStats {
  /** Masks counted. */
  files: number;
  skipped: SkippedFile[];
  numClasses: number;
  /** Class names when `numClasses` is 19 (CelebAMask-HQ), else `class_<i>`. */
  classNames: string[];
  /** Pixels of each class over all masks. */
  pixelCounts: number[];
  /** Masks containing each class at least once. */
  presence: number[];
  /** Labelled pixels (sum of `pixelCounts`, ignore pixels excluded). */
  totalPixels: number;
  ignoredPixels: number;
  /** `pixelCounts / totalPixels`. */
  share: number[];
}

export function resolveComputeMaskStatsOptions(options: ComputeMaskStatsOptions) {
  const d = DEFAULT_COMPUTE_MASK_STATS_OPTIONS;
  const r = {
    masksDir: options.masksDir,
    numClasses: options.numClasses ?? d.numClasses,
    ignoreIndex: options.ignoreIndex ?? d.ignoreIndex,
    skipInvalid: options.skipInvalid ?? d.skipInvalid,
    concurrency: options.concurrency ?? d.concurrency,
  };
  if (!Number.isInteger(r.numClasses) || r.numClasses < 1 || r.numClasses > 65535) {
    throw new Error(`computeMaskStats: numClasses ${r.numClasses} must be an integer in 1..65535`);
  }
  if (!Number.isInteger(r.ignoreIndex) || r.ignoreIndex < 0 || r.ignoreIndex > 65535) {
    throw new Error(
      `computeMaskStats: ignoreIndex ${r.ignoreIndex} must be an integer in 0..65535`,
    );
  }
  if (!Number.isInteger(r.concurrency) || r.concurrency < 1) {
    throw new Error(`computeMaskStats: concurrency ${r.concurrency} must be a positive integer`);
  }
  return r;
}

/**
 * Per-class pixel and presence counts over every `*.png` in `masksDir` (decode-bound: files are
 * read ahead asynchronously while the main thread decodes). Feeds class weights.
 */
export async function computeMaskStats(options: ComputeMaskStatsOptions): Promise<MaskStats> {
  const o = resolveComputeMaskStatsOptions(options);
  let names: string[];
  try {
    names = fs
      .readdirSync(o.masksDir)
      .filter((f) => f.toLowerCase().endsWith('.png'))
      .sort();
  } catch (err) {
    throw new DatasetError({
      file: o.masksDir,
      problem: `cannot list masks: ${(err as Error).message}`,
    });
  }
  if (names.length === 0)
    throw new DatasetError({ file: o.masksDir, problem: 'empty folder: no *.png masks' });
  const k = o.numClasses;
  const pixelCounts = new Float64Array(k);
  const presence = new Float64Array(k);
  const local = new Float64Array(k);
  let ignoredPixels = 0;
  let files = 0;
  const skipped: SkippedFile[] = [];
  const files_ = names.map((n) => path.join(o.masksDir, n));
  const reads: Promise<Uint8Array | Error>[] = [];
  const start = (i: number) => {
    if (i < files_.length) reads[i] = fsp.readFile(files_[i]!).catch((e: Error) => e);
  };
  for (let i = 0; i < o.concurrency; i++) start(i);
  for (let i = 0; i < files_.length; i++) {
    const file = files_[i]!;
    const bytes = await reads[i]!;
    start(i + o.concurrency);
    delete reads[i];
    try {
      if (bytes instanceof Error)
        throw new DatasetError({ file, problem: `cannot read mask: ${bytes.message}` });
      let labels: Uint8Array | Uint16Array;
      let width: number;
      try {
        ({ labels, width } = decodeLabelPng(bytes, { source: file }));
      } catch (err) {
        throw new DatasetError({
          file,
          problem: (err as Error).message.replace(/^decodeLabelPng\([^)]*\): /, ''),
        });
      }
      local.fill(0);
      let ignored = 0;
      for (let p = 0; p < labels.length; p++) {
        const v = labels[p]!;
        if (v < k) local[v]!++;
        else if (v === o.ignoreIndex) ignored++;
        else {
          throw new DatasetError({
            file,
            problem: `label ${v} at pixel (x=${p % width}, y=${Math.floor(p / width)}) is not a class id 0..${k - 1} or the ignore value ${o.ignoreIndex}`,
          });
        }
      }
      for (let c = 0; c < k; c++) {
        pixelCounts[c]! += local[c]!;
        if (local[c]! > 0) presence[c]!++;
      }
      ignoredPixels += ignored;
      files++;
    } catch (err) {
      if (!o.skipInvalid || !(err instanceof DatasetError)) throw err;
      skipped.push({ file: err.file, problem: err.problem });
    }
  }
  if (files === 0) throw new DatasetError({ file: o.masksDir, problem: 'no valid masks' });
  const totalPixels = pixelCounts.reduce((a, b) => a + b, 0);
  return {
    files,
    skipped,
    numClasses: k,
    classNames:
      k === CELEBAMASK_NUM_CLASSES
        ? [...CELEBAMASK_CLASS_NAMES]
        : Array.from({ length: k }, (_, i) => `class_${i}`),
    pixelCounts: [...pixelCounts],
    presence: [...presence],
    totalPixels,
    ignoredPixels,
    share: [...pixelCounts].map((c) => (totalPixels > 0 ? c / totalPixels : 0)),
  };
}
