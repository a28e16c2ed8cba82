import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CELEBAMASK_PALETTE } from './celebamask.js';
import { decodeLabelPng, encodeLabelPng } from './label-png.js';
import { decodeIndexedPng } from './png-indexed.js';

// CRC-32 (PNG chunk checksums), bitwise: the tests build PNGs byte by byte.
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  out.set(Buffer.from(type, 'latin1'), 4);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** PNG filter `f` applied forward to one row (one byte per pixel). */
function filterRow(f: number, row: Uint8Array, prev: Uint8Array): Uint8Array {
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

/**
 * An 8-bit grey (type 0) or palette (type 3) PNG whose row y uses filter `filters[y % n]`, with
 * the zlib stream split over `idatParts` IDAT chunks.
 */
function buildPng(options: {
  labels: Uint8Array;
  width: number;
  height: number;
  colorType: 0 | 3;
  filters: number[];
  idatParts?: number;
  interlace?: number;
}): Uint8Array {
  const { labels, width: w, height: h, colorType, filters } = options;
  const raw = new Uint8Array((w + 1) * h);
  let prev: Uint8Array = new Uint8Array(w);
  for (let y = 0; y < h; y++) {
    const f = filters[y % filters.length]!;
    const row = labels.subarray(y * w, (y + 1) * w);
    raw[y * (w + 1)] = f;
    raw.set(filterRow(f, row, prev), y * (w + 1) + 1);
    prev = row;
  }
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
function randomLabels(n: number, seed: number): Uint8Array {
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

const inflate = (d: Uint8Array) => zlib.inflateSync(d);

describe('decodeIndexedPng (8-bit grey/palette PNG through a native inflate)', () => {
  const W = 37;
  const H = 23;
  const labels = randomLabels(W * H, 7);
  for (const colorType of [0, 3] as const) {
    for (const filters of [[0], [1], [2], [3], [4], [0, 1, 2, 3, 4]]) {
      it(`colour type ${colorType}, row filters ${filters.join('/')}: the exact labels`, () => {
        const png = buildPng({ labels, width: W, height: H, colorType, filters, idatParts: 3 });
        const fast = decodeIndexedPng(png, inflate);
        expect(fast).not.toBeNull();
        expect(fast!.colorType).toBe(colorType);
        expect([fast!.width, fast!.height]).toEqual([W, H]);
        expect(Buffer.compare(fast!.labels, labels)).toBe(0);
        // and the general (pure-JS) decoder reads the same file the same way
        expect(Buffer.compare(decodeLabelPng(png).labels as Uint8Array, labels)).toBe(0);
      });
    }
  }

  it('decodeLabelPng with `inflate` returns what it returns without it', () => {
    const png = encodeLabelPng({ labels, width: W, height: H, palette: CELEBAMASK_PALETTE });
    const a = decodeLabelPng(png);
    const b = decodeLabelPng(png, { inflate });
    expect(b).toEqual(a);
  });

  it('declines what it does not handle (16-bit, interlaced, unknown filter, corrupt stream)', () => {
    const w16 = encodeLabelPng({ labels: Uint16Array.from([1, 300, 2, 4]), width: 2, height: 2 });
    expect(decodeIndexedPng(w16, inflate)).toBeNull();
    const interlaced = buildPng({ labels, width: W, height: H, colorType: 0, filters: [0] });
    interlaced[28] = 1;
    expect(decodeIndexedPng(interlaced, inflate)).toBeNull();
    const badFilter = buildPng({ labels, width: W, height: H, colorType: 0, filters: [5] });
    expect(decodeIndexedPng(badFilter, inflate)).toBeNull();
    const png = buildPng({ labels, width: W, height: H, colorType: 3, filters: [0] });
    const corrupt = png.slice();
    const idat = Buffer.from(corrupt).indexOf('IDAT');
    corrupt.fill(0x55, idat + 6, idat + 20);
    expect(decodeIndexedPng(corrupt, inflate)).toBeNull();
    // the general path then reports it, naming the file
    expect(() => decodeLabelPng(corrupt, { inflate, source: 'm.png' })).toThrow(/m\.png/);
    // a truncated file (no IEND) is declined too
    expect(decodeIndexedPng(png.subarray(0, png.length - 20), inflate)).toBeNull();
  });
});
