// Fuzz suite for the safetensors reader: the hostile headers of issue 16 by name, then seeded
// mutations and generated headers. Every case ends in a clean acceptance (checked for
// consistency) or a FileFormatError naming the file, quoting at most 200 bytes, within a time
// and memory bound.
import { type FuzzCase, fuzzRng } from '@facepar/test-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { weightFileFuzzer } from './fuzz.test-util.js';
import {
  type ReadSafetensorsOptions,
  readSafetensors,
  SAFETENSORS_MAX_TENSORS,
  type SafetensorsFile,
  writeSafetensors,
} from './safetensors.js';
import { DTYPE_SIZES, numElements, type TensorEntry } from './tensor-entry.js';

const SOURCE = '/weights/fuzz.safetensors';

function build(header: string | Uint8Array, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = typeof header === 'string' ? new TextEncoder().encode(header) : header;
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** What an accepted file must satisfy: sizes consistent, and it writes back to itself. */
function accepted(file: SafetensorsFile, bytes: Uint8Array): void {
  let total = 0;
  for (const [name, t] of file.tensors) {
    expect(t.data.length, name).toBe(numElements(t.shape));
    total += t.data.byteLength;
    expect(DTYPE_SIZES[t.dtype] * t.data.length).toBe(t.data.byteLength);
  }
  const headerLen = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  expect(total).toBe(bytes.length - 8 - headerLen);
  const again = readSafetensors(writeSafetensors(file.tensors, file.metadata));
  expect([...again.tensors.keys()]).toEqual([...file.tensors.keys()]);
  expect(again.metadata).toEqual(file.metadata);
}

const fuzzCase = weightFileFuzzer(readSafetensors, SOURCE, accepted);
type Case = FuzzCase<ReadSafetensorsOptions, SafetensorsFile>;

/** A header of `n` empty tensors. */
const emptyTensors = (n: number) =>
  build(
    `{${Array.from({ length: n }, (_, i) => `"${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`).join(',')}}`,
  );

const ok = (extra = '') => `{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}${extra}}`;
const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
const big = (n: number) => 'x'.repeat(n);

// ---- the hostile inputs of issue 16, by name -------------------------------------------
const named: [string, Case][] = [
  ...(['shape', 'dtype', 'data_offsets', 'extra'] as const).map((f): [string, Case] => [
    `a million nested brackets in ${f}`,
    {
      bytes: build(`{"w":{"${f}":${deep(1_000_000)}}}`),
      refusal:
        f === 'extra'
          ? /nested deeper than 128 levels/
          : /tensor "w": (shape\[0\]|dtype|data_offsets\[0\]) must be/,
    },
  ]),
  [
    'nesting in __metadata__',
    { bytes: build(`{"__metadata__":{"a":${deep(100_000)}}}`), refusal: /must be a string/ },
  ],
  [
    'a 50 MB dtype string is quoted in 200 bytes',
    {
      bytes: () => build(`{"w":{"dtype":"${big(50e6)}","shape":[],"data_offsets":[0,0]}}`),
      refusal: /unknown dtype "x{200}"…\(50000000 bytes\)/,
      maxMs: 5000,
      maxMb: 400,
    },
  ],
  [
    'a 50 MB tensor name is quoted in 200 bytes',
    {
      bytes: () => build(`{"${big(50e6)}":{"dtype":"F99","shape":[],"data_offsets":[0,0]}}`),
      refusal: /tensor "x{200}"…\(50000000 bytes\): unknown dtype "F99"/,
      maxMs: 5000,
      maxMb: 400,
    },
  ],
  [
    'a 50 MB shape stops at 64 dimensions',
    {
      bytes: () =>
        build(`{"w":{"dtype":"F32","shape":[${'0,'.repeat(25e6)}0],"data_offsets":[0,0]}}`),
      refusal: /shape has more than 64 items/,
      maxMs: 5000,
      maxMb: 400,
    },
  ],
  ...['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf', '__defineGetter__'].map(
    (d): [string, Case] => [
      `dtype ${d} (a prototype property) is no dtype`,
      {
        bytes: build(`{"w":{"dtype":"${d}","shape":[],"data_offsets":[0,0]}}`),
        refusal: new RegExp(`unknown dtype "${d}"`),
      },
    ],
  ),
  [
    'duplicate tensor names (JSON.parse would keep the last)',
    {
      bytes: build(
        '{"w":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}',
        new Uint8Array(4),
      ),
      refusal: /tensor "w" appears twice \(at header byte 53\); tensor names must be unique/,
    },
  ],
  [
    'a duplicate name far apart',
    {
      bytes: build(
        `{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},${Array.from({ length: 50 }, (_, i) => `"t${i}":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}`).join(',')},"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}`,
      ),
      refusal: /tensor "a" appears twice/,
    },
  ],
  [
    'a duplicate field inside one entry',
    {
      bytes: build('{"w":{"dtype":"U8","dtype":"F32","shape":[0],"data_offsets":[0,0]}}'),
      refusal: /field 'dtype' appears twice/,
    },
  ],
  [
    'two __metadata__ objects',
    { bytes: build('{"__metadata__":{},"__metadata__":{"a":"b"}}'), refusal: /appears twice/ },
  ],
  [
    'a duplicate metadata key',
    {
      bytes: build('{"__metadata__":{"a":"1","a":"2"}}'),
      refusal: /__metadata__ key "a" appears twice/,
    },
  ],
  [
    'a legal 99 MB header of 1.7 M empty tensors is refused by the tensor cap, fast',
    {
      bytes: () => emptyTensors(1_700_000),
      refusal: new RegExp(`more than ${SAFETENSORS_MAX_TENSORS} tensors`),
      maxMs: 5000,
      maxMb: 500,
    },
  ],
  [
    'the same header shape with 20,000 tensors is read (below the cap)',
    {
      bytes: () => emptyTensors(20_000),
      maxMs: 5000,
    },
  ],
  [
    'a tensor cap of 2 refuses a third tensor',
    {
      bytes: build(
        '{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"c":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}',
      ),
      options: { maxTensors: 2 },
      refusal: /more than 2 tensors/,
    },
  ],
  [
    'a header length over 100 MB',
    {
      bytes: build(ok(), new Uint8Array(8)).fill(0xff, 0, 8),
      refusal: /exceeds the 100000000-byte limit/,
    },
  ],
  ['a file of 3 bytes', { bytes: new Uint8Array(3), refusal: /shorter than the 8-byte header/ }],
  [
    'a header length past the end',
    {
      bytes: (() => {
        const b = build(ok(), new Uint8Array(8));
        new DataView(b.buffer).setBigUint64(0, 5000n, true);
        return b;
      })(),
      refusal: /runs past the end/,
    },
  ],
  [
    'a header that is not UTF-8',
    { bytes: build(Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d])), refusal: /not valid UTF-8/ },
  ],
  [
    ' a header starting with a space',
    { bytes: build(` ${ok()}`, new Uint8Array(8)), refusal: /starting with '\{'/ },
  ],
  ['a JSON array header', { bytes: build('[1,2]'), refusal: /starting with '\{'/ }],
  ['a JSON string header', { bytes: build('"{}"'), refusal: /starting with '\{'/ }],
  ['an empty header', { bytes: build(''), refusal: /starting with '\{'/ }],
  [
    'text after the object',
    { bytes: build(`${ok()} {}`, new Uint8Array(8)), refusal: /unexpected text after/ },
  ],
  ['trailing spaces are padding', { bytes: build(`${ok()}      `, new Uint8Array(8)) }],
  ['an empty object is an empty file', { bytes: build('{}') }],
  [
    "a tensor named '__proto__' is an ordinary tensor",
    {
      bytes: build(
        '{"__proto__":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}',
        new Uint8Array(1),
      ),
    },
  ],
  [
    "a metadata key '__proto__' is an ordinary key",
    { bytes: build('{"__metadata__":{"__proto__":"x","constructor":"y"}}') },
  ],
  ['__metadata__ null', { bytes: build('{"__metadata__":null}') }],
  ['unknown fields are ignored, as by the reference', { bytes: build(ok(''), new Uint8Array(8)) }],
  ...(
    [
      ['1.0', /shape\[0\] must be a non-negative integer, got 1\.0/],
      ['1e3', /shape\[0\] must be a non-negative integer, got 1e3/],
      ['-1', /shape\[0\] must be a non-negative integer, got -1/],
      ['"3"', /shape\[0\] must be a non-negative integer, got "3"/],
      ['null', /shape\[0\] must be a non-negative integer, got null/],
      ['true', /shape\[0\] must be a non-negative integer, got true/],
      ['99999999999999999999', /shape\[0\] 99999999999999999999 is larger than 2\^53 - 1/],
      ['01', /shape\[0\] must be a non-negative integer, got 01$/],
    ] as const
  ).map(([v, re]): [string, Case] => [
    `shape entry ${v}`,
    { bytes: build(`{"w":{"dtype":"U8","shape":[${v}],"data_offsets":[0,0]}}`), refusal: re },
  ]),
  ...(
    [
      ['[0]', /data_offsets must be \[begin, end\], got \[0\]/],
      ['[0,1,2]', /data_offsets has more than 2 items/],
      ['[4,0]', /has begin > end/],
      ['[0,99]', /outside the 8-byte data area/],
      ['{"a":0}', /data_offsets must be a list of non-negative integers, got \{"a":0\}/],
      ['"0,8"', /data_offsets must be a list/],
    ] as const
  ).map(([v, re]): [string, Case] => [
    `data_offsets ${v}`,
    {
      bytes: build(`{"w":{"dtype":"U8","shape":[8],"data_offsets":${v}}}`, new Uint8Array(8)),
      refusal: re,
    },
  ]),
  [
    'overlapping tensors',
    {
      bytes: build(
        '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}',
        new Uint8Array(12),
      ),
      refusal: /overlap the previous tensor/,
    },
  ],
  [
    'a gap between tensors',
    {
      bytes: build('{"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}', new Uint8Array(4)),
      refusal: /gap in the data area/,
    },
  ],
  [
    'trailing data bytes',
    { bytes: build(ok(), new Uint8Array(12)), refusal: /cover only \[0, 8\)/ },
  ],
  [
    'shape x dtype != offsets',
    {
      bytes: build('{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', new Uint8Array(8)),
      refusal: /needs 12 bytes, data_offsets give 8/,
    },
  ],
  [
    'a shape whose byte size overflows',
    {
      bytes: build('{"w":{"dtype":"F64","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}}'),
      refusal: /needs more than 2\^53 - 1 bytes/,
    },
  ],
  [
    'an entry without dtype',
    { bytes: build('{"w":{"shape":[],"data_offsets":[0,0]}}'), refusal: /lacks dtype/ },
  ],
  [
    'an entry that is a list',
    { bytes: build('{"w":[1,2]}'), refusal: /tensor "w" must be a JSON object, got \[1,2\]/ },
  ],
  [
    'a control character in a name',
    { bytes: build('{"a\u0001":{}}'), refusal: /control character/ },
  ],
  ['an unterminated string', { bytes: build('{"abc'), refusal: /never ends/ }],
  ['a bad escape', { bytes: build('{"\\q":{}}'), refusal: /bad escape/ }],
  [
    'an escaped name is decoded',
    {
      bytes: build(
        '{"a\\u0062":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}',
        new Uint8Array(1),
      ),
    },
  ],
];

describe('readSafetensors fuzz: the hostile inputs of issue 16', () => {
  for (const [name, c] of named)
    it(name, async () => {
      await fuzzCase(c);
    });
});

// ---- seeded mutations of a valid file ---------------------------------------------------
function validFile(seed: number): Uint8Array {
  const r = fuzzRng(seed);
  const entries = new Map<string, TensorEntry>();
  const n = 1 + r.int(4);
  for (let i = 0; i < n; i++) {
    const shape = Array.from({ length: r.int(3) }, () => r.int(4));
    const len = numElements(shape);
    const kind = r.int(3);
    entries.set(
      `layer${i}.${r.pick(['weight', 'bias', 'running_var'])}`,
      kind === 0
        ? { dtype: 'F32', shape, data: Float32Array.from({ length: len }, () => r.next()) }
        : kind === 1
          ? { dtype: 'U8', shape, data: r.bytes(len) }
          : { dtype: 'I64', shape, data: new BigInt64Array(len) },
    );
  }
  return writeSafetensors(entries, r.int(2) ? { format: 'pt' } : undefined);
}

describe('readSafetensors fuzz: seeded mutations of valid files', () => {
  for (let seed = 1; seed <= 60; seed++) {
    it(`header byte changes, seed ${seed}`, () => {
      const r = fuzzRng(seed * 7919);
      const b = validFile(seed);
      const headerLen = Number(new DataView(b.buffer).getBigUint64(0, true));
      const flips = 1 + r.int(3);
      for (let k = 0; k < flips; k++) {
        b[8 + r.int(headerLen)] = r.pick([...Buffer.from('"[]{},:09-\\'), r.int(256)]);
      }
      return fuzzCase({ bytes: b });
    });
  }
  for (let seed = 1; seed <= 30; seed++) {
    it(`truncated or extended, seed ${seed}`, () => {
      const r = fuzzRng(seed * 104729);
      const b = validFile(seed + 100);
      const cut = r.int(b.length + 16);
      const out =
        cut <= b.length ? b.subarray(0, cut) : Uint8Array.from([...b, ...r.bytes(cut - b.length)]);
      return fuzzCase({ bytes: out, mustRefuse: cut !== b.length });
    });
  }
  for (let seed = 1; seed <= 20; seed++) {
    it(`length prefix changed, seed ${seed}`, () => {
      const r = fuzzRng(seed * 31337);
      const b = validFile(seed + 200);
      const len = new DataView(b.buffer).getBigUint64(0, true);
      const delta = BigInt(r.pick([-9, -1, 1, 7, 1 << 20, 2 ** 30]));
      new DataView(b.buffer).setBigUint64(0, len + delta < 0n ? 0n : len + delta, true);
      return fuzzCase({ bytes: b, mustRefuse: true });
    });
  }
});

// ---- generated headers (fast-check): field values drawn from hostile pools --------------
const dtypeArb = fc.oneof(
  fc.constantFrom('F32', 'F16', 'BF16', 'U8', 'I64', 'BOOL', 'toString', '__proto__', 'f32', ''),
  fc.string({ maxLength: 8 }),
);
const intArb = fc.oneof(fc.nat(6), fc.constantFrom(-1, 1.5, 2 ** 53, 1e300));
const valueArb = fc.oneof(
  fc.array(intArb, { maxLength: 4 }),
  fc.constantFrom(null, true, 'x', {}, [[1]], [[]]),
);

describe('readSafetensors fuzz: generated headers', () => {
  const cases = fc.sample(
    fc.record({
      names: fc.array(fc.constantFrom('a', 'b', '__metadata__', '__proto__', 'a'), {
        minLength: 1,
        maxLength: 3,
      }),
      dtype: dtypeArb,
      shape: valueArb,
      offsets: fc.oneof(fc.tuple(fc.nat(16), fc.nat(16)), valueArb),
      dataLen: fc.nat(24),
    }),
    { numRuns: 50, seed: 16 },
  );
  cases.forEach((c, i) => {
    it(`generated header ${i}: ${JSON.stringify(c).slice(0, 80)}`, () => {
      const body = c.names
        .map(
          (n) =>
            `${JSON.stringify(n)}:${JSON.stringify({ dtype: c.dtype, shape: c.shape, data_offsets: c.offsets })}`,
        )
        .join(',');
      return fuzzCase({ bytes: build(`{${body}}`, new Uint8Array(c.dataLen)) });
    });
  });
});
