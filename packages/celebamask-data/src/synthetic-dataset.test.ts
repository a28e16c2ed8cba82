import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeLabelPng } from '@facepar/metrics';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { mixSeed } from './rng.js';
import { splitCounts, syntheticStem, writeSyntheticDataset } from './synthetic-dataset.js';
import { generateSyntheticFace } from './synthetic-face.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'facepar-synth-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('splitCounts', () => {
  it('floors each split and gives the remainder to the first', () => {
    expect(splitCounts(10, { train: 0.9, val: 0.1 })).toEqual({ train: 9, val: 1 });
    expect(splitCounts(7, { train: 0.5, val: 0.25, test: 0.25 })).toEqual({
      train: 5,
      val: 1,
      test: 1,
    });
  });
});

describe('writeSyntheticDataset', () => {
  it('writes the course layout, deterministic and decodable', async () => {
    const dir = path.join(tmp, 'a');
    const summary = await writeSyntheticDataset({
      dir,
      count: 5,
      size: 48,
      seed: 9,
      splits: { train: 0.6, val: 0.4 },
    });
    expect(summary.splits).toEqual({
      train: [syntheticStem(0), syntheticStem(1), syntheticStem(2)],
      val: [syntheticStem(3), syntheticStem(4)],
    });
    expect(fs.readdirSync(path.join(dir, 'train', 'images')).sort()).toEqual([
      'synth-000000.jpg',
      'synth-000001.jpg',
      'synth-000002.jpg',
    ]);
    expect(fs.readdirSync(path.join(dir, 'val', 'masks')).sort()).toEqual([
      'synth-000003.png',
      'synth-000004.png',
    ]);
    // mask = the generator's labels for sample 3, as a palette PNG
    const png = decodeLabelPng(fs.readFileSync(path.join(dir, 'val', 'masks', 'synth-000003.png')));
    expect(png.colorType).toBe(3);
    const face = generateSyntheticFace({ seed: mixSeed(9, 3), size: 48 });
    expect(Buffer.from(png.labels).equals(Buffer.from(face.labels))).toBe(true);
    // image decodes to the right size and is close to the generated pixels (JPEG is lossy)
    const { data, info } = await sharp(path.join(dir, 'val', 'images', 'synth-000003.jpg'))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([48, 48, 3]);
    let err = 0;
    for (let i = 0; i < data.length; i++) err += Math.abs(data[i]! - face.image[i]!);
    expect(err / data.length).toBeLessThan(8);
    // same options again: same bytes
    const dir2 = path.join(tmp, 'b');
    await writeSyntheticDataset({
      dir: dir2,
      count: 5,
      size: 48,
      seed: 9,
      splits: { train: 0.6, val: 0.4 },
    });
    for (const f of ['train/images/synth-000001.jpg', 'val/masks/synth-000004.png']) {
      expect(fs.readFileSync(path.join(dir2, f)).equals(fs.readFileSync(path.join(dir, f)))).toBe(
        true,
      );
    }
  });

  it('rejects bad options naming the value', async () => {
    await expect(writeSyntheticDataset({ dir: tmp, count: 0 })).rejects.toThrow(/count 0/);
    await expect(writeSyntheticDataset({ dir: tmp, splits: { train: 0.5 } })).rejects.toThrow(
      /summing to 1/,
    );
    await expect(writeSyntheticDataset({ dir: tmp, size: 8 })).rejects.toThrow(/size 8/);
  });
});
