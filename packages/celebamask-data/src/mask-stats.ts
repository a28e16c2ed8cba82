import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import {
  CELEBAMASK_CLASS_NAMES,
  CELEBAMASK_IGNORE_INDEX,
  CELEBAMASK_NUM_CLASSES,
} from '@facepar/metrics';
import { DatasetError, type SkippedFile } from './dataset-error.js';
import { decodeMaskPng, invalidLabelError, MASK_MAX_PIXELS } from './mask-png.js';
import type { MaskStatsWorkerData } from './mask-stats-worker.js';
import { WorkerPool } from './worker-pool.js';

export interface ComputeMaskStatsOptions {
  /** A folder of label-map PNGs (palette, grey or colour-coded). */
  masksDir: string;
  numClasses?: number;
  ignoreIndex?: number;
  /** Skip and list unreadable masks or masks with bad labels instead of failing. */
  skipInvalid?: boolean;
  /** Files read ahead while decoding. */
  concurrency?: number;
  /** Worker threads decoding in parallel (0 = main thread; needs the built package). */
  workers?: number;
  /** Most pixels of a mask (default `MASK_MAX_PIXELS`, 4096²); larger ones are refused unread. */
  maxMaskPixels?: number;
}

export const DEFAULT_COMPUTE_MASK_STATS_OPTIONS = {
  numClasses: CELEBAMASK_NUM_CLASSES,
  ignoreIndex: CELEBAMASK_IGNORE_INDEX,
  skipInvalid: false,
  concurrency: 8,
  workers: 0,
  maxMaskPixels: MASK_MAX_PIXELS,
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
    workers: options.workers ?? d.workers,
    maxMaskPixels: options.maxMaskPixels ?? d.maxMaskPixels,
  };
  if (!Number.isInteger(r.numClasses) || r.numClasses < 1 || r.numClasses > 65535) {
    throw new Error(`computeMaskStats: numClasses ${r.numClasses} must be an integer in 1..65535`);
  }
  if (!Number.isInteger(r.ignoreIndex) || r.ignoreIndex < 0 || r.ignoreIndex > 65535) {
    throw new Error(
      `computeMaskStats: ignoreIndex ${r.ignoreIndex} must be an integer in 0..65535`,
    );
  }
  if (!Number.isInteger(r.workers) || r.workers < 0 || r.workers > 64) {
    throw new Error(`computeMaskStats: workers ${r.workers} must be an integer in 0..64`);
  }
  if (!Number.isSafeInteger(r.maxMaskPixels) || r.maxMaskPixels < 1) {
    throw new Error(
      `computeMaskStats: maxMaskPixels ${r.maxMaskPixels} must be a positive integer`,
    );
  }
  if (!Number.isInteger(r.concurrency) || r.concurrency < 1) {
    throw new Error(`computeMaskStats: concurrency ${r.concurrency} must be a positive integer`);
  }
  return r;
}

/** Counts over a list of files (what one worker computes); plain data, mergeable. */
export interface PartialMaskStats {
  files: number;
  skipped: SkippedFile[];
  pixelCounts: number[];
  presence: number[];
  ignoredPixels: number;
}

/** Decodes and counts `files` in order (reads run `concurrency` files ahead). */
export async function accumulateMaskFiles(options: {
  files: readonly string[];
  numClasses: number;
  ignoreIndex: number;
  skipInvalid: boolean;
  concurrency: number;
  maxMaskPixels?: number;
}): Promise<PartialMaskStats> {
  const { files: paths, numClasses: k, ignoreIndex, skipInvalid, concurrency } = options;
  const maxPixels = options.maxMaskPixels;
  const pixelCounts = new Float64Array(k);
  const presence = new Float64Array(k);
  const local = new Float64Array(k);
  let ignoredPixels = 0;
  let files = 0;
  const skipped: SkippedFile[] = [];
  const reads = new Map<number, Promise<Uint8Array | Error>>();
  const start = (i: number) => {
    if (i < paths.length)
      reads.set(
        i,
        fsp.readFile(paths[i]!).catch((e: Error) => e),
      );
  };
  for (let i = 0; i < concurrency; i++) start(i);
  for (let i = 0; i < paths.length; i++) {
    const file = paths[i]!;
    const bytes = await reads.get(i)!;
    reads.delete(i);
    start(i + concurrency);
    try {
      if (bytes instanceof Error) {
        throw new DatasetError({ file, problem: `cannot read mask: ${bytes.message}` });
      }
      const { labels, width } = decodeMaskPng(bytes, file, { maxPixels });
      local.fill(0);
      let ignored = 0;
      for (let p = 0; p < labels.length; p++) {
        const v = labels[p]!;
        if (v < k) local[v]!++;
        else if (v === ignoreIndex) ignored++;
        else throw invalidLabelError({ file, labels, index: p, width, numClasses: k, ignoreIndex });
      }
      for (let c = 0; c < k; c++) {
        pixelCounts[c]! += local[c]!;
        if (local[c]! > 0) presence[c]!++;
      }
      ignoredPixels += ignored;
      files++;
    } catch (err) {
      if (!skipInvalid || !(err instanceof DatasetError)) throw err;
      skipped.push({ file: err.file, problem: err.problem });
    }
  }
  return { files, skipped, pixelCounts: [...pixelCounts], presence: [...presence], ignoredPixels };
}

async function statsInWorkers(
  chunks: string[][],
  o: ReturnType<typeof resolveComputeMaskStatsOptions>,
): Promise<PartialMaskStats[]> {
  const pool = new WorkerPool<{ files: string[] }, PartialMaskStats>({
    script: 'mask-stats-worker.js',
    caller: 'computeMaskStats',
    count: chunks.length,
    workerData: {
      numClasses: o.numClasses,
      ignoreIndex: o.ignoreIndex,
      skipInvalid: o.skipInvalid,
      concurrency: o.concurrency,
      maxMaskPixels: o.maxMaskPixels,
    } satisfies MaskStatsWorkerData,
  });
  try {
    return await Promise.all(chunks.map((files) => pool.run({ files })));
  } finally {
    await pool.close();
  }
}

/**
 * Per-class pixel and presence counts over every `*.png` in `masksDir` (decode-bound: files are
 * read ahead while decoding, and split over `workers` threads when > 0). Feeds class weights.
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
  const paths = names.map((n) => path.join(o.masksDir, n));
  const k = o.numClasses;
  let parts: PartialMaskStats[];
  if (o.workers > 0 && paths.length > 1) {
    const n = Math.min(o.workers, paths.length);
    const chunks = Array.from({ length: n }, (_, w) =>
      paths.slice(Math.floor((w * paths.length) / n), Math.floor(((w + 1) * paths.length) / n)),
    );
    parts = await statsInWorkers(chunks, o);
  } else {
    parts = [await accumulateMaskFiles({ files: paths, ...o })];
  }
  const pixelCounts = new Array<number>(k).fill(0);
  const presence = new Array<number>(k).fill(0);
  let files = 0;
  let ignoredPixels = 0;
  const skipped: SkippedFile[] = [];
  for (const p of parts) {
    for (let c = 0; c < k; c++) {
      pixelCounts[c]! += p.pixelCounts[c]!;
      presence[c]! += p.presence[c]!;
    }
    files += p.files;
    ignoredPixels += p.ignoredPixels;
    skipped.push(...p.skipped);
  }
  if (files === 0) throw new DatasetError({ file: o.masksDir, problem: 'no valid masks' });
  const totalPixels = pixelCounts.reduce((x, y) => x + y, 0);
  return {
    files,
    skipped,
    numClasses: k,
    classNames:
      k === CELEBAMASK_NUM_CLASSES
        ? [...CELEBAMASK_CLASS_NAMES]
        : Array.from({ length: k }, (_, i) => `class_${i}`),
    pixelCounts,
    presence,
    totalPixels,
    ignoredPixels,
    share: pixelCounts.map((c) => (totalPixels > 0 ? c / totalPixels : 0)),
  };
}

/** The statistics as a text table: class, pixels, share, presence, then the skipped files. */
export function formatMaskStats(stats: MaskStats): string[] {
  const lines = [
    `${stats.files} masks, ${stats.totalPixels} labelled pixels, ${stats.ignoredPixels} ignored`,
  ];
  const w = Math.max(5, ...stats.classNames.map((n) => n.length));
  const row = (cells: string[]) =>
    cells.map((c, i) => (i === 1 ? c.padEnd(w) : c.padStart([3, 0, 12, 8, 7][i]!))).join('  ');
  lines.push(row(['id', 'class', 'pixels', 'share %', 'present']));
  stats.classNames.forEach((name, c) => {
    const share = (100 * stats.share[c]!).toFixed(3);
    lines.push(
      row([String(c), name, String(stats.pixelCounts[c]), share, String(stats.presence[c])]),
    );
  });
  for (const s of stats.skipped) lines.push(`skipped ${s.file}: ${s.problem}`);
  return lines;
}
