import { decode, encode } from 'fast-png';
import { CELEBAMASK_ALT_COLORS, CELEBAMASK_PALETTE } from './celebamask.js';
import { decodeIndexedPng, type InflateFn } from './png-indexed.js';

/** PNG colour types a label map can arrive in. */
export type PngColorType = 0 | 2 | 3 | 4 | 6;

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
   * A zlib inflater (in Node: `zlib.inflateSync`). With it, 8-bit grey and palette PNGs (what
   * label maps nearly always are) decode through it instead of the pure-JS inflate: same labels,
   * about twice as fast. Other PNG kinds, and files it cannot decode, take the general path.
   */
  inflate?: InflateFn;
}

export const DEFAULT_DECODE_LABEL_PNG_OPTIONS = {
  palette: CELEBAMASK_PALETTE as ArrayLike<number>,
  extraColors: CELEBAMASK_ALT_COLORS as DecodeLabelPngOptions['extraColors'],
  source: '<bytes>',
} as const;

interface ResolvedDecodeOptions {
  palette: ArrayLike<number>;
  extraColors: readonly { readonly id: number; readonly color: readonly number[] }[];
  source: string;
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
  if (palette.length === 0 || palette.length % 3 !== 0 || palette.length > 3 * 65536) {
    throw new Error(
      `decodeLabelPng(${source}): palette length ${palette.length} is not a positive multiple of 3 (RGB triplets, at most 65536 entries)`,
    );
  }
  for (const { id, color } of extraColors) {
    if (!Number.isInteger(id) || id < 0 || id > 65535 || color.length !== 3) {
      throw new Error(
        `decodeLabelPng(${source}): extra colour for id ${id} must be an integer id 0..65535 with an RGB triplet, got [${color.join(', ')}]`,
      );
    }
  }
  return { palette, extraColors, source };
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function toUint8(bytes: ArrayBufferView | ArrayBufferLike): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (ArrayBuffer.isView(bytes))
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return new Uint8Array(bytes);
}

/** Unpacks 1/2/4-bit samples (rows padded to whole bytes) into one byte per pixel. */
function unpackSubByte(data: Uint8Array, width: number, height: number, depth: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const bytesPerRow = Math.ceil((width * depth) / 8);
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    const row = y * bytesPerRow;
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const byte = data[row + (bit >> 3)]!;
      out[y * width + x] = (byte >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

/**
 * Decodes a label-map PNG into one label per pixel.
 * - palette (type 3): the raw indices (never the expanded colours), any PLTE length;
 * - grey (type 0, 1–16 bit) and grey+alpha (type 4): the grey values;
 * - RGB/RGBA (types 2/6): colours mapped back through `palette` (unknown colour → error).
 */
export function decodeLabelPng(
  bytes: ArrayBufferView | ArrayBufferLike,
  options: DecodeLabelPngOptions = {},
): DecodedLabelPng {
  const opts = resolveDecodeLabelPngOptions(options);
  const u8 = toUint8(bytes);
  if (u8.length < 8 || PNG_SIGNATURE.some((b, i) => u8[i] !== b)) {
    throw new Error(`decodeLabelPng(${opts.source}): not a PNG file (bad signature)`);
  }
  if (options.inflate) {
    const fast = decodeIndexedPng(u8, options.inflate);
    if (fast) return { ...fast, bitDepth: 8 };
  }
  let png: ReturnType<typeof decode>;
  try {
    png = decode(u8);
  } catch (err) {
    throw new Error(
      `decodeLabelPng(${opts.source}): corrupt PNG: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const { width, height, channels, depth } = png;
  const n = width * height;
  const data = png.data;
  const expected = depth < 8 ? Math.ceil((width * depth) / 8) * height : n * channels;
  if (data.length < expected) {
    throw new Error(
      `decodeLabelPng(${opts.source}): truncated pixel data (${data.length} samples, expected ${expected})`,
    );
  }
  if (channels === 1) {
    const colorType: PngColorType = png.palette ? 3 : 0;
    let labels: Uint8Array | Uint16Array;
    if (depth < 8) labels = unpackSubByte(data as Uint8Array, width, height, depth);
    // fast-png's arrays are fresh: keep them when they hold exactly one sample per pixel
    else if (depth === 16)
      labels = data.length === n ? (data as Uint16Array) : (data as Uint16Array).slice(0, n);
    else labels = data.length === n ? (data as Uint8Array) : (data as Uint8Array).slice(0, n);
    return { labels, width, height, colorType, bitDepth: depth };
  }
  if (channels === 2) {
    const labels = depth === 16 ? new Uint16Array(n) : new Uint8Array(n);
    for (let i = 0; i < n; i++) labels[i] = data[2 * i]!;
    return { labels, width, height, colorType: 4, bitDepth: depth };
  }
  if (channels === 3 || channels === 4) {
    const labels = colourToLabels(data, n, channels, depth, width, opts);
    return { labels, width, height, colorType: channels === 3 ? 2 : 6, bitDepth: depth };
  }
  throw new Error(`decodeLabelPng(${opts.source}): unsupported channel count ${channels}`);
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
        throw new Error(
          `decodeLabelPng(${opts.source}): unknown colour (${data[o]}, ${data[o + 1]}, ${data[o + 2]}) at pixel (x=${x}, y=${y}); not in the ${entries}-entry palette`,
        );
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
