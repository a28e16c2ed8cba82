// Fuzz suite for the label-map PNG decoder: the bombs and corruptions of issue 16 by name, then
// seeded mutations, truncations and generated headers. Every case ends in a clean acceptance
// (the native and the pure-JS inflate agree on the labels) or a PngError naming the file,
// within a time and memory bound.
import zlib from 'node:zlib';
import { fuzzReader, fuzzRng } from '@facepar/test-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CELEBAMASK_PALETTE } from './celebamask.js';
import { decodeLabelPng, encodeLabelPng } from './label-png.js';
import { buildPng, chunk, patchIhdr, randomLabels, replaceIdat } from './png-build.test-util.js';
import { PngError } from './png-decode.js';

const SOURCE = '/masks/fuzz.png';
const inflate = zlib.inflateSync;

interface PngCaseOptions {
  maxPixels?: number;
  checkCrc?: boolean;
}
// the native inflate (what Node callers pass) and the built-in pure-JS one
const decoders = [{ inflate }, {}].map((extra) =>
  fuzzReader({
    read: (bytes, options: PngCaseOptions & { source: string }) =>
      decodeLabelPng(bytes, { ...options, ...extra }),
    errorType: PngError,
    source: SOURCE,
    accepted: (d) => expect(d.labels.length).toBe(d.width * d.height),
  }),
);
type Case = Parameters<(typeof decoders)[0]>[0];

async function fuzzCase(c: Case): Promise<void> {
  const bytes = typeof c.bytes === 'function' ? c.bytes() : c.bytes;
  const native = await decoders[0]!({ ...c, bytes });
  const js = await decoders[1]!({ ...c, bytes });
  // with CRCs checked, both inflaters accept or refuse the same files, with the same labels
  if (c.options?.checkCrc !== false)
    expect(native.value === undefined).toBe(js.value === undefined);
  if (native.value && js.value) {
    expect(
      Buffer.from(js.value.labels.buffer).equals(Buffer.from(native.value.labels.buffer)),
    ).toBe(true);
  }
}

const W = 29;
const H = 17;
const LABELS = randomLabels(W * H, 5);
const palette = () =>
  buildPng({ labels: LABELS, width: W, height: H, colorType: 3, filters: [0, 1, 2, 3, 4] });
const grey = () => buildPng({ labels: LABELS, width: W, height: H, colorType: 0, filters: [4] });
/**
 * `png` with `insert` spliced in at byte `at`, or before the first (`last`: the last) chunk
 * of type `before`, replacing `remove` bytes there.
 */
function splice(
  png: Uint8Array,
  at: number | { before: string; last?: boolean },
  insert: Uint8Array,
  remove = 0,
): Uint8Array {
  const b = Buffer.from(png);
  const i =
    typeof at === 'number' ? at : (at.last ? b.lastIndexOf(at.before) : b.indexOf(at.before)) - 4;
  return Uint8Array.from(Buffer.concat([b.subarray(0, i), insert, b.subarray(i + remove)]));
}

/** `png` with the byte `offset` bytes after the first `type` tag flipped (CRC left stale). */
function flipAfter(png: Uint8Array, type: string, offset: number): Uint8Array {
  png[Buffer.from(png).indexOf(type) + offset]! ^= 1;
  return png;
}

/** The IDAT chunk's CRC field flipped, its data left intact. */
function staleIdatCrc(b: Uint8Array): Uint8Array {
  const i = Buffer.from(b).indexOf('IDAT');
  const len = new DataView(b.buffer).getUint32(i - 4);
  b[i + 4 + len]! ^= 0xff;
  return b;
}
const zeros = (n: number) => new Uint8Array(zlib.deflateSync(new Uint8Array(n), { level: 9 }));

const named: [string, Case][] = [
  [
    'an all-zero 32768x32768 mask (64 KB of zlib) is refused from its header',
    {
      bytes: () =>
        replaceIdat(patchIhdr(grey(), { width: 32768, height: 32768 }), zeros((1 << 30) >> 4)),
      refusal: /image is 32768x32768 \(1073741824 pixels\), over the limit of 16777216 pixels/,
    },
  ],
  [
    'the same with the pixel limit lifted: inflation is capped, the short stream refused',
    {
      bytes: () => replaceIdat(patchIhdr(grey(), { width: 32768, height: 32768 }), zeros(1 << 24)),
      options: { maxPixels: 2 ** 31 },
      refusal: /inflates to 16777216 bytes, a 32768x32768 image needs 1073774592/,
      maxMb: 80,
    },
  ],
  [
    'a 64 MB zlib bomb behind a 29x17 header stops at 510 bytes',
    {
      bytes: () => replaceIdat(palette(), zeros(64 << 20)),
      refusal: /inflates past the 510 bytes a 29x17 image needs/,
    },
  ],
  [
    'an IHDR height edited without its CRC (read as 29x8 before)',
    {
      bytes: () => {
        const b = palette();
        b[23] = 8;
        return b;
      },
      refusal: /IHDR CRC is 0x[0-9a-f]{8}, the data gives 0x/,
    },
  ],
  [
    'a data CRC left stale after an edit',
    {
      bytes: () => flipAfter(palette(), 'IDAT', 8),
      refusal: /CRC mismatch in the IDAT chunk/,
    },
  ],
  [
    'a PLTE CRC left stale',
    {
      bytes: () => flipAfter(palette(), 'PLTE', 5),
      refusal: /CRC mismatch in the PLTE chunk/,
    },
  ],
  [
    'a bad ancillary chunk CRC is skipped, as libpng does',
    {
      bytes: () => {
        const t = chunk('tEXt', new TextEncoder().encode('a\0b'));
        t[t.length - 1]! ^= 1;
        return splice(palette(), { before: 'IDAT' }, t);
      },
    },
  ],
  [
    'an unknown critical chunk',
    {
      bytes: () => splice(palette(), { before: 'IDAT' }, chunk('ABCD', new Uint8Array(2))),
      refusal: /unknown critical chunk ABCD/,
    },
  ],
  [
    'an unknown ancillary chunk is skipped',
    {
      bytes: () => splice(palette(), { before: 'IDAT' }, chunk('zzZz', new Uint8Array(5))),
    },
  ],
  [
    'IDAT chunks split by another chunk',
    {
      bytes: () =>
        splice(
          buildPng({
            labels: LABELS,
            width: W,
            height: H,
            colorType: 0,
            filters: [0],
            idatParts: 2,
          }),
          { before: 'IDAT', last: true },
          chunk('tIME', new Uint8Array(7)),
        ),
      refusal: /IDAT chunks are not consecutive/,
    },
  ],
  [
    'a PLTE after the image data',
    {
      bytes: () => splice(grey(), { before: 'IEND' }, chunk('PLTE', new Uint8Array(3))),
      refusal: /PLTE (after IDAT|chunk in a colour type 0)/,
    },
  ],
  [
    'a PLTE in a grey image',
    {
      bytes: () => splice(grey(), 33, chunk('PLTE', new Uint8Array(3))),
      refusal: /a PLTE chunk in a colour type 0/,
    },
  ],
  ...[0, 770, 10].map((n): [string, Case] => [
    `a PLTE of ${n} bytes`,
    {
      bytes: () => splice(palette(), { before: 'PLTE' }, chunk('PLTE', new Uint8Array(n)), 12 + 57),
      refusal: new RegExp(`PLTE length ${n} is not 3 × 1..256 entries`),
    },
  ]),
  [
    'a second IHDR',
    {
      bytes: () => splice(grey(), 33, grey().subarray(8, 33)),
      refusal: /a second IHDR chunk/,
    },
  ],
  ['no IEND', { bytes: () => grey().subarray(0, grey().length - 12), refusal: /no IEND chunk/ }],
  [
    'no IDAT',
    {
      bytes: () => {
        const b = Buffer.from(grey());
        return splice(
          b,
          { before: 'IDAT' },
          new Uint8Array(0),
          b.indexOf('IEND') - b.indexOf('IDAT'),
        );
      },
      refusal: /no IDAT chunk/,
    },
  ],
  [
    'a palette image without PLTE',
    { bytes: () => patchIhdr(grey(), { colorType: 3 }), refusal: /without a PLTE chunk/ },
  ],
  [
    'colour type 5',
    { bytes: () => patchIhdr(grey(), { colorType: 5 }), refusal: /unknown colour type 5/ },
  ],
  [
    'bit depth 3',
    {
      bytes: () => patchIhdr(grey(), { depth: 3 }),
      refusal: /bit depth 3 is not allowed for colour type 0/,
    },
  ],
  [
    '16-bit palette',
    {
      bytes: () => patchIhdr(palette(), { depth: 16 }),
      refusal: /bit depth 16 is not allowed for colour type 3/,
    },
  ],
  [
    'interlace method 2',
    { bytes: () => patchIhdr(grey(), { interlace: 2 }), refusal: /unknown interlace method 2/ },
  ],
  [
    'compression method 1',
    { bytes: () => patchIhdr(grey(), { compression: 1 }), refusal: /unknown compression method 1/ },
  ],
  [
    'filter method 1',
    { bytes: () => patchIhdr(grey(), { filter: 1 }), refusal: /unknown filter method 1/ },
  ],
  ['width 0', { bytes: () => patchIhdr(grey(), { width: 0 }), refusal: /IHDR size 0x17/ }],
  [
    'width 2^31',
    { bytes: () => patchIhdr(grey(), { width: 2 ** 31 }), refusal: /IHDR size 2147483648x17/ },
  ],
  [
    'row filter 7',
    {
      bytes: () => buildPng({ labels: LABELS, width: W, height: H, colorType: 0, filters: [1, 7] }),
      refusal: /unknown row filter 7 in row 1/,
    },
  ],
  [
    'a chunk length past the end',
    {
      bytes: () => {
        const b = grey();
        new DataView(b.buffer).setUint32(33, 1e9);
        return b;
      },
      refusal: /declares 1000000000 bytes, past the end/,
    },
  ],
  [
    'a chunk length over 2^31',
    {
      bytes: () => {
        const b = grey();
        new DataView(b.buffer).setUint32(33, 2 ** 31 + 5);
        return b;
      },
      refusal: /past the end/,
    },
  ],
  [
    'a zlib stream cut short',
    {
      bytes: () =>
        replaceIdat(grey(), new Uint8Array(zlib.deflateSync(new Uint8Array(510))).subarray(0, 9)),
      refusal: /corrupt PNG: cannot inflate|truncated PNG/,
    },
  ],
  [
    'a stream of garbage',
    { bytes: () => replaceIdat(grey(), fuzzRng(3).bytes(300)), refusal: /cannot inflate/ },
  ],
  [
    'an empty IDAT',
    {
      bytes: () => replaceIdat(grey(), new Uint8Array(0)),
      refusal: /cannot inflate|truncated PNG/,
    },
  ],
  ['bytes after IEND are ignored', { bytes: () => Uint8Array.from([...palette(), 1, 2, 3]) }],
  [
    'an interlaced palette mask',
    {
      bytes: () =>
        buildPng({ labels: LABELS, width: W, height: H, colorType: 3, filters: [2], interlace: 1 }),
      check: (d) => expect(Buffer.from(d.labels).equals(Buffer.from(LABELS))).toBe(true),
    },
  ],
  [
    'a 1x1 interlaced mask (one Adam7 pass)',
    {
      bytes: () =>
        buildPng({
          labels: Uint8Array.of(7),
          width: 1,
          height: 1,
          colorType: 0,
          filters: [0],
          interlace: 1,
        }),
      check: (d) => expect([...d.labels]).toEqual([7]),
    },
  ],
  [
    'a 16-bit grey mask',
    {
      bytes: encodeLabelPng({ labels: Uint16Array.from([0, 18, 255, 300]), width: 2, height: 2 }),
      check: (d) => expect([...d.labels]).toEqual([0, 18, 255, 300]),
    },
  ],
  [
    'a 19-entry palette mask',
    { bytes: encodeLabelPng({ labels: LABELS, width: W, height: H, palette: CELEBAMASK_PALETTE }) },
  ],
  ['an empty file', { bytes: new Uint8Array(0), refusal: /not a PNG file/ }],
  [
    'a JPEG given as a mask',
    { bytes: Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]), refusal: /not a PNG file/ },
  ],
  [
    'a signature only',
    {
      bytes: Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      refusal: /too short for the IHDR chunk/,
    },
  ],
  [
    'the IHDR CRC is checked even with checkCrc: false',
    {
      bytes: () => {
        const b = palette();
        b[23] = 8;
        return b;
      },
      options: { checkCrc: false },
      refusal: /IHDR CRC is 0x/,
    },
  ],
  [
    'with checkCrc: false a stale IDAT CRC over intact data is accepted',
    {
      bytes: () => staleIdatCrc(palette()),
      options: { checkCrc: false },
      check: (d) => expect(Buffer.from(d.labels).equals(Buffer.from(LABELS))).toBe(true),
    },
  ],
  [
    'and refused with CRCs checked',
    { bytes: () => staleIdatCrc(palette()), refusal: /CRC mismatch in the IDAT chunk/ },
  ],
];

describe('decodeLabelPng fuzz: the bombs and corruptions of issue 16', () => {
  for (const [name, c] of named) it(name, () => fuzzCase(c));
});

describe('decodeLabelPng fuzz: seeded mutations', () => {
  const kinds = [
    palette,
    grey,
    () => encodeLabelPng({ labels: Uint16Array.from(LABELS), width: W, height: H }),
    () =>
      buildPng({
        labels: LABELS,
        width: W,
        height: H,
        colorType: 3,
        filters: [4],
        interlace: 1,
        idatParts: 3,
      }),
  ];
  for (let seed = 1; seed <= 60; seed++) {
    it(`byte changes anywhere, seed ${seed}`, () => {
      const r = fuzzRng(seed * 2654435761);
      const b = kinds[seed % kinds.length]!();
      for (let k = 0; k < 1 + r.int(4); k++) b[r.int(b.length)] = r.int(256);
      return fuzzCase({ bytes: b });
    });
  }
  for (let seed = 1; seed <= 30; seed++) {
    it(`truncated, seed ${seed}`, () => {
      const b = kinds[seed % kinds.length]!();
      const cut = fuzzRng(seed * 40503).int(b.length - 1);
      return fuzzCase({ bytes: b.subarray(0, cut), mustRefuse: true });
    });
  }
  for (let seed = 1; seed <= 20; seed++) {
    it(`a chunk length field rewritten, seed ${seed}`, () => {
      const r = fuzzRng(seed * 69069);
      const b = Buffer.from(kinds[seed % kinds.length]!());
      const starts: number[] = [];
      for (let p = 8; p + 12 <= b.length; p += 12 + b.readUInt32BE(p)) starts.push(p);
      const at = r.pick(starts);
      const was = b.readUInt32BE(at);
      const now = r.pick([0, 1, was + 1, was - 1, 0x7fffffff, 0xffffffff]) >>> 0;
      b.writeUInt32BE(now === was ? was + 1 : now, at);
      return fuzzCase({ bytes: Uint8Array.from(b), mustRefuse: true });
    });
  }
});

describe('decodeLabelPng fuzz: generated IHDR fields', () => {
  const samples = fc.sample(
    fc.record({
      width: fc.oneof(
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom(0, 4096, 4097, 65536, 2 ** 31 - 1),
      ),
      height: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(0, 4096, 2 ** 20)),
      depth: fc.constantFrom(1, 2, 4, 8, 16, 3, 0),
      colorType: fc.constantFrom(0, 2, 3, 4, 6, 1, 7),
      interlace: fc.constantFrom(0, 0, 1, 2),
    }),
    { numRuns: 40, seed: 4096 },
  );
  samples.forEach((f, i) => {
    it(`IHDR ${f.width}x${f.height} depth ${f.depth} type ${f.colorType} interlace ${f.interlace} (${i})`, () =>
      // the data is the 29x17 mask's: a mismatch must be refused cleanly, a match accepted
      fuzzCase({ bytes: patchIhdr(palette(), f) }));
  });
});
