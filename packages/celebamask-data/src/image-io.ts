import sharp from 'sharp';
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

/** Nearest-neighbour resize of a one-channel label map (pixel-centre sampling, like PIL NEAREST). */
export function resizeLabelsNearest(options: {
  labels: Uint8Array;
  width: number;
  height: number;
  outWidth: number;
  outHeight: number;
}): Uint8Array {
  const { labels, width, height, outWidth, outHeight } = options;
  const out = new Uint8Array(outWidth * outHeight);
  const xs = new Int32Array(outWidth);
  for (let x = 0; x < outWidth; x++)
    xs[x] = Math.min(width - 1, Math.floor(((x + 0.5) * width) / outWidth));
  for (let y = 0; y < outHeight; y++) {
    const sy = Math.min(height - 1, Math.floor(((y + 0.5) * height) / outHeight));
    const row = sy * width;
    const o = y * outWidth;
    for (let x = 0; x < outWidth; x++) out[o + x] = labels[row + xs[x]!]!;
  }
  return out;
}
