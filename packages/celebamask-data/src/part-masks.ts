import { inflateSync } from 'node:zlib';
import { CELEBAMASK_CLASS_NAMES, decodePng, PngError } from '@facepar/metrics';
import { DatasetError } from './dataset-error.js';

/** The 18 per-part file names of `CelebAMask-HQ-mask-anno` (`<idx:05d>_<part>.png`), id = index + 1. */
export const CELEBAMASK_PART_NAMES: readonly string[] = CELEBAMASK_CLASS_NAMES.slice(1);

/**
 * Foreground of one per-part mask: pixels whose first channel is non-zero (grey value, R of
 * RGB/RGBA, or the palette colour's R for palette PNGs). The official `g_mask.py` tests cv2's
 * channel 0 (blue); both agree on the black/white masks of the release.
 */
export function decodePartMask(options: {
  bytes: Uint8Array;
  source: string;
  /** Most pixels accepted (default `MASK_MAX_PIXELS`, 4096²), checked before inflating. */
  maxPixels?: number;
}): {
  mask: Uint8Array;
  width: number;
  height: number;
} {
  const { bytes, source } = options;
  let png: ReturnType<typeof decodePng>;
  try {
    png = decodePng(bytes, { source, maxPixels: options.maxPixels, inflate: inflateSync });
  } catch (err) {
    if (!(err instanceof PngError)) throw err;
    throw new DatasetError({ file: source, problem: `cannot decode part mask: ${err.problem}` });
  }
  const { width, height, channels, data, palette } = png;
  const n = width * height;
  const mask = new Uint8Array(n);
  if (palette && png.colorType === 3) {
    // the palette colour's R (an index past the PLTE counts as black)
    for (let i = 0; i < n; i++) mask[i] = (palette[3 * data[i]!] ?? 0) !== 0 ? 1 : 0;
    return { mask, width, height };
  }
  for (let i = 0; i < n; i++) mask[i] = data[i * channels]! !== 0 ? 1 : 0;
  return { mask, width, height };
}

export interface CombinePartMasksOptions {
  /** Present parts: class id (1..18, official order) and the PNG bytes. Absent parts have no entry. */
  parts: readonly { id: number; bytes: Uint8Array; source: string }[];
  /** Most pixels of a part mask (default `MASK_MAX_PIXELS`, 4096²). */
  maxPixels?: number;
}

/**
 * Combines per-part masks into one label map like `g_mask.py`: parts are painted in id order and
 * later parts overwrite earlier ones, so at an overlap the higher id wins; uncovered pixels are
 * background (0). All parts must have the same size.
 */
export function combinePartMasks(options: CombinePartMasksOptions): {
  labels: Uint8Array;
  width: number;
  height: number;
} {
  const parts = [...options.parts].sort((a, b) => a.id - b.id);
  if (parts.length === 0) throw new Error('combinePartMasks: no parts given');
  let labels: Uint8Array | null = null;
  let width = 0;
  let height = 0;
  for (const part of parts) {
    if (!Number.isInteger(part.id) || part.id < 1 || part.id > 255) {
      throw new Error(
        `combinePartMasks: part id ${part.id} (${part.source}) must be an integer in 1..255`,
      );
    }
    const m = decodePartMask({
      bytes: part.bytes,
      source: part.source,
      maxPixels: options.maxPixels,
    });
    if (labels === null) {
      width = m.width;
      height = m.height;
      labels = new Uint8Array(width * height);
    } else if (m.width !== width || m.height !== height) {
      throw new DatasetError({
        file: part.source,
        problem: `part mask is ${m.width}x${m.height} but ${parts[0]!.source} is ${width}x${height}`,
      });
    }
    const mask = m.mask;
    for (let i = 0; i < mask.length; i++) if (mask[i]) labels[i] = part.id;
  }
  return { labels: labels!, width, height };
}

/** `<k>/<idx:05d>_<part>.png` path of one per-part mask (k = idx // 2000), relative to the anno folder. */
export function partMaskRelativePath(options: { index: number; part: string }): string {
  const { index, part } = options;
  return `${Math.floor(index / 2000)}/${String(index).padStart(5, '0')}_${part}.png`;
}
