// Mask files as the readers and the statistics see them: decoded through native zlib, with
// failures and bad labels reported as DatasetErrors naming the file.
import { inflateSync } from 'node:zlib';
import { type DecodedLabelPng, decodeLabelPng } from '@facepar/metrics';
import { DatasetError } from './dataset-error.js';

/** Decodes a label-map PNG; a file it cannot decode raises a DatasetError naming `file`. */
export function decodeMaskPng(bytes: Uint8Array, file: string): DecodedLabelPng {
  try {
    return decodeLabelPng(bytes, { source: file, inflate: inflateSync });
  } catch (err) {
    throw new DatasetError({
      file,
      problem: (err as Error).message.replace(/^decodeLabelPng\([^)]*\): /, ''),
    });
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
