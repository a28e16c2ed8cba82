import fsp from 'node:fs/promises';
import { PngError, readPngHeader } from '@facepar/metrics';
import sharp, { type Sharp } from 'sharp';
import { DatasetError } from './dataset-error.js';
import { resizeLabelsCentred } from './resize.js';

/** Largest photo accepted by default: 8192 × 8192 pixels (`maxPixels`). */
export const IMAGE_MAX_PIXELS = 8192 * 8192;

export interface RgbImage {
  /** RGB, HWC, row-major. */
  data: Uint8Array;
  width: number;
  height: number;
}

/** Pixel limits of the readers: photos and masks over them are refused from their headers. */
export interface DecodeLimits {
  /** Most pixels of a photo (default `IMAGE_MAX_PIXELS`, 8192²). */
  maxImagePixels?: number;
  /** Most pixels of a mask (default `MASK_MAX_PIXELS`, 4096²). */
  maxMaskPixels?: number;
}

/** Size and kind of an image, read from its header without decoding. */
export interface ImageHeader {
  format: 'jpeg' | 'png' | 'other';
  width: number;
  height: number;
}

const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

/**
 * The frame size of a JPEG from its first SOF marker (a linear scan over the marker segments
 * before the first scan); null when the frame leaves its height to a DNL marker.
 */
function readJpegSize(u8: Uint8Array, fail: (problem: string) => never): ImageHeader | null {
  let i = 2;
  while (i < u8.length) {
    if (u8[i] !== 0xff) fail(`corrupt JPEG: no marker at byte ${i} (before the frame header)`);
    while (i < u8.length && u8[i] === 0xff) i++; // fill bytes
    if (i >= u8.length) break;
    const m = u8[i++]!;
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) continue; // no length
    if (m === 0xd9 || m === 0xda) fail('corrupt JPEG: no frame header (SOF) before the image data');
    if (i + 2 > u8.length) break;
    const len = (u8[i]! << 8) | u8[i + 1]!;
    if (len < 2)
      fail(`corrupt JPEG: marker 0xff${m.toString(16)} at byte ${i - 2} has length ${len}`);
    if (isSof(m)) {
      if (len < 8 || i + 7 > u8.length) break;
      const height = (u8[i + 3]! << 8) | u8[i + 4]!;
      const width = (u8[i + 5]! << 8) | u8[i + 6]!;
      if (width === 0) fail('corrupt JPEG: the frame header gives width 0');
      return height === 0 ? null : { format: 'jpeg', width, height };
    }
    i += len;
  }
  return fail('truncated JPEG: the file ends before the frame header (SOF)');
}

/**
 * Reads an image's size from its header alone: JPEG (SOF marker) and PNG (IHDR, CRC checked)
 * in JS without decoding anything; other formats through sharp's `metadata()`, which reads
 * headers only. A corrupt header raises a DatasetError naming `source`.
 */
export async function readImageHeader(options: {
  bytes: Uint8Array;
  source: string;
}): Promise<ImageHeader> {
  const { bytes, source } = options;
  const fail = (problem: string): never => {
    throw new DatasetError({ file: source, problem });
  };
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    const jpeg = readJpegSize(bytes, fail);
    if (jpeg) return jpeg;
  } else if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50) {
    try {
      const h = readPngHeader(bytes, { source });
      return { format: 'png', width: h.width, height: h.height };
    } catch (err) {
      if (err instanceof PngError) fail(err.problem);
      throw err;
    }
  }
  try {
    const meta = await sharp(bytes).metadata();
    if (!meta.width || !meta.height) fail('cannot read the image size from its header');
    const format = meta.format === 'jpeg' ? 'jpeg' : meta.format === 'png' ? 'png' : 'other';
    return { format, width: meta.width!, height: meta.height! };
  } catch (err) {
    if (err instanceof DatasetError) throw err;
    return fail(`cannot decode image: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export interface OpenImageOptions {
  bytes: Uint8Array;
  /** The file named in errors. */
  source: string;
  /** Most pixels accepted (default `IMAGE_MAX_PIXELS`, 8192²); checked on the header. */
  maxPixels?: number;
  /**
   * Called with the header before any pixel is decoded; throw to refuse the image (e.g. when
   * it must have its mask's size).
   */
  checkHeader?: (header: ImageHeader) => void;
  /** libvips' sequential access (faster for one top-to-bottom pass). */
  sequentialRead?: boolean;
}

/**
 * Opens an image for decoding, bounded: the size comes from the header (`readImageHeader`)
 * and is checked against `maxPixels` and `checkHeader` before any pixel is decoded; the
 * sharp pipeline gets the same pixel limit (`limitInputPixels`) and fails on corrupt data
 * (`failOn: 'warning'` for JPEG, where libjpeg reports corrupt entropy data as a warning;
 * `'error'` for other formats, whose harmless warnings such as a known-incorrect sRGB
 * profile would otherwise refuse good files).
 */
export async function openImage(
  options: OpenImageOptions,
): Promise<{ image: Sharp; header: ImageHeader }> {
  const { bytes, source } = options;
  const maxPixels = options.maxPixels ?? IMAGE_MAX_PIXELS;
  if (!(Number.isSafeInteger(maxPixels) && maxPixels > 0)) {
    throw new DatasetError({
      file: source,
      problem: `maxPixels must be a positive integer, got ${String(maxPixels)}`,
    });
  }
  const header = await readImageHeader({ bytes, source });
  const { width, height } = header;
  if (width * height > maxPixels) {
    throw new DatasetError({
      file: source,
      problem: `image is ${width}x${height} (${width * height} pixels), over the limit of ${maxPixels} pixels (maxPixels)`,
    });
  }
  options.checkHeader?.(header);
  const image = sharp(bytes, {
    failOn: header.format === 'jpeg' ? 'warning' : 'error',
    limitInputPixels: maxPixels,
    sequentialRead: options.sequentialRead ?? false,
  });
  return { image, header };
}

/**
 * Decodes a JPEG/PNG/WebP to 8-bit RGB (grey is expanded, alpha dropped), optionally resized
 * with a (bi)linear kernel; bounded as `openImage` (size from the header, `maxPixels`
 * default 8192², `checkHeader`, corrupt data refused). Errors are DatasetErrors naming
 * `source`.
 */
export async function decodeImage(options: {
  /** The encoded image, or its path. */
  bytes: Uint8Array | string;
  source?: string;
  resize?: { width: number; height: number };
  maxPixels?: number;
  checkHeader?: OpenImageOptions['checkHeader'];
}): Promise<RgbImage> {
  const source = options.source ?? (typeof options.bytes === 'string' ? options.bytes : '<bytes>');
  let bytes: Uint8Array;
  if (typeof options.bytes === 'string') {
    try {
      bytes = await fsp.readFile(options.bytes);
    } catch (err) {
      throw new DatasetError({
        file: source,
        problem: `cannot read image: ${(err as Error).message}`,
      });
    }
  } else bytes = options.bytes;
  const { image } = await openImage({
    bytes,
    source,
    maxPixels: options.maxPixels,
    checkHeader: options.checkHeader,
  });
  try {
    let s = image.removeAlpha().toColourspace('srgb');
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
