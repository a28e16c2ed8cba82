import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CELEBAMASK_PALETTE, flipLabelTable } from '@facepar/metrics';
import { describeWithSharedData } from '@facepar/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDataset } from './dataset.js';
import { evalTransform, loadTrainCrop, loadTrainSample, trainTransform } from './pipeline.js';
import { createRng } from './rng.js';
import { writeSyntheticDataset } from './synthetic-dataset.js';
import { generateSyntheticFace } from './synthetic-face.js';
import { DEFAULT_NORMALIZE_OPTIONS } from '@facepar/image';
import { flipImage, flipLabels } from './flip.js';
import type { SegSample } from './sample.js';

/** A sample whose pixel colour is the palette colour of its label: alignment is checkable. */
function paletteSample(seed: number, size: number): SegSample {
  const f = generateSyntheticFace({ seed, size });
  const image = new Uint8Array(size * size * 3);
  for (let i = 0; i < f.labels.length; i++)
    image.set(CELEBAMASK_PALETTE.subarray(3 * f.labels[i]!, 3 * f.labels[i]! + 3), 3 * i);
  return { image, labels: f.labels, width: size, height: size };
}

function denorm(v: number, c: number): number {
  return v * DEFAULT_NORMALIZE_OPTIONS.std[c]! + DEFAULT_NORMALIZE_OPTIONS.mean[c]!;
}

const SMALL = {
  resize: { scale: [256, 64] as [number, number], ratioRange: [0.5, 2] as [number, number] },
  cropSize: 48,
};

describe('trainTransform', () => {
  it('keeps image and labels aligned through resize, crop and flip (L/R swapped)', () => {
    const flip = flipLabelTable();
    let checked = 0;
    const bad: string[] = [];
    for (let seed = 0; seed < 12; seed++) {
      const sample = paletteSample(seed, 64);
      const rng = createRng({ seed });
      const out = trainTransform({ sample, rng, ...SMALL, photoMetric: null });
      expect([out.width, out.height]).toEqual([48, 48]);
      // 5x5-uniform pixels only (a 2x downscale skips source pixels); a flipped sample shows
      // the colour of the mirrored class (l_eye label on r_eye colour).
      for (let y = 2; y < 46; y++) {
        for (let x = 2; x < 46; x++) {
          const i = y * 48 + x;
          const l = out.labels[i]!;
          if (l === 255) continue;
          let uniform = true;
          for (let dy = -2; dy <= 2 && uniform; dy++) {
            for (let dx = -2; dx <= 2; dx++)
              if (out.labels[i + dy * 48 + dx] !== l) uniform = false;
          }
          if (!uniform) continue;
          const colour = [0, 1, 2].map((c) => denorm(out.image[3 * i + c]!, c));
          const own = CELEBAMASK_PALETTE.subarray(3 * l, 3 * l + 3);
          const mirrored = CELEBAMASK_PALETTE.subarray(3 * flip[l]!, 3 * flip[l]! + 3);
          const near = (p: Uint8Array) => colour.every((v, c) => Math.abs(v - p[c]!) < 2);
          const ok = near(own) || near(mirrored);
          if (!ok) bad.push(`${seed} ${x},${y} l=${l} ${colour.map(Math.round)}`);
          checked++;
        }
      }
    }
    expect(bad).toEqual([]);
    expect(checked).toBeGreaterThan(5000);
  });

  it('flips with L/R swap inside the pipeline (flipProb 1) and keeps the pair colours', () => {
    // left half r_eye (5), right half l_eye (4), each painted in its palette colour
    const W = 8;
    const labels = Uint8Array.from({ length: W * W }, (_, i) => (i % W < W / 2 ? 5 : 4));
    const image = new Uint8Array(W * W * 3);
    labels.forEach((l, i) => {
      image.set(CELEBAMASK_PALETTE.subarray(3 * l, 3 * l + 3), 3 * i);
    });
    const opts = { resize: null, cropSize: W, photoMetric: null, catMaxRatio: 1 } as const;
    const out = trainTransform({
      sample: { image, labels, width: W, height: W },
      rng: createRng({ seed: 0 }),
      ...opts,
      flipProb: 1,
    });
    // mirrored: the right half now shows the r_eye colour, relabelled l_eye (4) after the swap
    expect(out.labels[W - 1]).toBe(4);
    expect(Math.round(denorm(out.image[3 * (W - 1)]!, 0))).toBe(CELEBAMASK_PALETTE[3 * 5]);
    expect(out.labels[0]).toBe(5);
    const plain = trainTransform({
      sample: { image, labels, width: W, height: W },
      rng: createRng({ seed: 0 }),
      ...opts,
      flipProb: 1,
      flipPairs: [],
    });
    expect(plain.labels[W - 1]).toBe(5);
    const never = trainTransform({
      sample: { image, labels, width: W, height: W },
      rng: createRng({ seed: 0 }),
      ...opts,
      flipProb: 0,
    });
    expect(never.labels[W - 1]).toBe(4);
    expect(Math.round(denorm(never.image[3 * (W - 1)]!, 0))).toBe(CELEBAMASK_PALETTE[3 * 4]);
  });

  it('is deterministic per RNG state and differs across seeds', () => {
    const sample = paletteSample(3, 64);
    const a = trainTransform({ sample, rng: createRng({ seed: 9 }), ...SMALL });
    const b = trainTransform({ sample, rng: createRng({ seed: 9 }), ...SMALL });
    const c = trainTransform({ sample, rng: createRng({ seed: 10 }), ...SMALL });
    expect(Buffer.from(a.image.buffer).equals(Buffer.from(b.image.buffer))).toBe(true);
    expect(Buffer.from(a.labels).equals(Buffer.from(b.labels))).toBe(true);
    expect(Buffer.from(a.image.buffer).equals(Buffer.from(c.image.buffer))).toBe(false);
  });

  it('pads small crops with 255 labels', () => {
    const sample = paletteSample(1, 64);
    const out = trainTransform({
      sample,
      rng: createRng({ seed: 0 }),
      resize: null,
      cropSize: 80,
      flipProb: 0,
      photoMetric: null,
    });
    expect([out.width, out.height]).toEqual([80, 80]);
    expect(out.labels[79]).toBe(255);
    expect(out.labels[79 * 80]).toBe(255);
    expect(out.labels[0]).toBe(sample.labels[0]);
    expect(out.image[3 * 79]).toBe(0);
  });

  it('evalTransform normalises and optionally resizes', () => {
    const sample = paletteSample(1, 64);
    const e = evalTransform({ sample, size: { width: 32, height: 32 } });
    expect([e.width, e.height, e.image.length, e.labels.length]).toEqual([
      32,
      32,
      32 * 32 * 3,
      32 * 32,
    ]);
    expect(e.labels[16 * 32 + 16]).toBe(sample.labels[33 * 64 + 33]); // centre 16.5 * 2 = 33
  });
});

describe('loadTrainSample (sharp path)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'facepar-pipe-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  beforeAll(async () => {
    await writeSyntheticDataset({ dir: tmp, count: 3, size: 64, seed: 4, splits: { train: 1 } });
  });

  it('gives the same samples as trainTransform on the decoded pair (labels and floats)', async () => {
    const ds = await openDataset({ root: tmp });
    for (let i = 0; i < ds.length; i++) {
      const s = await ds.read(i);
      for (const flipProb of [0, 1]) {
        const opts = { ...SMALL, flipProb };
        const fast = await loadTrainSample({
          entry: ds.entries[i]!,
          rng: createRng({ seed: i }),
          read: ds.readOptions,
          ...opts,
        });
        const ref = trainTransform({
          sample: { ...s, labels: s.labels! },
          rng: createRng({ seed: i }),
          ...opts,
        });
        expect(Buffer.from(fast.labels).equals(Buffer.from(ref.labels))).toBe(true);
        expect(Buffer.from(fast.image.buffer).equals(Buffer.from(ref.image.buffer))).toBe(true);
      }
    }
  });
});

describeWithSharedData('loadTrainCrop on a real pair', 'fixtures', (dir) => {
  it('flip mirrors the real image and swaps L/R labels exactly, staying aligned', async () => {
    const ds = await openDataset({ root: path.join(dir, 'ai6126_2025_mini', 'dev-public') });
    const i = ds.entries.findIndex((e) => e.id === '69a048720b9749f59b58243237ff929d'); // all 18 parts
    const s = await ds.read(i);
    const opts = { resize: null, cropSize: 512, photoMetric: null, catMaxRatio: 1 } as const;
    const load = (flipProb: number) =>
      loadTrainCrop({
        entry: ds.entries[i]!,
        rng: createRng({ seed: 0 }),
        read: ds.readOptions,
        ...opts,
        flipProb,
      });
    const [plain, flipped] = [await load(0), await load(1)];
    expect(Buffer.from(plain.labels).equals(Buffer.from(s.labels!))).toBe(true);
    const expected = flipLabels({ labels: s.labels!, width: 512, height: 512 });
    expect(Buffer.from(flipped.labels).equals(Buffer.from(expected))).toBe(true);
    // MANIFEST counts: l_eye 562 / r_eye 563, l_brow 1074 / r_brow 912, l_ear 1507 / r_ear 545
    const count = (l: Uint8Array, v: number) => l.reduce((n, x) => n + (x === v ? 1 : 0), 0);
    expect([4, 5, 6, 7, 8, 9].map((v) => count(flipped.labels, v))).toEqual([
      563, 562, 912, 1074, 545, 1507,
    ]);
    const mirrored = flipImage({ image: plain.image, width: 512, height: 512 });
    let maxDiff = 0;
    for (let p = 0; p < mirrored.length; p++)
      maxDiff = Math.max(maxDiff, Math.abs(mirrored[p]! - flipped.image[p]!));
    expect(maxDiff).toBe(0); // the mirrored crop is computed from mirrored taps: same bytes
  });
});
