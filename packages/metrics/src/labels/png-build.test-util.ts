// PNG files built byte by byte for the decoder's tests and fuzz suite.
import zlib from 'node:zlib';
import { CELEBAMASK_PALETTE } from './celebamask.js';

// CRC-32 (PNG chunk checksums), bitwise: the reference for the table-driven one.
export function bitwiseCrc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

export function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  out.set(Buffer.from(type, 'latin1'), 4);
  out.set(data, 8);
  dv.setUint32(8 + data.length, bitwiseCrc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** PNG filter `f` applied forward to one row (one byte per pixel). */
export function filterRow(f: number, row: Uint8Array, prev: Uint8Array): Uint8Array {
  const out = new Uint8Array(row.length);
  for (let x = 0; x < row.length; x++) {
    const a = x > 0 ? row[x - 1]! : 0;
    const b = prev[x]!;
    const c = x > 0 ? prev[x - 1]! : 0;
    let pred = 0;
    if (f === 1) pred = a;
    else if (f === 2) pred = b;
    else if (f === 3) pred = (a + b) >> 1;
    else if (f === 4) {
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
    out[x] = (row[x]! - pred) & 0xff;
  }
  return out;
}

/** Filtered scanlines of an 8-bit one-sample image, row y with filter `filters[y % n]`. */
export function scanlines(labels: Uint8Array, w: number, h: number, filters: number[]): Uint8Array {
  const raw = new Uint8Array((w + 1) * h);
  let prev: Uint8Array = new Uint8Array(w);
  for (let y = 0; y < h; y++) {
    const f = filters[y % filters.length]!;
    const row = labels.subarray(y * w, (y + 1) * w);
    raw[y * (w + 1)] = f;
    raw.set(filterRow(f, row, prev), y * (w + 1) + 1);
    prev = row;
  }
  return raw;
}

// The Adam7 pass of each pixel of an 8x8 tile, as the PNG specification draws it (an
// independent statement of what the decoder's pass table encodes).
const ADAM7_TILE = [
  '16462646',
  '77777777',
  '56565656',
  '77777777',
  '36463646',
  '77777777',
  '56565656',
  '77777777',
];

/**
 * An 8-bit grey (type 0) or palette (type 3) PNG whose row y uses filter `filters[y % n]`, with
 * the zlib stream split over `idatParts` IDAT chunks; Adam7-interlaced when `interlace` is 1.
 */
export function buildPng(options: {
  labels: Uint8Array;
  width: number;
  height: number;
  colorType: 0 | 3;
  filters: number[];
  idatParts?: number;
  interlace?: number;
}): Uint8Array {
  const { labels, width: w, height: h, colorType, filters } = options;
  let raw: Uint8Array;
  if (options.interlace === 1) {
    const passes: Uint8Array[] = [];
    for (let pass = 1; pass <= 7; pass++) {
      // the pass's sub-image: its pixels row by row, rows without any left out
      const rows: number[][] = [];
      for (let y = 0; y < h; y++) {
        const row: number[] = [];
        for (let x = 0; x < w; x++) {
          if (Number(ADAM7_TILE[y % 8]![x % 8]) === pass) row.push(labels[y * w + x]!);
        }
        if (row.length > 0) rows.push(row);
      }
      if (rows.length === 0) continue;
      passes.push(scanlines(Uint8Array.from(rows.flat()), rows[0]!.length, rows.length, filters));
    }
    raw = Uint8Array.from(Buffer.concat(passes));
  } else raw = scanlines(labels, w, h, filters);
  const z = new Uint8Array(zlib.deflateSync(raw));
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, w);
  dv.setUint32(4, h);
  ihdr.set([8, colorType, 0, 0, options.interlace ?? 0], 8);
  const parts: Uint8Array[] = [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])];
  parts.push(chunk('IHDR', ihdr));
  if (colorType === 3) parts.push(chunk('PLTE', Uint8Array.from(CELEBAMASK_PALETTE)));
  const n = options.idatParts ?? 1;
  const step = Math.ceil(z.length / n);
  for (let i = 0; i < z.length; i += step) parts.push(chunk('IDAT', z.subarray(i, i + step)));
  parts.push(chunk('IEND', new Uint8Array(0)));
  return Uint8Array.from(Buffer.concat(parts));
}

/** Deterministic labels with runs, edges and the full 0..18 range (xorshift32). */
export function randomLabels(n: number, seed: number): Uint8Array {
  let s = seed >>> 0 || 1;
  const out = new Uint8Array(n);
  let v = 0;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    if ((s >>> 0) % 5 === 0) v = (s >>> 8) % 19;
    out[i] = v;
  }
  return out;
}

/** `png` with its IDAT chunks replaced by one IDAT holding `stream` (CRC correct). */
export function replaceIdat(png: Uint8Array, stream: Uint8Array): Uint8Array {
  const b = Buffer.from(png);
  const first = b.indexOf('IDAT') - 4;
  let end = first;
  while (b.toString('latin1', end + 4, end + 8) === 'IDAT') end += 12 + b.readUInt32BE(end);
  return Uint8Array.from(
    Buffer.concat([b.subarray(0, first), chunk('IDAT', stream), b.subarray(end)]),
  );
}

/** Rewrites IHDR fields (width, height, depth, colour type, interlace) and fixes its CRC. */
export function patchIhdr(
  png: Uint8Array,
  fields: {
    width?: number;
    height?: number;
    depth?: number;
    colorType?: number;
    interlace?: number;
    compression?: number;
    filter?: number;
  },
): Uint8Array {
  const out = png.slice();
  const dv = new DataView(out.buffer);
  if (fields.width !== undefined) dv.setUint32(16, fields.width >>> 0);
  if (fields.height !== undefined) dv.setUint32(20, fields.height >>> 0);
  if (fields.depth !== undefined) out[24] = fields.depth;
  if (fields.colorType !== undefined) out[25] = fields.colorType;
  if (fields.compression !== undefined) out[26] = fields.compression;
  if (fields.filter !== undefined) out[27] = fields.filter;
  if (fields.interlace !== undefined) out[28] = fields.interlace;
  dv.setUint32(29, bitwiseCrc32(out.subarray(12, 29)));
  return out;
}
