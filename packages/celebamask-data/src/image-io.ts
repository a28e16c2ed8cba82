import sharp from 'sharp';
import { resizeLabelsCentred } from './resize.js';
import { DatasetError } from './dataset-error.js';

export interface RgbImage {
  /** RGB, HWC, row-major. */
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Decodes a JPEG/PNG/WebP to 8-bit RGB (grey is expanded, alpha dropped), optionally resized
 * with a (bi)linear kernel. Errors name `source`.
 */
export async function decodeImage(options: {
  bytes: Uint8Array | string;
  source?: string;
  resize?: { width: number; height: number };
}): Promise<RgbImage> {
  const source = options.source ?? (typeof options.bytes === 'string' ? options.bytes : '<bytes>');
  try {
    let s = sharp(options.bytes, { failOn: 'truncated' }).removeAlpha().toColourspace('srgb');
    if (options.resize) {
      s = s.resize(options.resize.width, options.resize.height, { kernel: 'linear', fit: 'fill' });
    }
    const { data, info } = await s.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) {
      throw new Error(`decoded to ${info.channels} channels, expected 3`);
    }
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
    };
  } catch (err) {
    throw new DatasetError({
      file: source,
      problem: `cannot decode image: ${err instanceof Error ? err.message : String(err)}`,
    });
  }
}

/**
 * Nearest-neighbour resize of a one-channel label map at pixel centres (PIL NEAREST): the same
 * function as `resizeLabelsCentred`, under the name the dataset readers export.
 */
export const resizeLabelsNearest = resizeLabelsCentred;
