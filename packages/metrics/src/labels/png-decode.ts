// A bounded PNG decoder for label maps and masks. The header is read and checked (IHDR CRC,
// size limit, expected size) before anything is inflated; the zlib stream is inflated with a
// hard cap at the exact size the header implies, so a small file that declares a huge image
// or inflates past its declared size fails in milliseconds with a few MB at most; every
// critical chunk's CRC is checked. All colour types, bit depths and Adam7 interlacing decode
// to raw samples (palette indices stay indices).
import { Unzlib } from 'fflate';

/**
 * Raw zlib stream → inflated bytes, stopping with an error beyond `maxOutputLength` bytes:
 * in Node, `zlib.inflateSync` (native, ~3x faster than the built-in pure-JS inflate).
 * `chunkSize` is the output buffer size to start with (the expected size, up to 16 MiB): one
 * buffer instead of many 16 KiB ones to concatenate.
 */
export type InflateFn = (
  data: Uint8Array,
  options: { maxOutputLength: number; chunkSize?: number },
) => Uint8Array;

/** PNG colour types. */
export type PngColorType = 0 | 2 | 3 | 4 | 6;

/** Largest mask accepted by default: 4096 × 4096 pixels (`maxPixels`). */
export const MASK_MAX_PIXELS = 4096 * 4096;

/** A PNG that is malformed, corrupt or over a limit; the message names the file. */
export class PngError extends Error {
  /** The file (or other origin) the bytes came from. */
  readonly source: string;
  /** What is wrong, without the file prefix. */
  readonly problem: string;
  constructor(options: { source: string; problem: string; cause?: unknown }) {
    super(
      `${options.source}: ${options.problem}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'PngError';
    this.source = options.source;
    this.problem = options.problem;
  }
}

export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colorType: PngColorType;
  interlaced: boolean;
  /** Samples per pixel: 1 (grey, palette), 2 (grey + alpha), 3 (RGB), 4 (RGBA). */
  channels: number;
}

export interface DecodedPng extends PngHeader {
  /**
   * The samples, row-major, `channels` per pixel: one byte per sample for depths 1–8 (sub-byte
   * samples unpacked), a Uint16Array for 16-bit PNGs. Palette PNGs give their indices.
   */
  data: Uint8Array | Uint16Array;
  /** PLTE as RGB triplets (null when the file has none). */
  palette: Uint8Array | null;
}

export interface DecodePngOptions {
  /** File name (or other origin) named in errors (default `<bytes>`). */
  source?: string;
  /** Most pixels (width × height) accepted (default `MASK_MAX_PIXELS`, 4096²). */
  maxPixels?: number;
  /** Refuse, before inflating, an image of any other size. */
  expectedSize?: { width: number; height: number };
  /** Native inflate (Node's `zlib.inflateSync`); default: a streaming pure-JS inflate. */
  inflate?: InflateFn;
  /** Check the CRC of every critical chunk (IHDR, PLTE, IDAT, IEND); default true. */
  checkCrc?: boolean;
}

export const PNG_SIGNATURE: readonly number[] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const IHDR = 0x49484452;
const PLTE = 0x504c5445;
const IDAT = 0x49444154;
const IEND = 0x49454e44;

const readU32 = (b: Uint8Array, i: number): number =>
  ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;

let crcTable: Int32Array | null = null;

/** CRC-32 (ISO 3309, as PNG chunks use) of `bytes[start, end)`, table-driven (16 KiB table). */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  if (crcTable === null) {
    // four tables: four bytes per step ("slicing by 4")
    crcTable = new Int32Array(1024);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
    for (let n = 0; n < 256; n++) {
      let c = crcTable[n]!;
      for (let t = 1; t < 4; t++) {
        c = crcTable[c & 0xff]! ^ (c >>> 8);
        crcTable[t * 256 + n] = c;
      }
    }
  }
  const T = crcTable;
  let c = -1;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    c ^= bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    c =
      T[768 + (c & 0xff)]! ^
      T[512 + ((c >>> 8) & 0xff)]! ^
      T[256 + ((c >>> 16) & 0xff)]! ^
      T[c >>> 24]!;
  }
  for (; i < end; i++) c = T[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, readonly number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

function chunkName(type: number): string {
  let s = '';
  for (let k = 24; k >= 0; k -= 8) {
    const c = (type >>> k) & 0xff;
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return s;
}

function toUint8(bytes: ArrayBufferView | ArrayBufferLike): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (ArrayBuffer.isView(bytes))
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return new Uint8Array(bytes);
}

/**
 * Reads and checks a PNG's signature and IHDR (length, CRC, field values) without touching
 * the rest of the file: the size of an image before deciding to decode it.
 */
export function readPngHeader(
  bytes: ArrayBufferView | ArrayBufferLike,
  options: { source?: string } = {},
): PngHeader {
  const source = options.source ?? '<bytes>';
  const fail: (problem: string) => never = (problem) => {
    throw new PngError({ source, problem });
  };
  const u8 = toUint8(bytes);
  if (u8.length < 8 || PNG_SIGNATURE.some((b, i) => u8[i] !== b)) {
    fail('not a PNG file (bad signature)');
  }
  if (u8.length < 33) fail(`truncated PNG: ${u8.length} bytes, too short for the IHDR chunk`);
  if (readU32(u8, 12) !== IHDR) fail('corrupt PNG: the first chunk is not IHDR');
  if (readU32(u8, 8) !== 13) fail(`corrupt PNG: IHDR length ${readU32(u8, 8)}, expected 13`);
  const crc = readU32(u8, 29);
  const actual = crc32(u8, 12, 29);
  if (crc !== actual) {
    fail(
      `corrupt PNG: IHDR CRC is 0x${crc.toString(16).padStart(8, '0')}, the data gives 0x${actual.toString(16).padStart(8, '0')} (the header was altered or damaged)`,
    );
  }
  const width = readU32(u8, 16);
  const height = readU32(u8, 20);
  const bitDepth = u8[24]!;
  const colorType = u8[25]!;
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) {
    fail(`corrupt PNG: IHDR size ${width}x${height} (each side must be 1..2^31-1)`);
  }
  const depths = DEPTHS[colorType];
  if (depths === undefined) fail(`corrupt PNG: unknown colour type ${colorType}`);
  if (!depths.includes(bitDepth)) {
    fail(`corrupt PNG: bit depth ${bitDepth} is not allowed for colour type ${colorType}`);
  }
  if (u8[26] !== 0) fail(`corrupt PNG: unknown compression method ${u8[26]}`);
  if (u8[27] !== 0) fail(`corrupt PNG: unknown filter method ${u8[27]}`);
  if (u8[28]! > 1) fail(`corrupt PNG: unknown interlace method ${u8[28]}`);
  return {
    width,
    height,
    bitDepth,
    colorType: colorType as PngColorType,
    interlaced: u8[28] === 1,
    channels: CHANNELS[colorType]!,
  };
}

// Adam7 passes: x0, y0, dx, dy
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

interface Pass {
  x0: number;
  y0: number;
  dx: number;
  dy: number;
  width: number;
  height: number;
  /** Offset of the pass in the inflated stream. */
  offset: number;
}

function passesOf(h: PngHeader): { passes: Pass[]; total: number } {
  const bits = h.channels * h.bitDepth;
  const rowBytes = (w: number) => Math.ceil((w * bits) / 8);
  if (!h.interlaced) {
    const p = { x0: 0, y0: 0, dx: 1, dy: 1, width: h.width, height: h.height, offset: 0 };
    return { passes: [p], total: h.height * (1 + rowBytes(h.width)) };
  }
  const passes: Pass[] = [];
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) {
    const width = Math.ceil((h.width - x0) / dx);
    const height = Math.ceil((h.height - y0) / dy);
    if (width <= 0 || height <= 0) continue;
    passes.push({ x0, y0, dx, dy, width, height, offset: total });
    total += height * (1 + rowBytes(width));
  }
  return { passes, total };
}

/**
 * Streaming pure-JS inflate that stops as soon as the output would pass `cap` bytes; the
 * output buffer grows by doubling, so a header that declares a huge image costs memory only
 * as far as its data really inflates.
 */
function inflateCapped(stream: Uint8Array, cap: number): Uint8Array {
  let out = new Uint8Array(Math.min(cap, 4 * stream.length + 65536));
  let n = 0;
  let over = false;
  const unzlib = new Unzlib((chunk) => {
    if (n + chunk.length > cap) {
      over = true;
      throw new RangeError('over the cap');
    }
    if (n + chunk.length > out.length) {
      const grown = new Uint8Array(Math.min(cap, Math.max(2 * out.length, n + chunk.length)));
      grown.set(out.subarray(0, n));
      out = grown;
    }
    out.set(chunk, n);
    n += chunk.length;
  });
  // small input steps bound what one step can inflate to (deflate expands at most ~1032x)
  const STEP = 16384;
  try {
    if (stream.length === 0) unzlib.push(stream, true);
    for (let i = 0; i < stream.length; i += STEP) {
      unzlib.push(stream.subarray(i, i + STEP), i + STEP >= stream.length);
    }
  } catch (err) {
    if (over) throw new RangeError(`inflated data is larger than ${cap} bytes`);
    throw err;
  }
  return n === out.length ? out : out.subarray(0, n);
}

/** Undoes PNG row filters in place on `raw` (rows of 1 + rowBytes), `bpp` bytes per pixel. */
function unfilterInPlace(
  raw: Uint8Array,
  offset: number,
  rowBytes: number,
  rows: number,
  bpp: number,
): number {
  const stride = rowBytes + 1;
  for (let y = 0; y < rows; y++) {
    const start = offset + y * stride;
    const filter = raw[start]!;
    const cur = start + 1;
    const up = cur - stride; // previous row's bytes (y > 0)
    switch (filter) {
      case 0:
        break;
      case 1:
        for (let x = bpp; x < rowBytes; x++) raw[cur + x] = raw[cur + x]! + raw[cur + x - bpp]!;
        break;
      case 2:
        if (y > 0) for (let x = 0; x < rowBytes; x++) raw[cur + x] = raw[cur + x]! + raw[up + x]!;
        break;
      case 3:
        for (let x = 0; x < rowBytes; x++) {
          const left = x >= bpp ? raw[cur + x - bpp]! : 0;
          const above = y > 0 ? raw[up + x]! : 0;
          raw[cur + x] = raw[cur + x]! + ((left + above) >> 1);
        }
        break;
      case 4:
        for (let x = 0; x < rowBytes; x++) {
          const left = x >= bpp ? raw[cur + x - bpp]! : 0;
          const above = y > 0 ? raw[up + x]! : 0;
          const upLeft = y > 0 && x >= bpp ? raw[up + x - bpp]! : 0;
          const p = left + above - upLeft;
          const pa = Math.abs(p - left);
          const pb = Math.abs(p - above);
          const pc = Math.abs(p - upLeft);
          raw[cur + x] = raw[cur + x]! + (pa <= pb && pa <= pc ? left : pb <= pc ? above : upLeft);
        }
        break;
      default:
        return y;
    }
  }
  return -1;
}

/** 8-bit, one sample per pixel, not interlaced: unfilter straight into the label array. */
function unfilterBytes(raw: Uint8Array, width: number, height: number): Uint8Array | number {
  const out = new Uint8Array(width * height);
  const stride = width + 1;
  for (let y = 0; y < height; y++) {
    const src = y * stride + 1;
    const dst = y * width;
    const filter = raw[src - 1];
    const up = dst - width; // the row above (y > 0)
    switch (filter) {
      case 0:
        out.set(raw.subarray(src, src + width), dst);
        break;
      case 1: {
        let left = 0;
        for (let x = 0; x < width; x++) {
          left = (raw[src + x]! + left) & 0xff;
          out[dst + x] = left;
        }
        break;
      }
      case 2:
        if (y === 0) out.set(raw.subarray(src, src + width), dst);
        else for (let x = 0; x < width; x++) out[dst + x] = raw[src + x]! + out[up + x]!;
        break;
      case 3: {
        let left = 0;
        for (let x = 0; x < width; x++) {
          const above = y === 0 ? 0 : out[up + x]!;
          left = (raw[src + x]! + ((left + above) >> 1)) & 0xff;
          out[dst + x] = left;
        }
        break;
      }
      case 4: {
        let left = 0;
        let upLeft = 0;
        for (let x = 0; x < width; x++) {
          const above = y === 0 ? 0 : out[up + x]!;
          const p = left + above - upLeft;
          const pa = Math.abs(p - left);
          const pb = Math.abs(p - above);
          const pc = Math.abs(p - upLeft);
          const pred = pa <= pb && pa <= pc ? left : pb <= pc ? above : upLeft;
          left = (raw[src + x]! + pred) & 0xff;
          out[dst + x] = left;
          upLeft = above;
        }
        break;
      }
      default:
        return y;
    }
  }
  return out;
}

/**
 * Decodes a PNG to raw samples, bounded: the IHDR (CRC-checked) is validated against
 * `maxPixels` and `expectedSize` before anything is inflated, inflation stops at the exact
 * size the header implies, chunk order and lengths are checked, and critical chunks' CRCs
 * are verified. Errors are `PngError`s naming `source`.
 */
export function decodePng(
  bytes: ArrayBufferView | ArrayBufferLike,
  options: DecodePngOptions = {},
): DecodedPng {
  const source = options.source ?? '<bytes>';
  const maxPixels = options.maxPixels ?? MASK_MAX_PIXELS;
  const checkCrc = options.checkCrc ?? true;
  const fail: (problem: string, cause?: unknown) => never = (problem, cause) => {
    throw new PngError({ source, problem, cause });
  };
  const u8 = toUint8(bytes);
  const header = readPngHeader(u8, { source });
  const { width, height, channels, bitDepth } = header;
  if (width * height > maxPixels) {
    fail(
      `image is ${width}x${height} (${width * height} pixels), over the limit of ${maxPixels} pixels (maxPixels)`,
    );
  }
  const want = options.expectedSize;
  if (want && (want.width !== width || want.height !== height)) {
    fail(`image is ${width}x${height}, expected ${want.width}x${want.height}`);
  }
  // walk the chunks: lengths, order, CRCs; gather IDAT
  const parts: Uint8Array[] = [];
  let total = 0;
  let palette: Uint8Array | null = null;
  let pos = 33;
  let ended = false;
  let idatDone = false;
  while (pos + 12 <= u8.length) {
    const len = readU32(u8, pos);
    const type = readU32(u8, pos + 4);
    const start = pos + 8;
    if (len > 0x7fffffff || start + len + 4 > u8.length) {
      fail(
        `truncated PNG: chunk ${chunkName(type)} at byte ${pos} declares ${len} bytes, past the end of the ${u8.length}-byte file`,
      );
    }
    const critical = (type & 0x20000000) === 0;
    if (checkCrc && critical) {
      const crc = readU32(u8, start + len);
      if (crc !== crc32(u8, pos + 4, start + len)) {
        fail(`corrupt PNG: CRC mismatch in the ${chunkName(type)} chunk at byte ${pos}`);
      }
    }
    if (type === IDAT) {
      if (idatDone) fail(`corrupt PNG: IDAT chunks are not consecutive (another at byte ${pos})`);
      parts.push(u8.subarray(start, start + len));
      total += len;
    } else {
      if (parts.length > 0) idatDone = true;
      if (type === IEND) {
        ended = true;
        break;
      }
      if (type === PLTE) {
        if (palette !== null) fail('corrupt PNG: two PLTE chunks');
        if (parts.length > 0) fail('corrupt PNG: PLTE after IDAT');
        if (header.colorType === 0 || header.colorType === 4) {
          fail(`corrupt PNG: a PLTE chunk in a colour type ${header.colorType} (grey) image`);
        }
        if (len === 0 || len % 3 !== 0 || len > 768) {
          fail(`corrupt PNG: PLTE length ${len} is not 3 × 1..256 entries`);
        }
        palette = u8.slice(start, start + len);
      } else if (type === IHDR) {
        fail('corrupt PNG: a second IHDR chunk');
      } else if (critical) {
        fail(`unsupported PNG: unknown critical chunk ${chunkName(type)}`);
      }
    }
    pos = start + len + 4;
  }
  if (!ended) fail('truncated PNG: no IEND chunk (the file is cut short)');
  if (parts.length === 0) fail('corrupt PNG: no IDAT chunk (no image data)');
  if (header.colorType === 3 && palette === null) {
    fail('corrupt PNG: a palette image (colour type 3) without a PLTE chunk');
  }
  let stream: Uint8Array;
  if (parts.length === 1) stream = parts[0]!;
  else {
    stream = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      stream.set(p, o);
      o += p.length;
    }
  }
  const { passes, total: expected } = passesOf(header);
  let raw: Uint8Array;
  try {
    raw = options.inflate
      ? options.inflate(stream, {
          maxOutputLength: expected,
          chunkSize: Math.max(64, Math.min(expected, 1 << 24)),
        })
      : inflateCapped(stream, expected);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      fail(
        `corrupt PNG: the image data inflates past the ${expected} bytes a ${width}x${height} image needs (a decompression bomb or damaged data)`,
        err,
      );
    }
    fail(`corrupt PNG: cannot inflate the image data (${msg})`, err);
  }
  if (raw.length < expected) {
    fail(
      `truncated PNG: the image data inflates to ${raw.length} bytes, a ${width}x${height} image needs ${expected}`,
    );
  }
  // the common label map: 8-bit, one sample, not interlaced
  if (bitDepth === 8 && channels === 1 && !header.interlaced) {
    const data = unfilterBytes(raw, width, height);
    if (typeof data === 'number')
      fail(`corrupt PNG: unknown row filter ${raw[data * (width + 1)]} in row ${data}`);
    return { ...header, data: data as Uint8Array, palette };
  }
  const bits = channels * bitDepth;
  const bpp = Math.max(1, bits >> 3);
  const samples = width * height * channels;
  const data = bitDepth === 16 ? new Uint16Array(samples) : new Uint8Array(samples);
  for (const p of passes) {
    const rowBytes = Math.ceil((p.width * bits) / 8);
    const bad = unfilterInPlace(raw, p.offset, rowBytes, p.height, bpp);
    if (bad >= 0) {
      fail(`corrupt PNG: unknown row filter ${raw[p.offset + bad * (rowBytes + 1)]} in row ${bad}`);
    }
    for (let y = 0; y < p.height; y++) {
      const row = p.offset + y * (rowBytes + 1) + 1;
      const outY = p.y0 + y * p.dy;
      for (let x = 0; x < p.width; x++) {
        const o = (outY * width + p.x0 + x * p.dx) * channels;
        if (bitDepth === 16) {
          for (let c = 0; c < channels; c++) {
            const b = row + 2 * (x * channels + c);
            data[o + c] = (raw[b]! << 8) | raw[b + 1]!;
          }
        } else if (bitDepth === 8) {
          for (let c = 0; c < channels; c++) data[o + c] = raw[row + x * channels + c]!;
        } else {
          // sub-byte: one channel, samples packed from the high bits
          const bit = x * bitDepth;
          data[o] = (raw[row + (bit >> 3)]! >> (8 - bitDepth - (bit & 7))) & ((1 << bitDepth) - 1);
        }
      }
    }
  }
  return { ...header, data, palette };
}
