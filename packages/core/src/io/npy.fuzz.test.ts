// Fuzz suite for the .npy reader: the mis-parses and slow headers of issue 16 by name, then
// seeded mutations and generated header dicts. Every case ends in a clean acceptance (checked
// for consistency) or a FileFormatError naming the file, quoting at most 200 bytes, within a
// time and memory bound.
import { type FuzzCase, fuzzRng } from '@facepar/test-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { weightFileFuzzer } from './fuzz.test-util.js';
import { type NpyArray, type ReadNpyOptions, readNpy, writeNpy } from './npy.js';

const SOURCE = '/arrays/fuzz.npy';

/** A .npy file with the given header text (padded like numpy unless `raw`). */
function npy(
  header: string,
  data: Uint8Array = new Uint8Array(0),
  options: { major?: number; minor?: number } = {},
): Uint8Array {
  const major = options.major ?? 1;
  const h = major === 3 ? new TextEncoder().encode(header) : Buffer.from(header, 'latin1');
  const pre = major === 1 ? 10 : 12;
  const out = new Uint8Array(pre + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, options.minor ?? 0]);
  const v = new DataView(out.buffer);
  if (major === 1) v.setUint16(8, Math.min(h.length, 0xffff), true);
  else v.setUint32(8, h.length, true);
  out.set(h, pre);
  out.set(data, pre + h.length);
  return out;
}

const dict = (descr: string, shape: string, fortran = 'False') =>
  `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }\n`;

function accepted(a: NpyArray): void {
  let n = 1;
  for (const d of a.shape) n *= d;
  expect(a.data.length).toBe(n);
  const back = readNpy(writeNpy(a));
  expect([back.dtype, back.shape]).toEqual([a.dtype, a.shape]);
  expect(Buffer.from(back.data.buffer).equals(Buffer.from(a.data.buffer))).toBe(true);
}

const fuzzCase = weightFileFuzzer(readNpy, SOURCE, accepted);
type Case = FuzzCase<ReadNpyOptions, NpyArray>;

const f4 = (n: number) => new Uint8Array(4 * n);

const named: [string, Case][] = [
  [
    "'|i1' is int8: -1 stays -1",
    {
      bytes: npy(dict('|i1', '(3,)'), Uint8Array.from([255, 1, 128])),
      check: (a) => {
        expect(a.dtype).toBe('|i1');
        expect(a.data).toBeInstanceOf(Int8Array);
        expect(Array.from(a.data as Int8Array)).toEqual([-1, 1, -128]);
      },
    },
  ],
  [
    "'<i1' is int8 too",
    {
      bytes: npy(dict('<i1', '(1,)'), Uint8Array.from([200])),
      check: (a) => expect(a.dtype).toBe('|i1'),
    },
  ],
  [
    "'|u1' stays uint8",
    {
      bytes: npy(dict('|u1', '(1,)'), Uint8Array.from([200])),
      check: (a) => expect(Array.from(a.data as Uint8Array)).toEqual([200]),
    },
  ],
  // dimensions that are no decimal integer literal (numpy's literal_eval takes some of them)
  ...(
    [
      ['0x10', 16],
      ['1e1', 10],
      ['1.0', 1],
      ['-1', 0],
      ['True', 1],
      ['010', 8],
      ['1_0', 10],
      ['', 1],
    ] as const
  ).map(([dim, n]): [string, Case] => [
    dim === '' ? "'(,)' is no shape" : `dimension ${dim}`,
    {
      bytes: npy(dict('<f4', `(${dim},)`), f4(n)),
      refusal: /shape\[0\] must be a decimal integer literal such as 3, got/,
    },
  ]),
  [
    "'(3)' is an int, not a tuple",
    {
      bytes: npy(dict('<f4', '(3)'), f4(3)),
      refusal: /shape \(3\) is an integer in parentheses, not a tuple/,
    },
  ],
  [
    "'(3,)' is a vector",
    { bytes: npy(dict('<f4', '(3,)'), f4(3)), check: (a) => expect(a.shape).toEqual([3]) },
  ],
  [
    "'()' is a scalar",
    { bytes: npy(dict('<f4', '()'), f4(1)), check: (a) => expect(a.shape).toEqual([]) },
  ],
  [
    "'(2, 3, )' trailing comma",
    { bytes: npy(dict('<f4', '(2, 3, )'), f4(6)), check: (a) => expect(a.shape).toEqual([2, 3]) },
  ],
  [
    'a shape of 0 elements',
    { bytes: npy(dict('<f4', '(0, 5)')), check: (a) => expect(a.shape).toEqual([0, 5]) },
  ],
  ['a list as shape', { bytes: npy(dict('<f4', '[3]'), f4(3)), refusal: /shape must be a tuple/ }],
  [
    'a nested tuple',
    {
      bytes: npy(dict('<f4', '((1,),)'), f4(1)),
      refusal: /shape\[0\] must be a decimal integer literal/,
    },
  ],
  [
    '65 dimensions',
    { bytes: npy(dict('<f4', `(${'1,'.repeat(65)})`), f4(1)), refusal: /more than 64 dimensions/ },
  ],
  [
    'a shape that overflows',
    {
      bytes: npy(dict('<f8', '(4294967296, 4294967296)')),
      refusal: /needs more than 2\^53 - 1 bytes/,
    },
  ],
  [
    'a duplicated descr (the first textual match used to win)',
    {
      bytes: npy(
        "{'descr': '<f4', 'descr': '|u1', 'fortran_order': False, 'shape': (4,), }\n",
        f4(1),
      ),
      refusal: /header key 'descr' appears twice/,
    },
  ],
  [
    'a duplicated shape',
    {
      bytes: npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'shape': (2,)}\n", f4(2)),
      refusal: /header key 'shape' appears twice/,
    },
  ],
  [
    'an extra key',
    {
      bytes: npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}\n", f4(1)),
      refusal: /header key "x" at byte \d+ is not one of descr, fortran_order, shape/,
    },
  ],
  [
    'a missing key',
    {
      bytes: npy("{'descr': '<f4', 'fortran_order': False}\n", f4(1)),
      refusal: /header lacks 'shape'/,
    },
  ],
  [
    'fortran_order 0',
    { bytes: npy(dict('<f4', '()', '0'), f4(1)), refusal: /'fortran_order' must be True or False/ },
  ],
  [
    'fortran_order True',
    {
      bytes: npy(dict('<f4', '(2, 2)', 'True'), f4(4)),
      refusal: /fortran_order=True arrays are not supported/,
    },
  ],
  [
    'double-quoted keys',
    { bytes: npy('{"descr": "<f4", "fortran_order": False, "shape": (1,)}\n', f4(1)) },
  ],
  [
    'a Python 2 long (v1)',
    { bytes: npy(dict('<f4', '(2L,)'), f4(2)), check: (a) => expect(a.shape).toEqual([2]) },
  ],
  [
    'a Python 2 long in v3 is refused',
    { bytes: npy(dict('<f4', '(2L,)'), f4(2), { major: 3 }), refusal: /decimal integer literal/ },
  ],
  [
    'a big-endian dtype',
    { bytes: npy(dict('>f4', '(1,)'), f4(1)), refusal: /unsupported dtype ">f4"/ },
  ],
  [
    'a prototype name as dtype',
    { bytes: npy(dict('toString', '()'), f4(1)), refusal: /unsupported dtype "toString"/ },
  ],
  [
    '__proto__ as dtype',
    { bytes: npy(dict('__proto__', '()'), f4(1)), refusal: /unsupported dtype "__proto__"/ },
  ],
  [
    'a structured dtype',
    {
      bytes: npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}\n", f4(1)),
      refusal: /structured dtypes/,
    },
  ],
  [
    'an escape in descr',
    {
      bytes: npy("{'descr': '<f\\x34', 'fortran_order': False, 'shape': ()}\n", f4(1)),
      refusal: /has an escape or line break/,
    },
  ],
  [
    'a comment',
    {
      bytes: npy("{'descr': '<f4', # c\n 'fortran_order': False, 'shape': ()}\n", f4(1)),
      refusal: /a key must be a string, got # c\\n 'fortran_order'/,
    },
  ],
  [
    'text after the dict',
    { bytes: npy(`${dict('<f4', '()')}x`, f4(1)), refusal: /unexpected text after the dictionary/ },
  ],
  ['not a dict', { bytes: npy('[1, 2]\n'), refusal: /header is not a dictionary/ }],
  [
    'an empty header',
    { bytes: npy(''), refusal: /header is not a dictionary: the end of the header/ },
  ],
  [
    'UTF-8 in a v3 header',
    {
      bytes: npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'é': 1}\n", f4(1), {
        major: 3,
      }),
      refusal: /header key "é"/,
    },
  ],
  [
    'bad UTF-8 in a v3 header',
    {
      bytes: (() => {
        const b = npy(dict('<f4', '()'), f4(1), { major: 3 });
        b[15] = 0xff;
        return b;
      })(),
      refusal: /not valid UTF-8/,
    },
  ],
  [
    'format version 4.0',
    {
      bytes: npy(dict('<f4', '()'), f4(1), { major: 4 }),
      refusal: /unsupported format version 4\.0/,
    },
  ],
  [
    'format version 1.1',
    {
      bytes: npy(dict('<f4', '()'), f4(1), { minor: 1 }),
      refusal: /unsupported format version 1\.1/,
    },
  ],
  ['no magic', { bytes: new Uint8Array(64), refusal: /missing the \\x93NUMPY magic/ }],
  [
    'data one byte short',
    {
      bytes: npy(dict('<f4', '(2,)'), new Uint8Array(7)),
      refusal: /needs 8 data bytes, file has 7/,
    },
  ],
  [
    'data one byte long',
    {
      bytes: npy(dict('<f4', '(2,)'), new Uint8Array(9)),
      refusal: /needs 8 data bytes, file has 9/,
    },
  ],
  [
    "a 2 MB header of repeated 'shape': ( is refused at once, quoting 200 bytes",
    {
      bytes: npy(
        `{'descr': '<f4', 'fortran_order': False, ${"'shape': (".repeat(200_000)}}`,
        new Uint8Array(0),
        { major: 2 },
      ),
      refusal: /header is 2000042 bytes, over the 10000-byte limit/,
    },
  ],
  [
    'the same 2 MB header with the limit lifted is parsed in linear time',
    {
      bytes: npy(
        `{'descr': '<f4', 'fortran_order': False, ${"'shape': (".repeat(200_000)}}`,
        new Uint8Array(0),
        { major: 2 },
      ),
      options: { maxHeaderBytes: 100_000_000 },
      refusal: /shape\[0\] must be a decimal integer literal such as 3, got 'shape': \('shape/,
      maxMs: 1000,
    },
  ],
  [
    'a 512 KB header of spaces with the limit lifted',
    {
      bytes: npy(
        `{'descr': '<f4', 'fortran_order': False, 'shape': (${' '.repeat(512_000)}1,)}\n`,
        f4(1),
        { major: 2 },
      ),
      options: { maxHeaderBytes: 1e8 },
    },
  ],
  [
    'a header just over the default limit',
    {
      bytes: npy(`${dict('<f4', '()')}${' '.repeat(10_001)}`, f4(1), { major: 2 }),
      refusal: /over the 10000-byte limit/,
    },
  ],
];

describe('readNpy fuzz: the mis-parses and slow headers of issue 16', () => {
  for (const [name, c] of named)
    it(name, async () => {
      await fuzzCase(c);
    });
});

describe('readNpy fuzz: seeded mutations of valid files', () => {
  const valid = (seed: number) => {
    const r = fuzzRng(seed);
    const shape = Array.from({ length: r.int(4) }, () => r.int(4));
    const n = shape.reduce((a, b) => a * b, 1);
    const kinds = [
      () => ({ shape, data: Float32Array.from({ length: n }, () => r.next()) }),
      () => ({ shape, data: Int32Array.from({ length: n }, () => r.int(1000) - 500) }),
      () => ({ shape, data: r.bytes(n) }),
      () => ({ shape, data: Int8Array.from({ length: n }, () => r.int(256) - 128) }),
    ];
    return writeNpy(r.pick(kinds)());
  };
  for (let seed = 1; seed <= 60; seed++) {
    it(`header byte changes, seed ${seed}`, () => {
      const r = fuzzRng(seed * 7907);
      const b = valid(seed);
      const headerLen = new DataView(b.buffer).getUint16(8, true);
      for (let k = 0; k < 1 + r.int(3); k++) {
        b[10 + r.int(headerLen)] = r.pick([...Buffer.from('\'"(),:{}1Lx '), r.int(256)]);
      }
      return fuzzCase({ bytes: b });
    });
  }
  for (let seed = 1; seed <= 20; seed++) {
    it(`truncated, seed ${seed}`, () => {
      const b = valid(seed + 500);
      const cut = fuzzRng(seed).int(b.length);
      return fuzzCase({ bytes: b.subarray(0, cut), mustRefuse: true });
    });
  }
});

describe('readNpy fuzz: generated header dicts', () => {
  const token = fc.constantFrom(
    "'descr'",
    "'fortran_order'",
    "'shape'",
    "'<f4'",
    "'|i1'",
    "'|u1'",
    "'x'",
    'True',
    'False',
    '(',
    ')',
    ',',
    ':',
    '{',
    '}',
    '1',
    '0',
    '3',
    '0x3',
    '1e1',
    'L',
    ' ',
    '\n',
    '-',
    '[',
    ']',
    '"shape"',
  );
  const samples = fc.sample(fc.array(token, { minLength: 1, maxLength: 24 }), {
    numRuns: 40,
    seed: 1616,
  });
  samples.forEach((tokens, i) => {
    const text = `{'descr': '<f4', 'fortran_order': False, 'shape': ${tokens.join('')}`;
    it(`generated shape text ${i}: ${JSON.stringify(tokens.join('')).slice(0, 60)}`, () =>
      fuzzCase({ bytes: npy(text, f4(3)) }));
  });
  const dicts = fc.sample(
    fc.array(
      fc.constantFrom(
        "'descr': '<f4'",
        "'descr': '|i1'",
        "'fortran_order': False",
        "'fortran_order': True",
        "'shape': (3,)",
        "'shape': ()",
        "'shape': (1, 3)",
        "'other': 1",
      ),
      { maxLength: 5 },
    ),
    { numRuns: 20, seed: 61 },
  );
  dicts.forEach((items, i) => {
    it(`generated key set ${i}: ${items.join(', ').slice(0, 70)}`, () =>
      fuzzCase({ bytes: npy(`{${items.join(', ')}}\n`, f4(3)) }));
  });
});
