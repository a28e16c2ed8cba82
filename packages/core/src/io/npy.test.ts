import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readNpyFile } from './files.js';
import { readNpy, writeNpy } from './npy.js';

const fixtures = new URL('./fixtures/', import.meta.url);
const expected = (
  JSON.parse(readFileSync(new URL('io-expected.json', fixtures), 'utf8')) as {
    npy: Record<string, { dtype: string; shape: number[]; values: (number | string)[] }>;
  }
).npy;

describe('readNpy / writeNpy', () => {
  for (const [name, e] of Object.entries(expected)) {
    it(`reads numpy's ${name}.npy and writes it back byte-identically`, async () => {
      const path = new URL(`${name}.npy`, fixtures).pathname;
      const a = await readNpyFile(path);
      expect(a.dtype).toBe(e.dtype);
      expect(a.shape).toEqual(e.shape);
      const values =
        e.dtype === '<i8'
          ? Array.from(a.data as BigInt64Array, String)
          : Array.from(a.data as ArrayLike<number>);
      const want = e.dtype === '<f4' ? e.values.map((v) => Math.fround(v as number)) : e.values;
      expect(values).toEqual(want);
      if (name !== 'v2') {
        // numpy's own header layout (v1.0, 64-byte aligned) is reproduced exactly
        expect(Buffer.from(writeNpy(a)).equals(readFileSync(path))).toBe(true);
      }
    });
  }

  it('round-trips and infers dtype from the array type', () => {
    const bytes = writeNpy({ shape: [2, 2], data: new Int32Array([1, -2, 3, -4]) });
    expect((10 + new DataView(bytes.buffer).getUint16(8, true)) % 64).toBe(0);
    const back = readNpy(bytes);
    expect([back.dtype, back.shape, Array.from(back.data as Int32Array)]).toEqual([
      '<i4',
      [2, 2],
      [1, -2, 3, -4],
    ]);
  });

  it('rejects fortran order, big-endian, truncated data and bad magic clearly', async () => {
    await expect(readNpyFile(new URL('fortran.npy', fixtures).pathname)).rejects.toThrow(
      /fortran_order=True arrays are not supported/,
    );
    await expect(readNpyFile(new URL('bigendian.npy', fixtures).pathname)).rejects.toThrow(
      /unsupported dtype ">f4" \(supported: <f4, <f8, <i4, <i8, \|u1, \|i1\)/,
    );
    const good = writeNpy({ shape: [3], data: new Float32Array([1, 2, 3]) });
    expect(() => readNpy(good.subarray(0, good.length - 1))).toThrow(
      /shape \(3\) of <f4 needs 12 data bytes, file has 11/,
    );
    expect(() => readNpy(new Uint8Array(16))).toThrow(/missing the \\x93NUMPY magic/);
    expect(() => writeNpy({ shape: [4], data: new Float32Array(3) })).toThrow(
      /has 4 elements, data has 3/,
    );
  });
});
