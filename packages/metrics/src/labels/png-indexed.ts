// A direct decoder for the one PNG flavour label maps nearly always are: 8-bit, one sample per
// pixel (grey, colour type 0, or palette indices, colour type 3), not interlaced. The caller
// supplies `inflate` (Node's `zlib.inflateSync`, native and ~3x faster than fast-png's pure-JS
// inflate, which this package cannot import without tying it to Node). Anything else returns
// null and the general decoder takes over; so does any failure here, so that errors keep the
// general decoder's messages.

/** Raw zlib stream → inflated bytes (e.g. `zlib.inflateSync` from `node:zlib`). */
export type InflateFn = (data: Uint8Array) => Uint8Array;

export interface IndexedPng {
  labels: Uint8Array;
  width: number;
  height: number;
  colorType: 0 | 3;
}

const readU32 = (b: Uint8Array, i: number): number =>
  ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;

const IHDR = 0x49484452;
const IDAT = 0x49444154;
const IEND = 0x49454e44;

/**
 * Decodes an 8-bit grey or palette PNG (not interlaced) to one byte per pixel, or returns null
 * when the file is anything else or does not decode cleanly. The signature is checked by the
 * caller.
 */
export function decodeIndexedPng(u8: Uint8Array, inflate: InflateFn): IndexedPng | null {
  // IHDR must come first: length 13, then width, height, depth, colour type, compression,
  // filter, interlace
  if (u8.length < 33 || readU32(u8, 8) !== 13 || readU32(u8, 12) !== IHDR) return null;
  const width = readU32(u8, 16);
  const height = readU32(u8, 20);
  const depth = u8[24];
  const colorType = u8[25];
  if (depth !== 8 || (colorType !== 0 && colorType !== 3) || u8[26] !== 0 || u8[27] !== 0)
    return null;
  if (u8[28] !== 0 || width === 0 || height === 0 || width * height > 2 ** 30) return null;
  // gather the IDAT payloads
  const parts: Uint8Array[] = [];
  let total = 0;
  let pos = 33;
  let ended = false;
  while (pos + 12 <= u8.length) {
    const len = readU32(u8, pos);
    const type = readU32(u8, pos + 4);
    const start = pos + 8;
    if (start + len + 4 > u8.length) return null;
    if (type === IDAT) {
      parts.push(u8.subarray(start, start + len));
      total += len;
    } else if (type === IEND) {
      ended = true;
      break;
    }
    pos = start + len + 4;
  }
  if (!ended || parts.length === 0) return null;
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
  let raw: Uint8Array;
  try {
    raw = inflate(stream);
  } catch {
    return null;
  }
  const stride = width + 1;
  if (raw.length < stride * height) return null;
  const labels = unfilter(raw, width, height);
  return labels === null ? null : { labels, width, height, colorType };
}

/** PNG row filters for one byte per pixel; null on an unknown filter type. */
function unfilter(raw: Uint8Array, width: number, height: number): Uint8Array | null {
  const out = new Uint8Array(width * height);
  const stride = width + 1;
  for (let y = 0; y < height; y++) {
    const src = y * stride + 1;
    const dst = y * width;
    const filter = raw[src - 1];
    // the row above; the first row's is all zeros
    const up = dst - width;
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
        return null;
    }
  }
  return out;
}
