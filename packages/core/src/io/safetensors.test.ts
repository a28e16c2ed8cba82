import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpyFile, readSafetensorsFile, writeSafetensorsFile } from './files.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';
import { type TensorEntry, toFloat32 } from './tensor-entry.js';

interface Expected {
  metadata: Record<string, string>;
  tensors: Record<string, { dtype: string; shape: number[]; values: (number | string)[] }>;
}
const fixtures = new URL('./fixtures/', import.meta.url);
const expected = (
  JSON.parse(readFileSync(new URL('io-expected.json', fixtures), 'utf8')) as {
    safetensors: Expected;
  }
).safetensors;
const handPath = new URL('hand.safetensors', fixtures).pathname;

/** Builds a file from a raw header object (or string) and a data area. */
function build(
  header: unknown,
  data: Uint8Array = new Uint8Array(0),
  lenOverride?: bigint,
): Uint8Array {
  const json = new TextEncoder().encode(
    typeof header === 'string' ? header : JSON.stringify(header),
  );
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lenOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('readSafetensors', () => {
  it('reads a file written by hand in Python (all dtypes, shuffled data order, metadata)', async () => {
    const file = await readSafetensorsFile(handPath);
    expect(file.metadata).toEqual(expected.metadata);
    expect([...file.tensors.keys()].sort()).toEqual(Object.keys(expected.tensors).sort());
    for (const [name, e] of Object.entries(expected.tensors)) {
      const t = file.tensors.get(name)!;
      expect([name, t.dtype, t.shape]).toEqual([name, e.dtype, e.shape]);
      if (e.dtype === 'I64') {
        expect(Array.from(t.data as BigInt64Array, String)).toEqual(e.values);
      } else if (e.dtype === 'F16' || e.dtype === 'BF16' || e.dtype === 'F32') {
        expect(Array.from(toFloat32(t))).toEqual(e.values.map((v) => Math.fround(v as number)));
      } else {
        expect(Array.from(t.data as ArrayLike<number>)).toEqual(e.values);
      }
    }
  });

  it('round-trips every dtype bit-exactly, header padded to 8 bytes', () => {
    const entries = new Map<string, TensorEntry>([
      ['a.weight', { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, -2, 3.5, Math.PI]) }],
      ['b', { dtype: 'F16', shape: [3], data: new Uint16Array([0x3c00, 0x8001, 0x7bff]) }],
      ['c', { dtype: 'BF16', shape: [1], data: new Uint16Array([0x3fc0]) }],
      ['d', { dtype: 'F64', shape: [], data: new Float64Array([0.1]) }],
      ['e', { dtype: 'I64', shape: [1], data: new BigInt64Array([-(2n ** 62n)]) }],
      ['f', { dtype: 'I32', shape: [2], data: new Int32Array([-1, 7]) }],
      ['g', { dtype: 'U8', shape: [1, 1], data: new Uint8Array([200]) }],
      ['h', { dtype: 'BOOL', shape: [2], data: new Uint8Array([0, 1]) }],
      ['i', { dtype: 'I8', shape: [1], data: new Int8Array([-128]) }],
      ['j', { dtype: 'I16', shape: [1], data: new Int16Array([-300]) }],
    ]);
    const bytes = writeSafetensors(entries, { format: 'pt' });
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLen % 8).toBe(0);
    const back = readSafetensors(bytes);
    expect(back.metadata).toEqual({ format: 'pt' });
    expect([...back.tensors.keys()]).toEqual([...entries.keys()]);
    for (const [k, v] of entries) {
      const r = back.tensors.get(k)!;
      expect(r.dtype).toBe(v.dtype);
      expect(r.shape).toEqual(v.shape);
      expect(r.data.constructor).toBe(v.data.constructor);
      expect(Array.from(r.data as ArrayLike<number>)).toEqual(
        Array.from(v.data as ArrayLike<number>),
      );
    }
    // writing what was read gives the same bytes
    expect(
      Buffer.from(writeSafetensors(back.tensors, back.metadata)).equals(Buffer.from(bytes)),
    ).toBe(true);
  });

  const ok = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
  const hostile: [string, Uint8Array, RegExp][] = [
    ['a file shorter than 8 bytes', new Uint8Array(3), /shorter than the 8-byte header length/],
    [
      'a huge header length',
      build(ok, new Uint8Array(8), 2n ** 60n),
      /exceeds the 100000000-byte limit/,
    ],
    ['a header length past the end', build(ok, new Uint8Array(8), 5000n), /runs past the end/],
    ['bad JSON', build('{"a": [', new Uint8Array(0)), /tensor "a" must be a JSON object, got \[/],
    [
      'a JSON array header',
      build([1, 2]),
      /header must be a JSON object starting with '\{', got \[1,2\]/,
    ],
    [
      'an unknown dtype',
      build({ w: { dtype: 'F8_E4M3', shape: [2], data_offsets: [0, 2] } }, new Uint8Array(2)),
      /tensor "w": unknown dtype "F8_E4M3"/,
    ],
    [
      'offsets beyond the data area',
      build({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(4)),
      /tensor "w": data_offsets \[0, 8\] outside the 4-byte data area/,
    ],
    [
      'a byte size that does not match the shape',
      build({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)),
      /tensor "w": shape \[3\] of F32 needs 12 bytes, data_offsets give 8/,
    ],
    [
      'overlapping tensors',
      build({ a: ok, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(12)),
      /tensor "b": data_offsets \[4, 12\] overlap/,
    ],
    [
      'a gap between tensors',
      build({ a: { dtype: 'U8', shape: [2], data_offsets: [2, 4] } }, new Uint8Array(4)),
      /gap in the data area: bytes \[0, 2\)/,
    ],
    [
      'trailing bytes no tensor owns',
      build({ a: ok }, new Uint8Array(12)),
      /data area is 12 bytes but the tensors cover only \[0, 8\)/,
    ],
    [
      'begin > end',
      build({ a: { dtype: 'U8', shape: [0], data_offsets: [4, 0] } }, new Uint8Array(4)),
      /tensor "a": data_offsets \[4, 0\] has begin > end/,
    ],
    [
      'negative or fractional shape',
      build({ a: { dtype: 'U8', shape: [-1], data_offsets: [0, 0] } }),
      /tensor "a": shape\[0\] must be a non-negative integer, got -1/,
    ],
    [
      'a huge shape',
      build(
        { a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } },
        new Uint8Array(8),
      ),
      /tensor "a": shape \[1099511627776, 1099511627776\] of F32 needs more than 2\^53 - 1 bytes/,
    ],
    [
      'non-string metadata',
      build({ __metadata__: { epoch: 3 } }),
      /__metadata__\["epoch"\] must be a string, got 3/,
    ],
  ];
  for (const [what, bytes, message] of hostile) {
    it(`rejects ${what} with a clear error`, () => {
      expect(() => readSafetensors(bytes)).toThrow(message);
    });
  }

  it('errors from readSafetensorsFile name the file, also for a folder or a missing file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'facepar-st-'));
    const path = join(dir, 'bad.safetensors');
    writeFileSync(path, build('{oops'));
    await expect(readSafetensorsFile(path)).rejects.toThrow(
      `${path}: safetensors: a key of header must be a string, got oops`,
    );
    await expect(readSafetensorsFile(dir)).rejects.toThrow(
      `${dir}: safetensors: is a folder, not a file`,
    );
    await expect(readSafetensorsFile(join(dir, 'nope.safetensors'))).rejects.toThrow(
      new RegExp(`^${join(dir, 'nope\\.safetensors')}: safetensors: cannot be read \\(ENOENT`),
    );
    await expect(readNpyFile(dir)).rejects.toThrow(`${dir}: npy: is a folder, not a file`);
  });
});

describe('writeSafetensors', () => {
  it('rejects data that does not match shape or dtype, naming the tensor', () => {
    expect(() =>
      writeSafetensors({ w: { dtype: 'F32', shape: [3], data: new Float32Array(2) } }),
    ).toThrow(/tensor 'w': shape \[3\] has 3 elements, data has 2/);
    expect(() =>
      writeSafetensors({ w: { dtype: 'F16', shape: [2], data: new Float32Array(2) } }),
    ).toThrow(/tensor 'w': dtype F16 needs a Uint16Array, got Float32Array/);
  });

  it('writeSafetensorsFile writes atomically and leaves no temp file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'facepar-st-'));
    const path = join(dir, 'w.safetensors');
    await writeSafetensorsFile(path, {
      x: { dtype: 'F32', shape: [1], data: new Float32Array([2]) },
    });
    expect(readdirSync(dir)).toEqual(['w.safetensors']);
    const back = await readSafetensorsFile(path);
    expect(Array.from(back.tensors.get('x')!.data as Float32Array)).toEqual([2]);
  });
});
