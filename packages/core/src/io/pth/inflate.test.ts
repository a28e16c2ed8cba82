import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InflateError, inflateRaw } from './inflate.js';

function sample(n: number, seed: number): Uint8Array {
  // compressible but not trivial: runs, text and noise
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = i % 1000 < 300 ? 0 : i % 1000 < 600 ? 97 + (i % 7) : s >>> 24;
  }
  return out;
}

describe('inflateRaw', () => {
  it.each([0, 1, 6, 9])(
    'inverts zlib deflateRaw at level %i (stored, fixed and dynamic blocks)',
    (level) => {
      for (const n of [0, 1, 300, 70_000]) {
        const data = sample(n, n + level);
        const z = new Uint8Array(deflateRawSync(data, { level }));
        expect(Buffer.from(inflateRaw(z, n)).equals(Buffer.from(data))).toBe(true);
      }
    },
  );

  it('refuses to write past the declared size (zip bomb) and to stop short of it', () => {
    const zeros = new Uint8Array(deflateRawSync(new Uint8Array(1 << 20)));
    expect(zeros.length).toBeLessThan(2000);
    expect(() => inflateRaw(zeros, 10)).toThrow(
      new InflateError('deflate stream inflates beyond the declared 10 bytes'),
    );
    expect(() => inflateRaw(zeros, (1 << 20) + 1)).toThrow(
      /ends after 1048576 of the declared 1048577 bytes/,
    );
  });

  it('refuses truncated and malformed streams', () => {
    const z = new Uint8Array(deflateRawSync(sample(5000, 3)));
    for (const cut of [0, 1, 10, z.length >> 1, z.length - 1]) {
      expect(() => inflateRaw(z.subarray(0, cut), 5000)).toThrow(InflateError);
    }
    expect(() => inflateRaw(new Uint8Array([0x07]), 1)).toThrow('invalid block type 3');
    expect(() => inflateRaw(new Uint8Array([0x01, 0x05, 0x00, 0x00, 0x00]), 5)).toThrow(
      'stored block length check failed',
    );
  });
});
