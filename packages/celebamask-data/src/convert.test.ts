import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeLabelPng } from '@facepar/metrics';
import { encode } from 'fast-png';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { convertPartMasks } from './convert.js';
import { CELEBAMASK_PART_NAMES, partMaskRelativePath } from './part-masks.js';
import { generateSyntheticFace } from './synthetic-face.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'facepar-convert-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Writes an official-layout root with per-part masks made from synthetic faces. */
async function officialRoot(
  name: string,
  idxs: number[],
): Promise<{ root: string; labels: Map<number, Uint8Array> }> {
  const root = path.join(tmp, name);
  fs.mkdirSync(path.join(root, 'CelebA-HQ-img'), { recursive: true });
  const labels = new Map<number, Uint8Array>();
  for (const idx of idxs) {
    const face = generateSyntheticFace({ seed: idx, size: 32 });
    labels.set(idx, face.labels);
    const jpg = await sharp(face.image, { raw: { width: 32, height: 32, channels: 3 } })
      .jpeg()
      .toBuffer();
    fs.writeFileSync(path.join(root, 'CelebA-HQ-img', `${idx}.jpg`), jpg);
    CELEBAMASK_PART_NAMES.forEach((part, i) => {
      const data = new Uint8Array(32 * 32);
      let any = false;
      face.labels.forEach((l, p) => {
        if (l === i + 1) {
          data[p] = 255;
          any = true;
        }
      });
      if (!any) return;
      const file = path.join(
        root,
        'CelebAMask-HQ-mask-anno',
        partMaskRelativePath({ index: idx, part }),
      );
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, encode({ width: 32, height: 32, data, channels: 1, depth: 8 }));
    });
  }
  return { root, labels };
}

describe('convertPartMasks', () => {
  it('writes one palette PNG per image equal to the combined parts', async () => {
    const { root, labels } = await officialRoot('ok', [0, 7, 4005]);
    const outDir = path.join(tmp, 'ok-out');
    const seen: number[] = [];
    const r = await convertPartMasks({ root, outDir, onProgress: (d) => seen.push(d) });
    expect(r).toEqual({ written: 3, skipped: [] });
    expect(seen).toEqual([1, 2, 3]);
    expect(fs.readdirSync(outDir).sort()).toEqual(['0.png', '4005.png', '7.png']);
    for (const [idx, lab] of labels) {
      const png = decodeLabelPng(fs.readFileSync(path.join(outDir, `${idx}.png`)));
      expect(png.colorType).toBe(3);
      expect(Buffer.from(png.labels).equals(Buffer.from(lab))).toBe(true);
    }
    expect(partMaskRelativePath({ index: 4005, part: 'hair' })).toBe('2/04005_hair.png');
  });

  it('names a corrupt part mask, or skips it under skipInvalid', async () => {
    const { root } = await officialRoot('bad', [1, 2]);
    fs.writeFileSync(path.join(root, 'CelebAMask-HQ-mask-anno', '0', '00002_skin.png'), 'junk');
    await expect(convertPartMasks({ root, outDir: path.join(tmp, 'bad-out') })).rejects.toThrow(
      /00002_skin\.png: cannot decode part mask/,
    );
    const r = await convertPartMasks({
      root,
      outDir: path.join(tmp, 'bad-out2'),
      skipInvalid: true,
    });
    expect(r.written).toBe(1);
    expect(r.skipped.map((s) => path.basename(s.file))).toEqual(['00002_skin.png']);
  });
});
