import { CELEBAMASK_CLASS_NAMES } from '@facepar/metrics';
import { decode } from 'fast-png';
import { DatasetError } from './dataset-error.js';

/** The 18 per-part file names of `CelebAMask-HQ-mask-anno` (`<idx:05d>_<part>.png`), id = index + 1. */
export const CELEBAMASK_PART_NAMES: readonly string[] = CELEBAMASK_CLASS_NAMES.slice(1);

/**
 * Foreground of one per-part mask: pixels whose first channel is non-zero (grey value, R of
 * RGB/RGBA, or the palette colour's R for palette PNGs). The official `g_mask.py` tests cv2's
 * channel 0 (blue); both agree on the black/white masks of the release.
 */
export function decodePartMask(options: { bytes: Uint8Array; source: string }): {
  mask: Uint8Array;
  width: number;
  height: number;
} {
  const { bytes, source } = options;
  let png: ReturnType<typeof decode>;
  try {
    png = decode(bytes);
  } catch (err) {
    throw new DatasetError({
      file: source,
      problem: `cannot decode part mask: ${err instanceof Error ? err.message : String(err)}`,
    });
  }
  const { width, height, channels, depth, data, palette } = png;
  const n = width * height;
  const mask = new Uint8Array(n);
  if (depth < 8) {
    // sub-byte grey or palette: unpack rows
    const bytesPerRow = Math.ceil((width * depth) / 8);
    const m = (1 << depth) - 1;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const bit = x * depth;
        const v = (data[y * bytesPerRow + (bit >> 3)]! >> (8 - depth - (bit & 7))) & m;
        mask[y * width + x] = (palette ? (palette[v]?.[0] ?? 0) : v) !== 0 ? 1 : 0;
      }
    }
    return { mask, width, height };
  }
  if (palette) {
    for (let i = 0; i < n; i++) mask[i] = (palette[data[i]!]?.[0] ?? 0) !== 0 ? 1 : 0;
    return { mask, width, height };
  }
  for (let i = 0; i < n; i++) mask[i] = data[i * channels]! !== 0 ? 1 : 0;
  return { mask, width, height };
}

export interface CombinePartMasksOptions {
  /** Present parts: class id (1..18, official order) and the PNG bytes. Absent parts have no entry. */
  parts: readonly { id: number; bytes: Uint8Array; source: string }[];
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
    const m = decodePartMask({ bytes: part.bytes, source: part.source });
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
