import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { DatasetError } from './dataset-error.js';
import { type DecodeLimits, decodeImage } from './image-io.js';
import {
  decodeMaskPng,
  invalidLabelError,
  maskImageSizeError,
  maskLabelBytes,
} from './mask-png.js';
import { combinePartMasks } from './part-masks.js';
import { resizeLabelsCentred } from './resize.js';
import type { Sample } from './sample.js';

// Reading one dataset entry: its label map (checked), its image, sizes reconciled.

export type ResizeMode = 'none' | 'image-to-mask' | 'mask-to-image';
export const RESIZE_MODES: readonly ResizeMode[] = ['none', 'image-to-mask', 'mask-to-image'];

/** One image and where its labels come from; plain data (can be posted to a worker). */
export interface DatasetEntry {
  id: string;
  image: string;
  /** A label-map PNG, or null (per-part masks, or no labels when `requireMasks` is false). */
  mask: string | null;
  /** Per-part masks (official layout), id in the official order. */
  parts?: { id: number; path: string }[];
}

/** How samples are read: plain data shared by `Dataset.read` and worker threads. */
export interface ReadSampleOptions extends DecodeLimits {
  resize: ResizeMode;
  numClasses: number;
  ignoreIndex: number;
}

/**
 * Index of the first label that is neither a class id (< numClasses) nor the ignore value, or
 * -1. Reads four labels per 32-bit word and skips words equal to the previous one (label maps
 * are runs), so a 512² map costs about a third of a byte-by-byte scan.
 */
export function firstInvalidLabel(options: {
  labels: Uint8Array;
  numClasses: number;
  ignoreIndex: number;
}): number {
  const { labels, numClasses: k, ignoreIndex: ig } = options;
  const bad = (v: number) => v >= k && v !== ig;
  const n = labels.length;
  const head = Math.min(n, (4 - (labels.byteOffset & 3)) & 3);
  for (let i = 0; i < head; i++) if (bad(labels[i]!)) return i;
  const words = (n - head) >>> 2;
  if (words === 0) {
    for (let i = head; i < n; i++) if (bad(labels[i]!)) return i;
    return -1;
  }
  const w32 = new Uint32Array(labels.buffer, labels.byteOffset + head, words);
  let prev = -1;
  for (let w = 0; w < words; w++) {
    const x = w32[w]!;
    if (x === prev) continue;
    prev = x;
    if (bad(x & 0xff) || bad((x >>> 8) & 0xff) || bad((x >>> 16) & 0xff) || bad(x >>> 24)) {
      const i = head + 4 * w;
      for (let j = i; j < i + 4; j++) if (bad(labels[j]!)) return j;
    }
  }
  for (let i = head + 4 * words; i < n; i++) if (bad(labels[i]!)) return i;
  return -1;
}

/** Decodes and checks one label map (from a PNG or per-part masks). */
export async function readLabels(
  options: { entry: DatasetEntry; syncIo?: boolean } & Pick<
    ReadSampleOptions,
    'numClasses' | 'ignoreIndex' | 'maxMaskPixels'
  >,
): Promise<{ labels: Uint8Array; width: number; height: number } | null> {
  const { entry, numClasses, ignoreIndex } = options;
  let out: { labels: Uint8Array; width: number; height: number };
  if (entry.mask !== null) {
    let bytes: Uint8Array;
    try {
      bytes = options.syncIo ? fs.readFileSync(entry.mask) : await fsp.readFile(entry.mask);
    } catch (err) {
      throw new DatasetError({
        file: entry.mask,
        problem: `cannot read mask: ${(err as Error).message}`,
      });
    }
    const dec = decodeMaskPng(bytes, entry.mask, { maxPixels: options.maxMaskPixels });
    const labels = maskLabelBytes({ file: entry.mask, ...dec, numClasses, ignoreIndex });
    out = { labels, width: dec.width, height: dec.height };
  } else if (entry.parts && entry.parts.length > 0) {
    const parts = await Promise.all(
      entry.parts.map(async (p) => {
        try {
          return { id: p.id, source: p.path, bytes: await fsp.readFile(p.path) };
        } catch (err) {
          throw new DatasetError({
            file: p.path,
            problem: `cannot read part mask: ${(err as Error).message}`,
          });
        }
      }),
    );
    out = combinePartMasks({ parts, maxPixels: options.maxMaskPixels });
  } else return null;
  const { labels, width } = out;
  const i = firstInvalidLabel({ labels, numClasses, ignoreIndex });
  if (i >= 0) {
    const file = entry.mask ?? entry.parts![0]!.path;
    throw invalidLabelError({ file, labels, index: i, width, numClasses, ignoreIndex });
  }
  return out;
}

/** Reads one entry: RGB image + checked labels, sizes reconciled per `resize`. */
export async function readSample(
  options: { entry: DatasetEntry } & ReadSampleOptions,
): Promise<Sample> {
  const { entry, resize } = options;
  const lab = await readLabels(options);
  let bytes: Uint8Array;
  try {
    bytes = await fsp.readFile(entry.image);
  } catch (err) {
    throw new DatasetError({
      file: entry.image,
      problem: `cannot read image: ${(err as Error).message}`,
    });
  }
  const maxPixels = options.maxImagePixels;
  if (lab === null) {
    const img = await decodeImage({ bytes, source: entry.image, maxPixels });
    return { id: entry.id, image: img.data, labels: null, width: img.width, height: img.height };
  }
  if (resize === 'image-to-mask') {
    const img = await decodeImage({
      bytes,
      source: entry.image,
      resize: { width: lab.width, height: lab.height },
      maxPixels,
    });
    return {
      id: entry.id,
      image: img.data,
      labels: lab.labels,
      width: lab.width,
      height: lab.height,
    };
  }
  const mask = entry.mask ?? entry.parts![0]!.path;
  const sizeError = (imageSize: { width: number; height: number }) =>
    maskImageSizeError({ mask, image: entry.image, maskSize: lab, imageSize });
  const img = await decodeImage({
    bytes,
    source: entry.image,
    maxPixels,
    // sizes that must match are compared on the header, before decoding
    checkHeader: (h) => {
      if (resize === 'none' && (h.width !== lab.width || h.height !== lab.height)) {
        throw sizeError(h);
      }
    },
  });
  if (img.width === lab.width && img.height === lab.height) {
    return {
      id: entry.id,
      image: img.data,
      labels: lab.labels,
      width: img.width,
      height: img.height,
    };
  }
  if (resize === 'mask-to-image') {
    const labels = resizeLabelsCentred({
      labels: lab.labels,
      width: lab.width,
      height: lab.height,
      outWidth: img.width,
      outHeight: img.height,
    });
    return { id: entry.id, image: img.data, labels, width: img.width, height: img.height };
  }
  throw sizeError(img);
}
