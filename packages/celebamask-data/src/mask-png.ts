// Mask files as the readers, the statistics and the training pipeline see them: one rule for
// all of them. A mask is a PNG label map decoded by metrics' bounded `decodeLabelPng` (8- or
// 16-bit grey or palette indices, also 1–4-bit; RGB colour-coded masks through the palette),
// at most `maxPixels` (default 4096²) and, where it must match an image, that image's size;
// every label is a class id 0..numClasses-1 or the ignore index. Failures are DatasetErrors
// naming the file.
import { inflateSync } from 'node:zlib';
import { type DecodedLabelPng, decodeLabelPng, MASK_MAX_PIXELS, PngError } from '@facepar/metrics';
import { DatasetError } from './dataset-error.js';

export { MASK_MAX_PIXELS };

export interface DecodeMaskPngOptions {
  /** Most pixels accepted (default `MASK_MAX_PIXELS`, 4096²); checked before inflating. */
  maxPixels?: number;
  /** Refuse, before inflating, a mask of any other size. */
  expectedSize?: { width: number; height: number };
}

/** Decodes a label-map PNG (bounded); a file it cannot decode raises a DatasetError naming `file`. */
export function decodeMaskPng(
  bytes: Uint8Array,
  file: string,
  options: DecodeMaskPngOptions = {},
): DecodedLabelPng {
  try {
    return decodeLabelPng(bytes, {
      source: file,
      inflate: inflateSync,
      maxPixels: options.maxPixels,
      expectedSize: options.expectedSize,
    });
  } catch (err) {
    if (err instanceof PngError) throw new DatasetError({ file, problem: err.problem });
    throw err;
  }
}

/** The DatasetError for label `labels[index]`, neither a class id nor the ignore value. */
export function invalidLabelError(options: {
  file: string;
  labels: ArrayLike<number>;
  index: number;
  width: number;
  numClasses: number;
  ignoreIndex: number;
}): DatasetError {
  const { labels, index: i, width } = options;
  return new DatasetError({
    file: options.file,
    problem: `label ${labels[i]} at pixel (x=${i % width}, y=${Math.floor(i / width)}) is not a class id 0..${options.numClasses - 1} or the ignore value ${options.ignoreIndex}`,
  });
}

/**
 * The error for a mask and an image of different sizes (when nothing reconciles them), raised
 * from the image's header before it is decoded.
 */
export function maskImageSizeError(options: {
  mask: string;
  image: string;
  maskSize: { width: number; height: number };
  imageSize: { width: number; height: number };
}): DatasetError {
  const { maskSize: m, imageSize: i } = options;
  return new DatasetError({
    file: options.mask,
    problem: `mask is ${m.width}x${m.height} but image ${options.image} is ${i.width}x${i.height} (resize: 'image-to-mask' or 'mask-to-image' reconciles them)`,
  });
}

/**
 * One byte per label, as the training pipeline stores them: 8-bit maps are returned as they
 * are; a 16-bit map (grey 16-bit PNG) is checked against the mask rule and narrowed, so a
 * 16-bit mask with labels 0..18 trains like its 8-bit twin. Only a rule that needs labels
 * above 255 (numClasses > 256 or ignoreIndex > 255) cannot be narrowed.
 */
export function maskLabelBytes(options: {
  file: string;
  labels: Uint8Array | Uint16Array;
  width: number;
  numClasses: number;
  ignoreIndex: number;
}): Uint8Array {
  const { labels, numClasses, ignoreIndex } = options;
  if (labels instanceof Uint8Array) return labels;
  const out = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    if (v >= numClasses && v !== ignoreIndex) throw invalidLabelError({ ...options, index: i });
    if (v > 255) {
      throw new DatasetError({
        file: options.file,
        problem: `label ${v} does not fit one byte; the training pipeline stores labels 0..255 (numClasses <= 256, ignoreIndex <= 255)`,
      });
    }
    out[i] = v;
  }
  return out;
}
