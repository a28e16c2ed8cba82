import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CELEBAMASK_PALETTE, encodeLabelPng } from '@facepar/metrics';
import { describeWithSharedData } from '@facepar/test-utils';
import { encode } from 'fast-png';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError } from './dataset-error.js';
import { detectLayout, openDataset } from './dataset.js';
import { loadTrainCrop, trainCrop } from './pipeline.js';
import { createRng, mixSeed } from './rng.js';
import { writeSyntheticDataset } from './synthetic-dataset.js';
import { generateSyntheticFace } from './synthetic-face.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'facepar-dataset-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function mkdirp(...parts: string[]): string {
  const d = path.join(tmp, ...parts);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

async function jpeg(width: number, height: number, data?: Uint8Array): Promise<Buffer> {
  const raw = data ?? new Uint8Array(width * height * 3).fill(128);
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg()
    .toBuffer();
}

function binaryRgbPng(mask: ArrayLike<boolean>, width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) if (mask[i]) data.fill(255, 3 * i, 3 * i + 3);
  return encode({ width, height, data, channels: 3, depth: 8 });
}

function same(a: Uint8Array | null, b: Uint8Array): boolean {
  return a !== null && Buffer.from(a).equals(Buffer.from(b));
}

describe('course layout (2025/2026)', () => {
  const root = path.join(tmp, 'course');
  beforeAll(async () => {
    await writeSyntheticDataset({
      dir: root,
      count: 4,
      size: 40,
      seed: 3,
      splits: { train: 0.75, val: 0.25 },
    });
  });

  it('is detected, defaults to the train split and pairs by stem', async () => {
    expect(detectLayout({ root })).toBe('course');
    const ds = await openDataset({ root });
    expect([ds.layout, ds.split, ds.length]).toEqual(['course', 'train', 3]);
    expect(ds.entries.map((e) => e.id)).toEqual(['synth-000000', 'synth-000001', 'synth-000002']);
    const s = await ds.read(1);
    expect([s.width, s.height, s.image.length]).toEqual([40, 40, 40 * 40 * 3]);
    expect(same(s.labels, generateSyntheticFace({ seed: mixSeed(3, 1), size: 40 }).labels)).toBe(
      true,
    );
    const val = await openDataset({ root, split: 'val' });
    expect(val.entries.map((e) => e.id)).toEqual(['synth-000003']);
    // a split folder itself is also a root
    expect((await openDataset({ root: path.join(root, 'val') })).length).toBe(1);
    await expect(ds.read(3)).rejects.toThrow(/index 3 is outside 0..2/);
  });

  it('accepts grey and RGB colour-coded masks, and 255 as ignore', async () => {
    const dir = path.join(tmp, 'course-kinds');
    const face = generateSyntheticFace({ seed: 11, size: 32 });
    mkdirp('course-kinds', 'images');
    mkdirp('course-kinds', 'masks');
    const labels = face.labels.slice();
    labels[0] = 255;
    const rgb = new Uint8Array(32 * 32 * 3);
    for (let i = 0; i < labels.length; i++) {
      rgb.set(CELEBAMASK_PALETTE.subarray(3 * face.labels[i]!, 3 * face.labels[i]! + 3), 3 * i);
    }
    fs.writeFileSync(path.join(dir, 'images', 'a.jpg'), await jpeg(32, 32, face.image));
    fs.writeFileSync(path.join(dir, 'images', 'b.jpg'), await jpeg(32, 32, face.image));
    fs.writeFileSync(
      path.join(dir, 'masks', 'a.png'),
      encodeLabelPng({ labels, width: 32, height: 32 }),
    );
    fs.writeFileSync(
      path.join(dir, 'masks', 'b.png'),
      encode({ width: 32, height: 32, data: rgb, channels: 3, depth: 8 }),
    );
    const ds = await openDataset({ root: dir });
    expect(same((await ds.read(0)).labels, labels)).toBe(true);
    expect(same((await ds.read(1)).labels, face.labels)).toBe(true);
  });
});

describe('course layout (2022)', () => {
  it('is detected and reads train/train_image + train/train_mask', async () => {
    const root = path.join(tmp, 'c2022');
    const face = generateSyntheticFace({ seed: 2, size: 32 });
    for (const split of ['train', 'val']) {
      const im = mkdirp('c2022', split, `${split}_image`);
      const mk = mkdirp('c2022', split, `${split}_mask`);
      for (const n of [0, 1]) {
        fs.writeFileSync(path.join(im, `${n}.jpg`), await jpeg(32, 32, face.image));
        fs.writeFileSync(
          path.join(mk, `${n}.png`),
          encodeLabelPng({
            labels: face.labels,
            width: 32,
            height: 32,
            palette: CELEBAMASK_PALETTE,
          }),
        );
      }
    }
    expect(detectLayout({ root })).toBe('course2022');
    const ds = await openDataset({ root, split: 'val' });
    expect([ds.layout, ds.split, ds.length]).toEqual(['course2022', 'val', 2]);
    expect(ds.entries[1]!.image).toBe(path.join(root, 'val', 'val_image', '1.jpg'));
    expect(same((await ds.read(0)).labels, face.labels)).toBe(true);
  });
});

describe('official layout', () => {
  const root = path.join(tmp, 'official');
  const faces = new Map<number, ReturnType<typeof generateSyntheticFace>>();
  beforeAll(async () => {
    const img = mkdirp('official', 'CelebA-HQ-img');
    for (const idx of [0, 1, 2001]) {
      const face = generateSyntheticFace({ seed: idx, size: 32 });
      faces.set(idx, face);
      // images twice the mask size, like 1024² images with 512² masks
      const big = await sharp(face.image, { raw: { width: 32, height: 32, channels: 3 } })
        .resize(64, 64, { kernel: 'nearest' })
        .jpeg()
        .toBuffer();
      fs.writeFileSync(path.join(img, `${idx}.jpg`), big);
      const k = mkdirp('official', 'CelebAMask-HQ-mask-anno', String(Math.floor(idx / 2000)));
      const names = [
        'skin',
        'nose',
        'eye_g',
        'l_eye',
        'r_eye',
        'l_brow',
        'r_brow',
        'l_ear',
        'r_ear',
        'mouth',
        'u_lip',
        'l_lip',
        'hair',
        'hat',
        'ear_r',
        'neck_l',
        'neck',
        'cloth',
      ];
      names.forEach((name, i) => {
        const m = Array.from(face.labels, (l) => l === i + 1);
        if (m.some(Boolean)) {
          fs.writeFileSync(
            path.join(k, `${String(idx).padStart(5, '0')}_${name}.png`),
            binaryRgbPng(m, 32, 32),
          );
        }
      });
    }
    fs.writeFileSync(
      path.join(root, 'CelebA-HQ-to-CelebA-mapping.txt'),
      'idx        orig_idx   orig_file\n0          162770     162771.jpg\n1          5          000006.jpg\n2001       182637     182638.jpg\n',
    );
    fs.writeFileSync(
      path.join(root, 'list_eval_partition.txt'),
      '000006.jpg 0\n162771.jpg 1\n182638.jpg 2\n',
    );
  });

  it('combines per-part masks in the official order and resizes the image to the mask', async () => {
    expect(detectLayout({ root })).toBe('official');
    const ds = await openDataset({ root });
    expect(ds.entries.map((e) => e.id)).toEqual(['0', '1', '2001']);
    expect(ds.readOptions.resize).toBe('image-to-mask');
    expect(
      ds.entries[2]!.parts!.every((p) => p.path.includes(`${path.sep}1${path.sep}02001_`)),
    ).toBe(true);
    for (const [i, idx] of [0, 1, 2001].entries()) {
      const s = await ds.read(i);
      expect([s.width, s.height]).toEqual([32, 32]);
      expect(same(s.labels, faces.get(idx)!.labels)).toBe(true);
    }
    const big = await openDataset({ root, resize: 'mask-to-image' });
    const s = await big.read(0);
    expect([s.width, s.height]).toEqual([64, 64]);
    // nearest 2x upsampling: pixel (2x+1, 2y+1) takes mask pixel (x, y)
    expect(s.labels![(2 * 5 + 1) * 64 + 2 * 7 + 1]).toBe(faces.get(0)!.labels[5 * 32 + 7]);
    await expect((await openDataset({ root, resize: 'none' })).read(0)).rejects.toThrow(
      /mask is 32x32 but image .*0\.jpg is 64x64/,
    );
    // the training path: libvips resizes the 64² image straight to the random size; the same
    // labels as the in-memory pipeline, pixels close to it; 'none' names both sizes
    const opts = { resize: null, cropSize: 24, photoMetric: null, flipProb: 1 } as const;
    for (let i = 0; i < 3; i++) {
      const crop = await loadTrainCrop({
        entry: ds.entries[i]!,
        rng: createRng({ seed: i }),
        read: ds.readOptions,
        ...opts,
      });
      const r = await ds.read(i);
      const ref = trainCrop({
        sample: { ...r, labels: r.labels! },
        rng: createRng({ seed: i }),
        ...opts,
      });
      expect([crop.width, crop.height]).toEqual([24, 24]);
      expect(same(crop.labels, ref.labels)).toBe(true);
      let err = 0;
      for (let k = 0; k < ref.image.length; k++) err += Math.abs(crop.image[k]! - ref.image[k]!);
      expect(err / ref.image.length).toBeLessThan(12);
    }
    const none = await openDataset({ root, resize: 'none' });
    await expect(
      loadTrainCrop({
        entry: none.entries[0]!,
        rng: createRng({ seed: 0 }),
        read: none.readOptions,
        ...opts,
      }),
    ).rejects.toThrow(/mask is 32x32 but image .*0\.jpg is 64x64/);
  });

  it('splits by the CelebA partition, or by g_partition.py on the boundary files', async () => {
    const ids = async (split: string, splitRule?: 'celeba' | 'g_partition') =>
      (await openDataset({ root, split, splitRule })).entries.map((e) => e.id);
    expect(await ids('train')).toEqual(['1']);
    expect(await ids('val')).toEqual(['0']);
    expect(await ids('test')).toEqual(['2001']);
    // g_partition.py compares the 0-based orig_idx: 162770 -> train, 182637 -> val
    expect(await ids('train', 'g_partition')).toEqual(['0', '1']);
    expect(await ids('val', 'g_partition')).toEqual(['2001']);
  });

  it('higher ids win where parts overlap; uncovered pixels are background', async () => {
    const r = path.join(tmp, 'overlap');
    fs.mkdirSync(path.join(r, 'CelebA-HQ-img'), { recursive: true });
    fs.mkdirSync(path.join(r, 'CelebAMask-HQ-mask-anno', '0'), { recursive: true });
    fs.writeFileSync(path.join(r, 'CelebA-HQ-img', '0.jpg'), await jpeg(4, 1));
    const part = (name: string, m: boolean[]) =>
      fs.writeFileSync(
        path.join(r, 'CelebAMask-HQ-mask-anno', '0', `00000_${name}.png`),
        binaryRgbPng(m, 4, 1),
      );
    part('hair', [true, true, false, false]);
    part('skin', [false, true, true, false]);
    part('l_eye', [true, false, true, false]);
    const s = await (await openDataset({ root: r })).read(0);
    // px0: hair(13) over l_eye(4); px1: hair over skin; px2: l_eye over skin; px3: none
    expect([...s.labels!]).toEqual([13, 13, 4, 0]);
  });
});

describe('bad input', () => {
  async function course(
    name: string,
    build: (img: string, msk: string) => Promise<void>,
  ): Promise<string> {
    const img = mkdirp(name, 'images');
    const msk = mkdirp(name, 'masks');
    await build(img, msk);
    return path.join(tmp, name);
  }
  const good = generateSyntheticFace({ seed: 1, size: 32 });
  const goodPng = () =>
    encodeLabelPng({ labels: good.labels, width: 32, height: 32, palette: CELEBAMASK_PALETTE });

  it('orphan image and orphan mask: error naming the file, or skipped and counted', async () => {
    const root = await course('orphans', async (img, msk) => {
      for (const s of ['a', 'b', 'c'])
        fs.writeFileSync(path.join(img, `${s}.jpg`), await jpeg(32, 32));
      for (const s of ['a', 'c', 'd']) fs.writeFileSync(path.join(msk, `${s}.png`), goodPng());
    });
    await expect(openDataset({ root })).rejects.toThrow(
      /images[/\\]b\.jpg: orphan image: no mask .*b\.png/,
    );
    const ds = await openDataset({ root, skipInvalid: true });
    expect(ds.entries.map((e) => e.id)).toEqual(['a', 'c']);
    expect(ds.skipped.map((s) => [path.basename(s.file), s.problem.split(':')[0]])).toEqual([
      ['b.jpg', 'orphan image'],
      ['d.png', 'orphan mask'],
    ]);
    const noMasks = await openDataset({ root, requireMasks: false, skipInvalid: true });
    expect(noMasks.entries.find((e) => e.id === 'b')!.mask).toBeNull();
    expect((await noMasks.read(1)).labels).toBeNull();
  });

  it('empty folder, missing folder and unknown layout', async () => {
    const root = await course('empty', async () => {});
    await expect(openDataset({ root })).rejects.toThrow(/images: empty folder: no images/);
    await expect(openDataset({ root: path.join(tmp, 'nope') })).rejects.toThrow(
      /nope: dataset root is not a folder/,
    );
    mkdirp('nolayout', 'stuff');
    await expect(openDataset({ root: path.join(tmp, 'nolayout') })).rejects.toThrow(
      /cannot detect the dataset layout/,
    );
    await expect(openDataset({ root, layout: 'course2022' })).rejects.toThrow(
      /train_image: image folder not found/,
    );
    // biome-ignore lint/suspicious/noExplicitAny: bad runtime value
    await expect(openDataset({ root, layout: 'voc' as any })).rejects.toThrow(
      /layout 'voc' is not one of auto, course, course2022, official/,
    );
  });

  it('corrupt image, corrupt mask, size mismatch, label out of range', async () => {
    const root = await course('corrupt', async (img, msk) => {
      fs.writeFileSync(path.join(img, 'badimg.jpg'), Buffer.from('not a jpeg at all'));
      fs.writeFileSync(path.join(msk, 'badimg.png'), goodPng());
      const whole = await jpeg(32, 32, good.image);
      fs.writeFileSync(
        path.join(img, 'cut.jpg'),
        whole.subarray(0, Math.floor(whole.length * 0.6)),
      );
      fs.writeFileSync(path.join(msk, 'cut.png'), goodPng());
      fs.writeFileSync(path.join(img, 'badmask.jpg'), await jpeg(32, 32));
      fs.writeFileSync(path.join(msk, 'badmask.png'), goodPng().subarray(0, 60));
      fs.writeFileSync(path.join(img, 'size.jpg'), await jpeg(40, 32));
      fs.writeFileSync(path.join(msk, 'size.png'), goodPng());
      const lab = good.labels.slice();
      lab[3 * 32 + 5] = 23;
      fs.writeFileSync(path.join(img, 'label.jpg'), await jpeg(32, 32));
      fs.writeFileSync(
        path.join(msk, 'label.png'),
        encodeLabelPng({ labels: lab, width: 32, height: 32 }),
      );
    });
    const ds = await openDataset({ root });
    const byId = (id: string) => ds.read(ds.entries.findIndex((e) => e.id === id));
    await expect(byId('badimg')).rejects.toThrow(/badimg\.jpg: cannot decode image/);
    await expect(byId('cut')).rejects.toThrow(/cut\.jpg: cannot decode image/);
    await expect(byId('badmask')).rejects.toThrow(/badmask\.png: truncated PNG/);
    await expect(byId('size')).rejects.toThrow(
      /size\.png: mask is 32x32 but image .*size\.jpg is 40x32/,
    );
    await expect(byId('label')).rejects.toThrow(
      /label\.png: label 23 at pixel \(x=5, y=3\) is not a class id 0\.\.18 or the ignore value 255/,
    );
    await expect(byId('label')).rejects.toBeInstanceOf(DatasetError);
  });
});

describeWithSharedData('openDataset on real files', 'fixtures', (dir) => {
  it('reads the course fixtures (palette masks) and the image-only test split', async () => {
    const root = path.join(dir, 'ai6126_2025_mini', 'dev-public');
    const ds = await openDataset({ root });
    expect([ds.layout, ds.split, ds.length]).toEqual(['course', 'train', 8]);
    const s = await ds.read(
      ds.entries.findIndex((e) => e.id === '00129b5490b5459d813a2f031033635e'),
    );
    expect([s.width, s.height]).toEqual([512, 512]);
    let hair = 0;
    for (const v of s.labels!) if (v === 13) hair++;
    expect(hair).toBe(64695); // MANIFEST value_pixel_counts["13"]
    const test = await openDataset({ root, split: 'test', requireMasks: false });
    expect(test.length).toBe(2);
    await expect(openDataset({ root, split: 'test' })).rejects.toThrow(
      /masks: mask folder not found/,
    );
  });

  it('reads an official combined grey map with its 1024² image resized to 512²', async () => {
    const r = path.join(tmp, 'official-real');
    fs.mkdirSync(path.join(r, 'CelebA-HQ-img'), { recursive: true });
    fs.mkdirSync(path.join(r, 'CelebAMask-HQ-mask'), { recursive: true });
    const src = path.join(dir, 'celebamask_hq_official', 'maskgan_demo_samples');
    // links, not copies: the real files stay in ../shared
    fs.symlinkSync(path.join(src, '1.jpg'), path.join(r, 'CelebA-HQ-img', '1.jpg'));
    fs.symlinkSync(path.join(src, '1.png'), path.join(r, 'CelebAMask-HQ-mask', '1.png'));
    const s = await (await openDataset({ root: r })).read(0);
    expect([s.width, s.height, s.image.length]).toEqual([512, 512, 512 * 512 * 3]);
    const h = new Array(19).fill(0);
    for (const v of s.labels!) h[v]++;
    expect(h[13]).toBe(69012);
    expect(h[18]).toBe(12455);
  });
});

describeWithSharedData('openDataset on celebamask-mini', 'data', (dir) => {
  it('lists the 900 real pairs and reads one', async () => {
    const ds = await openDataset({ root: dir });
    expect([ds.layout, ds.split, ds.length, ds.skipped.length]).toEqual([
      'course',
      'train',
      900,
      0,
    ]);
    const s = await ds.read(899);
    expect([s.width, s.height]).toEqual([512, 512]);
    expect(s.labels!.every((v) => v <= 18)).toBe(true);
  });
});
