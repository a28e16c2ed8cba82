import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decode, encode } from 'fast-png';
import { CELEBAMASK_PALETTE } from './celebamask.js';
import { decodeLabelPng, encodeLabelPng } from './label-png.js';
import { crc32, decodePng, PngError, readPngHeader } from './png-decode.js';

import { bitwiseCrc32, buildPng, chunk, randomLabels } from './png-build.test-util.js';

const inflate = zlib.inflateSync;

describe('crc32', () => {
  it('equals the bitwise CRC-32 for every length 0..70 and offsets', () => {
    const bytes = randomLabels(300, 11).map((v, i) => (v * 37 + i * 11) & 0xff);
    for (let n = 0; n <= 70; n++) {
      expect(crc32(bytes, 3, 3 + n)).toBe(bitwiseCrc32(bytes.subarray(3, 3 + n)));
    }
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});

describe('decodePng: every filter, interlacing, both inflates', () => {
  const W = 37;
  const H = 23;
  const labels = randomLabels(W * H, 7);
  for (const colorType of [0, 3] as const) {
    for (const interlace of [0, 1]) {
      for (const filters of [[0], [1], [2], [3], [4], [0, 1, 2, 3, 4]]) {
        it(`colour type ${colorType}, interlace ${interlace}, filters ${filters.join('/')}: the exact labels`, () => {
          const png = buildPng({
            labels,
            width: W,
            height: H,
            colorType,
            filters,
            idatParts: 3,
            interlace,
          });
          for (const opts of [{ inflate }, {}]) {
            const out = decodePng(png, opts);
            expect([out.colorType, out.width, out.height, out.interlaced]).toEqual([
              colorType,
              W,
              H,
              interlace === 1,
            ]);
            expect(Buffer.compare(out.data as Uint8Array, labels)).toBe(0);
          }
          if (interlace === 0) {
            // fast-png (the previous decoder) agrees
            expect(Buffer.compare(decode(png).data as Uint8Array, labels)).toBe(0);
          }
        });
      }
    }
  }

  it("every colour type and bit depth fast-png writes decodes to fast-png's own samples", () => {
    const cases: { channels: 1 | 2 | 3 | 4; depth: 1 | 2 | 4 | 8 | 16; palette?: boolean }[] = [
      { channels: 1, depth: 1 },
      { channels: 1, depth: 2 },
      { channels: 1, depth: 4 },
      { channels: 1, depth: 8 },
      { channels: 1, depth: 16 },
      { channels: 1, depth: 4, palette: true },
      { channels: 2, depth: 8 },
      { channels: 2, depth: 16 },
      { channels: 3, depth: 8 },
      { channels: 3, depth: 16 },
      { channels: 4, depth: 8 },
      { channels: 4, depth: 16 },
    ];
    for (const { channels, depth, palette } of cases) {
      const w = 13;
      const h = 5;
      const max = 2 ** depth;
      const rows = Math.ceil((w * channels * depth) / 8);
      const n = depth < 8 ? rows * h : w * h * channels;
      const raw = Array.from(
        randomLabels(n, depth * 10 + channels),
        (v, i) => (v * 7919 + i * 31) % (depth < 8 ? 256 : max),
      );
      const data = depth === 16 ? Uint16Array.from(raw) : Uint8Array.from(raw);
      const pal = palette ? Array.from({ length: 16 }, (_, i) => [i, 2 * i, 3 * i]) : undefined;
      const png = encode({ width: w, height: h, data, channels, depth, palette: pal });
      const ref = decode(png);
      for (const opts of [{ inflate }, {}]) {
        const out = decodePng(png, opts);
        expect([out.channels, out.bitDepth]).toEqual([channels, depth]);
        let want: number[];
        if (depth < 8) {
          want = [];
          for (let y = 0; y < h; y++)
            for (let x = 0; x < w; x++) {
              const bit = x * depth;
              want.push((ref.data[y * rows + (bit >> 3)]! >> (8 - depth - (bit & 7))) & (max - 1));
            }
        } else want = Array.from(ref.data as ArrayLike<number>);
        expect(Array.from(out.data)).toEqual(want);
        expect(out.data).toBeInstanceOf(depth === 16 ? Uint16Array : Uint8Array);
        if (palette) expect(Array.from(out.palette!)).toEqual(pal!.flat());
      }
    }
  });

  it('decodeLabelPng with `inflate` returns what it returns without it', () => {
    const png = encodeLabelPng({ labels, width: W, height: H, palette: CELEBAMASK_PALETTE });
    expect(decodeLabelPng(png, { inflate })).toEqual(decodeLabelPng(png));
  });
});

describe('decodePng refuses what is corrupt or over a limit, before inflating', () => {
  const W = 37;
  const H = 23;
  const labels = randomLabels(W * H, 9);
  const png = buildPng({ labels, width: W, height: H, colorType: 3, filters: [0, 1] });
  const refuse = (bytes: Uint8Array, re: RegExp, opts = {}) => {
    for (const o of [{ inflate, ...opts }, opts]) {
      expect(() => decodePng(bytes, { source: 'm.png', ...o })).toThrow(re);
      try {
        decodePng(bytes, { source: 'm.png', ...o });
      } catch (e) {
        expect(e).toBeInstanceOf(PngError);
        expect((e as PngError).message.startsWith('m.png: ')).toBe(true);
      }
    }
  };

  it('an IHDR edited without its CRC, a bad data CRC, an unknown filter', () => {
    const edited = png.slice();
    edited[23] = 12; // height 23 -> 12, CRC left stale
    refuse(edited, /IHDR CRC is 0x[0-9a-f]{8}, the data gives/);
    // readPngHeader alone catches it too
    expect(() => readPngHeader(edited, { source: 'h.png' })).toThrow(
      /^h\.png: corrupt PNG: IHDR CRC/,
    );
    const idat = Buffer.from(png).indexOf('IDAT');
    const flipped = png.slice();
    flipped[idat + 10]! ^= 0x40;
    refuse(flipped, /CRC mismatch in the IDAT chunk/);
    // without the CRC check the zlib checksum (or the inflate) still catches it
    expect(() => decodePng(flipped, { inflate, checkCrc: false })).toThrow(/corrupt PNG/);
    refuse(
      buildPng({ labels, width: W, height: H, colorType: 0, filters: [5] }),
      /unknown row filter 5 in row 0/,
    );
  });

  it('over maxPixels or not the expected size: refused from the header alone', () => {
    refuse(png, /image is 37x23 \(851 pixels\), over the limit of 850 pixels/, { maxPixels: 850 });
    refuse(png, /image is 37x23, expected 37x24/, { expectedSize: { width: 37, height: 24 } });
    expect(decodePng(png, { maxPixels: 851 }).width).toBe(37);
  });

  it('a decompression bomb: a 1 KB stream that inflates past the declared size', () => {
    // IHDR says 37x23, the stream holds 64 MB of zeros: inflation stops at 37x23's 874 bytes
    const z = zlib.deflateSync(new Uint8Array(64 << 20), { level: 9 });
    const bomb = Buffer.from(png);
    const at = bomb.indexOf('IDAT') - 4;
    const end = at + 12 + bomb.readUInt32BE(at);
    const idat = chunk('IDAT', new Uint8Array(z));
    const out = Uint8Array.from(Buffer.concat([bomb.subarray(0, at), idat, bomb.subarray(end)]));
    const t = performance.now();
    refuse(out, /inflates past the 874 bytes a 37x23 image needs/);
    expect(performance.now() - t).toBeLessThan(2000);
  });

  it('truncation, missing chunks, chunk order', () => {
    refuse(png.subarray(0, png.length - 20), /truncated PNG/);
    refuse(png.subarray(0, 20), /truncated PNG: 20 bytes, too short for the IHDR chunk/);
    refuse(new Uint8Array([1, 2, 3]), /not a PNG file \(bad signature\)/);
    const noPlte = buildPng({ labels, width: W, height: H, colorType: 0, filters: [0] });
    noPlte[25] = 3; // palette type without PLTE (CRC fixed below)
    new DataView(noPlte.buffer).setUint32(29, bitwiseCrc32(noPlte.subarray(12, 29)));
    refuse(noPlte, /without a PLTE chunk/);
    const short = zlib.deflateSync(new Uint8Array(100));
    const s = Buffer.from(png);
    const at = s.indexOf('IDAT') - 4;
    const end = at + 12 + s.readUInt32BE(at);
    const cut = Uint8Array.from(
      Buffer.concat([s.subarray(0, at), chunk('IDAT', new Uint8Array(short)), s.subarray(end)]),
    );
    refuse(cut, /inflates to 100 bytes, a 37x23 image needs 874/);
  });
});
