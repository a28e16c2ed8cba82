import { encode } from 'fast-png';
import { CELEBAMASK_ALT_COLORS, CELEBAMASK_PALETTE } from './celebamask.js';
import {
  decodePng,
  type InflateFn,
  MASK_MAX_PIXELS,
  type PngColorType,
  PngError,
} from './png-decode.js';

export interface DecodedLabelPng {
  /** One label per pixel, row-major. Uint16Array only for 16-bit grey PNGs. */
  labels: Uint8Array | Uint16Array;
  width: number;
  height: number;
  colorType: PngColorType;
  bitDepth: number;
}

export interface DecodeLabelPngOptions {
  /**
   * RGB triplets (index = label) used to map colour-coded masks (types 2/6) back to labels.
   * Default: `CELEBAMASK_PALETTE` plus `CELEBAMASK_ALT_COLORS`.
   */
  palette?: ArrayLike<number>;
  /** Extra colour → label pairs accepted for colour-coded masks. */
  extraColors?: readonly { readonly id: number; readonly color: readonly number[] }[];
  /** File name (or other origin) named in error messages. */
  source?: string;
  /**
   * A zlib inflater (in Node: `zlib.inflateSync`, which honours `maxOutputLength`): same
   * labels as the built-in pure-JS inflate, about three times faster.
   */
  inflate?: InflateFn;
  /** Most pixels accepted (default `MASK_MAX_PIXELS`, 4096²); checked before inflating. */
  maxPixels?: number;
  /** Refuse, before inflating, a mask of any other size (e.g. the image's or the other mask's). */
  expectedSize?: { width: number; height: number };
  /** Check the CRCs of the critical chunks (default true). */
  checkCrc?: boolean;
}

export const DEFAULT_DECODE_LABEL_PNG_OPTIONS = {
  palette: CELEBAMASK_PALETTE as ArrayLike<number>,
  extraColors: CELEBAMASK_ALT_COLORS as DecodeLabelPngOptions['extraColors'],
  source: '<bytes>',
  maxPixels: MASK_MAX_PIXELS,
  checkCrc: true,
} as const;

interface ResolvedDecodeOptions {
  palette: ArrayLike<number>;
  extraColors: readonly { readonly id: number; readonly color: readonly number[] }[];
  source: string;
  maxPixels: number;
  checkCrc: boolean;
}

export function resolveDecodeLabelPngOptions(
  options: DecodeLabelPngOptions = {},
): ResolvedDecodeOptions {
  const palette = options.palette ?? DEFAULT_DECODE_LABEL_PNG_OPTIONS.palette;
  // Alternative official colours belong to the default palette only.
  const extraColors =
    options.extraColors ??
    (options.palette === undefined ? (DEFAULT_DECODE_LABEL_PNG_OPTIONS.extraColors ?? []) : []);
  const source = options.source ?? DEFAULT_DECODE_LABEL_PNG_OPTIONS.source;
  const maxPixels = options.maxPixels ?? DEFAULT_DECODE_LABEL_PNG_OPTIONS.maxPixels;
  const checkCrc = options.checkCrc ?? DEFAULT_DECODE_LABEL_PNG_OPTIONS.checkCrc;
  const fail: (problem: string) => never = (problem) => {
    throw new PngError({ source, problem });
  };
  if (palette.length === 0 || palette.length % 3 !== 0 || palette.length > 3 * 65536) {
    fail(
      `palette length ${palette.length} is not a positive multiple of 3 (RGB triplets, at most 65536 entries)`,
    );
  }
  for (const { id, color } of extraColors) {
    if (!Number.isInteger(id) || id < 0 || id > 65535 || color.length !== 3) {
      fail(
        `extra colour for id ${id} must be an integer id 0..65535 with an RGB triplet, got [${color.join(', ')}]`,
      );
    }
  }
  if (!(Number.isSafeInteger(maxPixels) && maxPixels > 0)) {
    fail(`maxPixels must be a positive integer, got ${String(maxPixels)}`);
  }
  return { palette, extraColors, source, maxPixels, checkCrc };
}

/**
 * Decodes a label-map PNG into one label per pixel, bounded (see `decodePng`: the size is
 * checked against `maxPixels` and `expectedSize` before inflating, inflation stops at the
 * size the header implies, CRCs are checked):
 * - palette (type 3): the raw indices (never the expanded colours), any PLTE length;
 * - grey (type 0, 1–16 bit) and grey+alpha (type 4): the grey values;
 * - RGB/RGBA (types 2/6): colours mapped back through `palette` (unknown colour → error).
 * Errors are `PngError`s naming `source`.
 */
export function decodeLabelPng(
  bytes: ArrayBufferView | ArrayBufferLike,
  options: DecodeLabelPngOptions = {},
): DecodedLabelPng {
  const opts = resolveDecodeLabelPngOptions(options);
  const png = decodePng(bytes, {
    source: opts.source,
    maxPixels: opts.maxPixels,
    expectedSize: options.expectedSize,
    inflate: options.inflate,
    checkCrc: opts.checkCrc,
  });
  const { width, height, channels, bitDepth, colorType } = png;
  const n = width * height;
  const data = png.data;
  if (channels === 1) return { labels: data, width, height, colorType, bitDepth };
  if (channels === 2) {
    const labels = bitDepth === 16 ? new Uint16Array(n) : new Uint8Array(n);
    for (let i = 0; i < n; i++) labels[i] = data[2 * i]!;
    return { labels, width, height, colorType, bitDepth };
  }
  const labels = colourToLabels(data, n, channels, bitDepth, width, opts);
  return { labels, width, height, colorType, bitDepth };
}

function colourToLabels(
  data: ArrayLike<number>,
  n: number,
  channels: number,
  depth: number,
  width: number,
  opts: ResolvedDecodeOptions,
): Uint8Array | Uint16Array {
  const lut = new Map<number, number>();
  const { palette } = opts;
  const entries = palette.length / 3;
  // First palette entry for a colour wins (duplicate colours in a ramp tail are harmless).
  for (let i = entries - 1; i >= 0; i--) {
    lut.set((palette[3 * i]! << 16) | (palette[3 * i + 1]! << 8) | palette[3 * i + 2]!, i);
  }
  for (const { id, color } of opts.extraColors) {
    const key = (color[0]! << 16) | (color[1]! << 8) | color[2]!;
    if (!lut.has(key)) lut.set(key, id);
  }
  let maxId = 0;
  for (const v of lut.values()) maxId = Math.max(maxId, v);
  const labels = maxId > 255 ? new Uint16Array(n) : new Uint8Array(n);
  const shift = depth === 16 ? 8 : 0;
  let lastKey = -1;
  let lastId = 0;
  for (let i = 0; i < n; i++) {
    const o = i * channels;
    const key =
      ((data[o]! >> shift) << 16) | ((data[o + 1]! >> shift) << 8) | (data[o + 2]! >> shift);
    if (key !== lastKey) {
      const id = lut.get(key);
      if (id === undefined) {
        const x = i % width;
        const y = Math.floor(i / width);
        throw new PngError({
          source: opts.source,
          problem: `unknown colour (${data[o]}, ${data[o + 1]}, ${data[o + 2]}) at pixel (x=${x}, y=${y}); not in the ${entries}-entry palette`,
        });
      }
      lastKey = key;
      lastId = id;
    }
    labels[i] = lastId;
  }
  return labels;
}

export interface EncodeLabelPngOptions {
  labels: Uint8Array | Uint16Array;
  width: number;
  height: number;
  /**
   * RGB triplets: writes a palette PNG (type 3, 8 bit) whose indices are the labels; entries
   * are added as a grey ramp up to the largest label. Without it: a grey PNG (8 or 16 bit).
   */
  palette?: ArrayLike<number>;
}

/** Encodes a label map as a PNG that `decodeLabelPng` reads back exactly. */
export function encodeLabelPng(options: EncodeLabelPngOptions): Uint8Array {
  const { labels, width, height, palette } = options;
  if (!Number.isInteger(width) || width <= 0 || !Number.isInteger(height) || height <= 0) {
    throw new Error(
      `encodeLabelPng: width ${width} and height ${height} must be positive integers`,
    );
  }
  if (labels.length !== width * height) {
    throw new Error(
      `encodeLabelPng: labels has ${labels.length} values, expected width*height = ${width * height}`,
    );
  }
  if (palette === undefined) {
    return encode({
      width,
      height,
      data: labels,
      channels: 1,
      depth: labels instanceof Uint16Array ? 16 : 8,
    });
  }
  if (palette.length === 0 || palette.length % 3 !== 0 || palette.length > 768) {
    throw new Error(
      `encodeLabelPng: palette length ${palette.length} must be a positive multiple of 3, at most 768 (256 RGB entries)`,
    );
  }
  let max = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]! > max) max = labels[i]!;
  if (max > 255) {
    throw new Error(`encodeLabelPng: label ${max} does not fit a palette PNG (allowed 0..255)`);
  }
  const entries = Math.max(palette.length / 3, max + 1);
  const plte: number[][] = [];
  for (let i = 0; i < entries; i++) {
    plte.push(
      i * 3 < palette.length
        ? [palette[3 * i]!, palette[3 * i + 1]!, palette[3 * i + 2]!]
        : [i, i, i],
    );
  }
  const data = labels instanceof Uint8Array ? labels : Uint8Array.from(labels);
  return encode({ width, height, data, channels: 1, depth: 8, palette: plte });
}
