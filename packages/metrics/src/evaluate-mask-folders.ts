// Node-only: reads label-map PNG folders. `node:fs` is loaded inside the function, so importing
// the package in a browser stays possible as long as this function is not called.
import { type ClassAreas, ConfusionMatrix } from './confusion-matrix.js';
import type { LabelArray } from './functional.js';
import {
  CELEBAMASK_NUM_CLASSES,
  decodeLabelPng,
  MASK_MAX_PIXELS,
  readPngHeader,
} from './labels/index.js';

/** Pairs read ahead of the one being decoded. */
const READ_AHEAD = 4;

export interface MaskFolderProgress {
  done: number;
  total: number;
  stem: string;
}

export interface EvaluateMaskFoldersOptions {
  predDir: string;
  gtDir: string;
  numClasses?: number;
  ignoreIndex?: number | null;
  /** Throw on labels outside 0..numClasses-1 instead of counting them as dropped. */
  strict?: boolean;
  /** Evaluate the stems found in both folders and report the rest, instead of throwing. */
  skipMissing?: boolean;
  /** RGB triplets to map colour-coded (RGB) masks back to ids; default the CelebAMask palette. */
  palette?: ArrayLike<number>;
  /** Keep each image's areas (for image-wise reductions). */
  keepImageAreas?: boolean;
  /** File extension to pair (case-insensitive). */
  extension?: string;
  /** Largest mask accepted, in pixels (default `MASK_MAX_PIXELS`, 4096²); checked before decoding. */
  maxPixels?: number;
  onProgress?: (progress: MaskFolderProgress) => void;
}

export const DEFAULT_EVALUATE_MASK_FOLDERS_OPTIONS = {
  numClasses: CELEBAMASK_NUM_CLASSES,
  ignoreIndex: 255,
  strict: false,
  skipMissing: false,
  keepImageAreas: false,
  extension: '.png',
  maxPixels: MASK_MAX_PIXELS,
} as const;

export interface MaskFolderEvaluation {
  confusionMatrix: ConfusionMatrix;
  /** Stems evaluated, in order. */
  stems: string[];
  /** Stems with a ground truth but no prediction (only with skipMissing). */
  missingPred: string[];
  /** Stems with a prediction but no ground truth (only with skipMissing). */
  missingGt: string[];
  /** Per image, in `stems` order, when keepImageAreas. */
  imageAreas?: ClassAreas[];
  /** Wall time split (ms): waiting for file reads (they overlap decoding), PNG decoding, counting. */
  timing: { readMs: number; decodeMs: number; countMs: number; totalMs: number };
}

/**
 * Scores a folder of predicted label maps against a folder of ground-truth label maps, paired
 * by file stem. PNGs are read as raw values (palette indices, grey values, 16-bit too); RGB
 * colour-coded masks are mapped back through the palette.
 */
export async function evaluateMaskFolders(
  options: EvaluateMaskFoldersOptions,
): Promise<MaskFolderEvaluation> {
  const t0 = performance.now();
  const o = { ...DEFAULT_EVALUATE_MASK_FOLDERS_OPTIONS, ...stripUndefined(options) };
  if (typeof o.predDir !== 'string' || typeof o.gtDir !== 'string') {
    throw new TypeError(
      `predDir and gtDir must be folder paths, got ${String(o.predDir)} and ${String(o.gtDir)}`,
    );
  }
  const { predDir, gtDir } = options;
  const cm = new ConfusionMatrix({
    numClasses: o.numClasses,
    ignoreIndex: o.ignoreIndex,
    strict: o.strict,
  });
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const { inflateSync } = await import('node:zlib');
  // native inflate for the common 8-bit grey/palette masks (decodeLabelPng's fast path)
  const dec = { palette: o.palette, inflate: inflateSync, maxPixels: o.maxPixels };
  const [predFiles, gtFiles] = await Promise.all([
    listByStem(fs, predDir, o.extension, 'prediction'),
    listByStem(fs, gtDir, o.extension, 'ground-truth'),
  ]);
  const stems = [...gtFiles.keys()].filter((s) => predFiles.has(s)).sort();
  const missingPred = [...gtFiles.keys()].filter((s) => !predFiles.has(s)).sort();
  const missingGt = [...predFiles.keys()].filter((s) => !gtFiles.has(s)).sort();
  if (!o.skipMissing && (missingPred.length > 0 || missingGt.length > 0)) {
    const parts: string[] = [];
    if (missingPred.length > 0)
      parts.push(
        `no prediction in ${predDir} for ${listSome(missingPred.map((s) => gtFiles.get(s) ?? s))}`,
      );
    if (missingGt.length > 0)
      parts.push(
        `no ground truth in ${gtDir} for ${listSome(missingGt.map((s) => predFiles.get(s) ?? s))}`,
      );
    throw new Error(
      `unpaired mask files: ${parts.join('; ')} (pass skipMissing / --skip-missing to evaluate the pairs only)`,
    );
  }
  if (stems.length === 0) {
    throw new Error(`no ${o.extension} files with the same stem in ${predDir} and ${gtDir}`);
  }
  const timing = { readMs: 0, decodeMs: 0, countMs: 0, totalMs: 0 };
  const imageAreas: ClassAreas[] | undefined = o.keepImageAreas ? [] : undefined;
  const single = o.keepImageAreas
    ? new ConfusionMatrix({ numClasses: o.numClasses, ignoreIndex: o.ignoreIndex })
    : null;
  const read = async (stem: string) => {
    const predPath = path.join(predDir, predFiles.get(stem) as string);
    const gtPath = path.join(gtDir, gtFiles.get(stem) as string);
    const [predBytes, gtBytes] = await Promise.all([
      readNamed(fs, predPath),
      readNamed(fs, gtPath),
    ]);
    return { predPath, gtPath, predBytes, gtBytes };
  };
  // Keep a few pairs in flight so reads overlap decoding and counting. Each promise gets a
  // no-op handler so a failed read-ahead never becomes an unhandled rejection when an earlier
  // pair has already thrown; awaiting it still throws.
  const queue: ReturnType<typeof read>[] = [];
  const start = (j: number) => {
    if (j >= stems.length || queue[j] !== undefined) return;
    queue[j] = read(stems[j] as string);
    queue[j].catch(() => undefined);
  };
  for (let j = 0; j < READ_AHEAD; j++) start(j);
  for (let i = 0; i < stems.length; i++) {
    const tw = performance.now();
    const cur = await (queue[i] as ReturnType<typeof read>);
    queue[i] = undefined as unknown as ReturnType<typeof read>;
    timing.readMs += performance.now() - tw;
    start(i + READ_AHEAD);
    const td = performance.now();
    // sizes from the headers first: a mismatch is refused before either file is inflated
    const gtHead = readPngHeader(cur.gtBytes, { source: cur.gtPath });
    const predHead = readPngHeader(cur.predBytes, { source: cur.predPath });
    if (predHead.width !== gtHead.width || predHead.height !== gtHead.height) {
      throw new Error(
        `size mismatch: ${cur.predPath} is ${predHead.width}x${predHead.height}, ${cur.gtPath} is ${gtHead.width}x${gtHead.height}`,
      );
    }
    const gt = decodeLabelPng(cur.gtBytes, { ...dec, source: cur.gtPath });
    const size = { width: gt.width, height: gt.height };
    const pred = decodeLabelPng(cur.predBytes, {
      ...dec,
      source: cur.predPath,
      expectedSize: size,
    });
    timing.decodeMs += performance.now() - td;
    const tc = performance.now();
    try {
      if (single) {
        single.reset().update({ pred: pred.labels as LabelArray, gt: gt.labels as LabelArray });
        imageAreas?.push(single.areas());
        cm.merge(single);
      } else {
        cm.update({ pred: pred.labels as LabelArray, gt: gt.labels as LabelArray });
      }
    } catch (err) {
      throw new Error(
        `${cur.predPath} vs ${cur.gtPath}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    timing.countMs += performance.now() - tc;
    o.onProgress?.({ done: i + 1, total: stems.length, stem: stems[i] as string });
  }
  timing.totalMs = performance.now() - t0;
  return { confusionMatrix: cm, stems, missingPred, missingGt, imageAreas, timing };
}

type Fs = typeof import('node:fs/promises');

async function listByStem(
  fs: Fs,
  dir: string,
  extension: string,
  what: string,
): Promise<Map<string, string>> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    throw new Error(
      `cannot read the ${what} folder ${dir}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const ext = extension.toLowerCase();
  const out = new Map<string, string>();
  for (const name of names) {
    if (!name.toLowerCase().endsWith(ext)) continue;
    const stem = name.slice(0, name.length - ext.length);
    const prev = out.get(stem);
    if (prev !== undefined)
      throw new Error(`two ${what} files share the stem '${stem}' in ${dir}: ${prev} and ${name}`);
    out.set(stem, name);
  }
  return out;
}

async function readNamed(fs: Fs, file: string): Promise<Uint8Array> {
  try {
    return await fs.readFile(file);
  } catch (err) {
    throw new Error(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function listSome(names: readonly string[]): string {
  const shown = names.slice(0, 5).join(', ');
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
