// Fuzz suite for the dataset readers: photos (JPEG/PNG/WebP through the bounded sharp path),
// masks (through the one mask rule) and image/mask pairs, with the hostile files of issue 16
// by name and seeded mutations. Every case ends in a clean acceptance or a DatasetError
// naming the file, within a time and memory bound.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32, encodeLabelPng } from '@facepar/metrics';
import { expectCleanOutcome, type FuzzCase, fuzzReader, fuzzRng } from '@facepar/test-utils';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatasetEntry, readLabels, readSample } from './read-sample.js';
import { DatasetError } from './dataset-error.js';
import { decodeImage, type RgbImage, readImageHeader } from './image-io.js';
import { computeMaskStats } from './mask-stats.js';
import { loadTrainCrop } from './pipeline.js';
import { createRng } from './rng.js';

const SOURCE = '/photos/fuzz.jpg';
let tmp: string;
const files: Record<string, Uint8Array> = {};

/** A noisy RGB image (so the JPEG has entropy data worth corrupting). */
function noise(w: number, h: number, seed: number): Buffer {
  const r = fuzzRng(seed);
  const out = Buffer.alloc(w * h * 3);
  for (let i = 0; i < out.length; i++) out[i] = ((i % (3 * w)) * 2 + r.int(64)) & 0xff;
  return out;
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'facepar-readers-fuzz-'));
  const raw = (w: number, h: number, seed: number) =>
    sharp(noise(w, h, seed), { raw: { width: w, height: h, channels: 3 } });
  files.jpeg = await raw(64, 48, 1).jpeg({ quality: 75 }).toBuffer();
  files.big = await raw(256, 256, 2).jpeg({ quality: 90 }).toBuffer();
  files.progressive = await raw(40, 24, 3).jpeg({ progressive: true }).toBuffer();
  files.png = await raw(32, 32, 4).png().toBuffer();
  files.webp = await raw(20, 12, 5).webp().toBuffer();
  files.square = await raw(32, 32, 6).jpeg().toBuffer();
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const copy = (name: string) => Uint8Array.from(files[name]!);

/** The offset of the first SOFn marker's length field. */
function sofAt(b: Uint8Array): number {
  for (let i = 2; i + 1 < b.length; i++) {
    if (b[i] === 0xff && b[i + 1]! >= 0xc0 && b[i + 1]! <= 0xc2) return i + 2;
  }
  throw new Error('no SOF');
}
/** A JPEG whose frame header claims `w`x`h` (the data stays the small image's). */
function claimSize(b: Uint8Array, w: number, h: number): Uint8Array {
  const at = sofAt(b);
  const dv = new DataView(b.buffer, b.byteOffset);
  dv.setUint16(at + 3, h);
  dv.setUint16(at + 5, w);
  return b;
}
/** Offset where the entropy-coded data of the first scan begins. */
function scanDataAt(b: Uint8Array): number {
  for (let i = 2; i + 3 < b.length; i++) {
    if (b[i] === 0xff && b[i + 1] === 0xda) return i + 2 + ((b[i + 2]! << 8) | b[i + 3]!);
  }
  throw new Error('no SOS');
}

const photoCase = fuzzReader<{ maxPixels?: number }, RgbImage>({
  read: (bytes, options) => decodeImage({ bytes, ...options }),
  errorType: DatasetError,
  source: SOURCE,
  accepted: (img) => expect(img.data.length).toBe(img.width * img.height * 3),
});
type PhotoCase = FuzzCase<{ maxPixels?: number }, RgbImage>;

const photos: [string, PhotoCase][] = [
  [
    'a small JPEG declaring 16383x16383 is refused from its header',
    {
      bytes: () => claimSize(copy('jpeg'), 16383, 16383),
      refusal: /image is 16383x16383 \(268402689 pixels\), over the limit of 67108864 pixels/,
    },
  ],
  [
    'a JPEG over a lowered pixel limit',
    {
      bytes: () => copy('jpeg'),
      options: { maxPixels: 1000 },
      refusal: /image is 64x48 \(3072 pixels\), over the limit of 1000/,
    },
  ],
  [
    '500 garbage bytes in the entropy data are refused',
    {
      bytes: () => {
        const b = copy('big');
        const at = scanDataAt(b) + 2000;
        b.set(fuzzRng(99).bytes(500), at);
        return b;
      },
      refusal: /cannot decode image: .*Corrupt JPEG data/,
    },
  ],
  [
    'a JPEG cut at 60 %',
    {
      bytes: () => copy('big').subarray(0, Math.floor(files.big!.length * 0.6)),
      refusal: /cannot decode image: .*premature end/,
    },
  ],
  [
    'a JPEG cut inside its headers',
    {
      bytes: () => copy('jpeg').subarray(0, 40),
      refusal: /truncated JPEG: the file ends before the frame header/,
    },
  ],
  [
    'a scan before the frame header',
    {
      bytes: () => Uint8Array.from([0xff, 0xd8, 0xff, 0xda, 0, 8, 1, 1, 0, 0, 0x3f, 0, 0xff, 0xd9]),
      refusal: /no frame header \(SOF\) before the image data/,
    },
  ],
  [
    'garbage after the SOI',
    {
      bytes: () => Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0x12, 0x34]),
      refusal: /no marker at byte 8/,
    },
  ],
  [
    'a marker of length 1',
    { bytes: () => Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 1, 0, 0]), refusal: /has length 1/ },
  ],
  ['a frame of width 0', { bytes: () => claimSize(copy('jpeg'), 0, 48), refusal: /gives width 0/ }],
  [
    'a frame of height 0 (DNL) falls back to libvips',
    { bytes: () => claimSize(copy('jpeg'), 64, 0) },
  ],
  [
    'a baseline JPEG',
    { bytes: () => copy('jpeg'), check: (i) => expect([i.width, i.height]).toEqual([64, 48]) },
  ],
  [
    'a progressive JPEG',
    {
      bytes: () => copy('progressive'),
      check: (i) => expect([i.width, i.height]).toEqual([40, 24]),
    },
  ],
  [
    'a PNG photo',
    { bytes: () => copy('png'), check: (i) => expect([i.width, i.height]).toEqual([32, 32]) },
  ],
  [
    'a PNG photo declaring 20000x20000',
    {
      bytes: () => {
        const b = copy('png');
        const dv = new DataView(b.buffer);
        dv.setUint32(16, 20000);
        dv.setUint32(20, 20000);
        dv.setUint32(29, crc32(b, 12, 29));
        return b;
      },
      refusal: /image is 20000x20000 \(400000000 pixels\), over the limit/,
    },
  ],
  [
    'a PNG photo with a stale IHDR CRC',
    {
      bytes: () => {
        const b = copy('png');
        b[23] = 16;
        return b;
      },
      refusal: /IHDR CRC/,
    },
  ],
  [
    'a truncated PNG photo',
    { bytes: () => copy('png').subarray(0, 200), refusal: /cannot decode image/ },
  ],
  [
    'a WebP photo (header through libvips)',
    { bytes: () => copy('webp'), check: (i) => expect([i.width, i.height]).toEqual([20, 12]) },
  ],
  ['an empty file', { bytes: () => new Uint8Array(0), refusal: /cannot decode image/ }],
  [
    'a text file',
    {
      bytes: () => new TextEncoder().encode('not an image at all'),
      refusal: /cannot decode image/,
    },
  ],
];

describe('photo readers fuzz: the hostile photos of issue 16', () => {
  for (const [name, c] of photos) {
    it(name, async () => {
      await photoCase(c);
    });
  }

  it('readImageHeader reads the sizes libvips reads, without decoding', async () => {
    for (const name of ['jpeg', 'big', 'progressive', 'png', 'webp']) {
      const h = await readImageHeader({ bytes: files[name]!, source: name });
      const m = await sharp(files[name]!).metadata();
      expect([name, h.width, h.height]).toEqual([name, m.width, m.height]);
    }
    const huge = await readImageHeader({
      bytes: claimSize(copy('jpeg'), 16383, 16383),
      source: 'x',
    });
    expect([huge.format, huge.width, huge.height]).toEqual(['jpeg', 16383, 16383]);
  });
});

/** A case whose input is photo `name` changed by `mutate` with a seeded generator. */
const mutated =
  (name: string, seed: number, mutate: (b: Uint8Array, r: ReturnType<typeof fuzzRng>) => void) =>
  () => {
    const b = copy(name);
    mutate(b, fuzzRng(seed));
    return b;
  };

describe('photo readers fuzz: seeded mutations', () => {
  for (let seed = 1; seed <= 30; seed++) {
    it(`JPEG header bytes changed, seed ${seed}`, () =>
      photoCase({
        bytes: mutated('jpeg', seed * 97, (b, r) => {
          const end = scanDataAt(b);
          for (let k = 0; k < 1 + r.int(3); k++) {
            b[2 + r.int(end - 2)] = r.pick([0xff, 0x00, 0xc0, 0xda, 0xd9, r.int(256)]);
          }
        }),
      }));
  }
  for (let seed = 1; seed <= 20; seed++) {
    it(`JPEG entropy data changed, seed ${seed}`, () =>
      photoCase({
        bytes: mutated('big', seed * 131, (b, r) => {
          const start = scanDataAt(b);
          const n = r.pick([1, 8, 64, 500]);
          b.set(r.bytes(n), start + r.int(b.length - start - n - 2));
        }),
      }));
  }
  for (let seed = 1; seed <= 15; seed++) {
    it(`JPEG truncated, seed ${seed}`, () =>
      photoCase({
        bytes: () => copy('big').subarray(0, fuzzRng(seed * 7).int(files.big!.length - 2)),
        mustRefuse: true,
      }));
  }
});

// ---- masks and image/mask pairs: one mask rule ----------------------------------------
const W = 32;
const H = 32;
const LABELS = Uint8Array.from({ length: W * H }, (_, i) => (i * 7 + (i >> 5)) % 19);
const write = (name: string, bytes: Uint8Array) => {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, bytes);
  return p;
};
const read = { resize: 'none' as const, numClasses: 19, ignoreIndex: 255 };

describe('mask readers fuzz: one mask rule in stats, readers and training', () => {
  it('a 16-bit mask with labels 0..18 reads, trains and counts like its 8-bit twin', async () => {
    const dir8 = fs.mkdtempSync(path.join(tmp, 'm8-'));
    const dir16 = fs.mkdtempSync(path.join(tmp, 'm16-'));
    const m8 = path.join(dir8, 'a.png');
    const m16 = path.join(dir16, 'a.png');
    fs.writeFileSync(m8, encodeLabelPng({ labels: LABELS, width: W, height: H }));
    fs.writeFileSync(
      m16,
      encodeLabelPng({ labels: Uint16Array.from(LABELS), width: W, height: H }),
    );
    const image = write('pair.jpg', files.square!);
    const a = await readLabels({ entry: { id: 'a', image, mask: m8 }, ...read });
    const b = await readLabels({ entry: { id: 'a', image, mask: m16 }, ...read });
    expect(b!.labels).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(b!.labels).equals(Buffer.from(a!.labels))).toBe(true);
    const crop = (mask: string) =>
      loadTrainCrop({
        entry: { id: 'a', image, mask },
        rng: createRng({ seed: 3 }),
        read,
        cropSize: 16,
      });
    const [c8, c16] = [await crop(m8), await crop(m16)];
    expect(Buffer.from(c16.labels).equals(Buffer.from(c8.labels))).toBe(true);
    const [s8, s16] = [
      await computeMaskStats({ masksDir: dir8 }),
      await computeMaskStats({ masksDir: dir16 }),
    ];
    expect(s16.pixelCounts).toEqual(s8.pixelCounts);
  });

  it('a 16-bit mask with label 300 is refused the same way by every reader', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'bad16-'));
    const mask = path.join(dir, 'a.png');
    const labels = Uint16Array.from(LABELS);
    labels[40] = 300;
    fs.writeFileSync(mask, encodeLabelPng({ labels, width: W, height: H }));
    const want = `${mask}: label 300 at pixel (x=8, y=1) is not a class id 0..18 or the ignore value 255`;
    const image = write('pair16.jpg', files.square!);
    await expect(readLabels({ entry: { id: 'a', image, mask }, ...read })).rejects.toThrow(want);
    await expect(
      loadTrainCrop({
        entry: { id: 'a', image, mask },
        rng: createRng({ seed: 1 }),
        read,
        cropSize: 16,
      }),
    ).rejects.toThrow(want);
    await expect(computeMaskStats({ masksDir: dir })).rejects.toThrow(want);
  });

  const hugeMask = () => {
    const b = encodeLabelPng({ labels: LABELS, width: W, height: H });
    const dv = new DataView(b.buffer);
    dv.setUint32(16, 5000);
    dv.setUint32(20, 5000);
    dv.setUint32(29, crc32(b, 12, 29));
    return b;
  };

  it('a mask declaring 5000x5000 is refused unread by readers and stats; the limit is configurable', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'huge-'));
    const mask = path.join(dir, 'a.png');
    fs.writeFileSync(mask, hugeMask());
    const image = write('pairhuge.jpg', files.square!);
    const entry: DatasetEntry = { id: 'a', image, mask };
    const runs: (() => Promise<unknown>)[] = [
      () => readLabels({ entry, ...read }),
      () => loadTrainCrop({ entry, rng: createRng({ seed: 1 }), read, cropSize: 16 }),
      () => computeMaskStats({ masksDir: dir }),
    ];
    for (const run of runs) {
      await expectCleanOutcome({
        run,
        errorType: DatasetError,
        source: mask,
        refusal: /image is 5000x5000 \(25000000 pixels\), over the limit of 16777216 pixels/,
        mustRefuse: true,
      });
    }
    await expect(readLabels({ entry, ...read, maxMaskPixels: 100 })).rejects.toThrow(
      /over the limit of 100 pixels/,
    );
  });

  it('an image that must match its mask is compared on its header, before decoding', async () => {
    const mask = write('small.png', encodeLabelPng({ labels: LABELS, width: W, height: H }));
    const image = write('claims8000.jpg', claimSize(copy('jpeg'), 8000, 8000));
    const entry: DatasetEntry = { id: 'a', image, mask };
    const want = /small\.png: mask is 32x32 but image .*claims8000\.jpg is 8000x8000/;
    const runs: (() => Promise<unknown>)[] = [
      () => readSample({ entry, ...read }),
      () => loadTrainCrop({ entry, rng: createRng({ seed: 2 }), read, cropSize: 16 }),
    ];
    for (const run of runs) {
      await expectCleanOutcome({
        run,
        errorType: DatasetError,
        source: mask,
        refusal: want,
        mustRefuse: true,
        maxMs: 500,
        maxMb: 16,
      });
    }
  });

  for (let seed = 1; seed <= 20; seed++) {
    it(`a mask file with bytes changed, seed ${seed}`, async () => {
      const r = fuzzRng(seed * 1009);
      const b = encodeLabelPng({
        labels: LABELS,
        width: W,
        height: H,
        palette: seed % 2 ? undefined : [0, 0, 0, 255, 0, 0],
      });
      for (let k = 0; k < 1 + r.int(3); k++) b[r.int(b.length)] = r.int(256);
      const mask = write(`mut${seed}.png`, b);
      const out = await expectCleanOutcome({
        run: () => readLabels({ entry: { id: 'm', image: mask, mask }, ...read }),
        errorType: DatasetError,
        source: mask,
      });
      if (out.value) expect(out.value!.labels.length).toBe(W * H);
    });
  }
});
