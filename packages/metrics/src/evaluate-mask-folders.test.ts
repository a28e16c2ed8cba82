import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeWithSharedData } from '@facepar/test-utils';
import { encode } from 'fast-png';
import { crc32 } from './labels/png-decode.js';
import { afterAll, describe, expect, it } from 'vitest';
import { computeMetrics } from './compute-metrics.js';
import { ConfusionMatrix } from './confusion-matrix.js';
import { evaluateMaskFolders } from './evaluate-mask-folders.js';
import { CELEBAMASK_PALETTE, decodeLabelPng, encodeLabelPng } from './labels/index.js';

const tmpRoots: string[] = [];
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'facepar-metrics-'));
  tmpRoots.push(d);
  return d;
}
afterAll(() => {
  for (const d of tmpRoots) fs.rmSync(d, { recursive: true, force: true });
});

function write(dir: string, name: string, bytes: Uint8Array): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, name), bytes);
}

/** An RGB colour-coded mask through the CelebAMask palette. */
function rgbPng(labels: Uint8Array, width: number, height: number): Uint8Array {
  const data = new Uint8Array(labels.length * 3);
  for (let i = 0; i < labels.length; i++)
    data.set(CELEBAMASK_PALETTE.subarray(3 * labels[i], 3 * labels[i] + 3), 3 * i);
  return encode({ width, height, data, channels: 3, depth: 8 });
}

describe('evaluateMaskFolders (synthetic PNGs)', () => {
  // 2x3 images. a: gt [0,1,1,2,2,2] pred [0,1,2,2,2,2]; b: gt [1,1,1,1,0,0] pred [1,1,1,1,0,1]
  const a = { gt: Uint8Array.from([0, 1, 1, 2, 2, 2]), pred: Uint8Array.from([0, 1, 2, 2, 2, 2]) };
  const b = { gt: Uint8Array.from([1, 1, 1, 1, 0, 0]), pred: Uint8Array.from([1, 1, 1, 1, 0, 1]) };
  const root = tmpDir();
  const gtDir = path.join(root, 'gt');
  const predDir = path.join(root, 'pred');
  // gt: grey 8-bit (a) and RGB colour-coded (b); pred: palette (a) and 16-bit grey (b)
  write(gtDir, 'a.png', encodeLabelPng({ labels: a.gt, width: 3, height: 2 }));
  write(gtDir, 'b.png', rgbPng(b.gt, 3, 2));
  write(
    predDir,
    'a.png',
    encodeLabelPng({ labels: a.pred, width: 3, height: 2, palette: CELEBAMASK_PALETTE }),
  );
  write(
    predDir,
    'b.PNG',
    encodeLabelPng({ labels: Uint16Array.from(b.pred), width: 3, height: 2 }),
  );
  write(predDir, 'notes.txt', new Uint8Array([1]));

  it('pairs by stem across colour types and bit depths and counts exactly', async () => {
    const seen: string[] = [];
    const r = await evaluateMaskFolders({
      predDir,
      gtDir,
      numClasses: 3,
      keepImageAreas: true,
      onProgress: (p) => seen.push(`${p.done}/${p.total} ${p.stem}`),
    });
    expect(r.stems).toEqual(['a', 'b']);
    expect(seen).toEqual(['1/2 a', '2/2 b']);
    // rows gt, cols pred: gt0 -> pred0 x2, pred1 x1 ; gt1 -> 1 x5, 2 x1 ; gt2 -> 2 x3
    expect(r.confusionMatrix.toJSON().matrix).toEqual([
      [2, 1, 0],
      [0, 5, 1],
      [0, 0, 3],
    ]);
    expect(Array.from(r.imageAreas?.[1].intersect ?? [])).toEqual([1, 4, 0]);
    expect(computeMetrics(r.confusionMatrix).mIoU).toBeCloseTo((2 / 3 + 5 / 7 + 3 / 4) / 3, 12);
    expect(r.timing.totalMs).toBeGreaterThan(0);
  });

  it('names unpaired files, or skips them with skipMissing', async () => {
    const extra = tmpDir();
    fs.cpSync(gtDir, extra, { recursive: true });
    write(extra, 'c.png', encodeLabelPng({ labels: a.gt, width: 3, height: 2 }));
    await expect(evaluateMaskFolders({ predDir, gtDir: extra, numClasses: 3 })).rejects.toThrow(
      `unpaired mask files: no prediction in ${predDir} for c.png`,
    );
    const r = await evaluateMaskFolders({
      predDir,
      gtDir: extra,
      numClasses: 3,
      skipMissing: true,
    });
    expect(r.missingPred).toEqual(['c']);
    expect(r.stems).toEqual(['a', 'b']);
  });

  it('size mismatch and unreadable files give errors naming the files', async () => {
    const bad = tmpDir();
    write(bad, 'a.png', encodeLabelPng({ labels: new Uint8Array(4), width: 2, height: 2 }));
    write(bad, 'b.png', new Uint8Array([1, 2, 3]));
    await expect(evaluateMaskFolders({ predDir: bad, gtDir, numClasses: 3 })).rejects.toThrow(
      `size mismatch: ${path.join(bad, 'a.png')} is 2x2, ${path.join(gtDir, 'a.png')} is 3x2`,
    );
    fs.rmSync(path.join(bad, 'a.png'));
    fs.copyFileSync(path.join(predDir, 'a.png'), path.join(bad, 'a.png'));
    await expect(evaluateMaskFolders({ predDir: bad, gtDir, numClasses: 3 })).rejects.toThrow(
      `${path.join(bad, 'b.png')}: not a PNG file`,
    );
    // a ground truth that declares 32768x32768 is refused from its header, before inflating
    const big = encodeLabelPng({ labels: new Uint8Array(6), width: 3, height: 2 });
    const huge = tmpDir();
    const hugeBytes = big.slice();
    new DataView(hugeBytes.buffer).setUint32(16, 32768);
    new DataView(hugeBytes.buffer).setUint32(20, 32768);
    new DataView(hugeBytes.buffer).setUint32(29, crc32(hugeBytes, 12, 29));
    write(huge, 'a.png', hugeBytes);
    write(huge, 'b.png', hugeBytes);
    const both = { predDir: huge, gtDir: huge, numClasses: 3 };
    await expect(evaluateMaskFolders(both)).rejects.toThrow(
      `${path.join(huge, 'a.png')}: image is 32768x32768 (1073741824 pixels), over the limit of 16777216 pixels (maxPixels)`,
    );
    await expect(
      evaluateMaskFolders({ predDir: path.join(bad, 'nope'), gtDir, numClasses: 3 }),
    ).rejects.toThrow(/cannot read the prediction folder .*nope/);
  });
});

/** Deliberately simple reference: mmseg intersect_and_union written out per pixel. */
function referenceMiou(
  pairs: { pred: ArrayLike<number>; gt: ArrayLike<number> }[],
  numClasses: number,
): number {
  const inter = new Array(numClasses).fill(0);
  const predA = new Array(numClasses).fill(0);
  const gtA = new Array(numClasses).fill(0);
  for (const { pred, gt } of pairs) {
    for (let i = 0; i < gt.length; i++) {
      if (gt[i] === 255) continue;
      if (pred[i] < numClasses) predA[pred[i]] += 1;
      if (gt[i] < numClasses) gtA[gt[i]] += 1;
      if (pred[i] === gt[i] && gt[i] < numClasses) inter[gt[i]] += 1;
    }
  }
  const ious: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    const union = predA[c] + gtA[c] - inter[c];
    if (union > 0) ious.push(inter[c] / union);
  }
  return ious.reduce((s, v) => s + v, 0) / ious.length;
}

function flipHorizontal(
  labels: Uint8Array | Uint16Array,
  width: number,
  height: number,
): Uint8Array {
  const out = new Uint8Array(labels.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) out[y * width + x] = labels[y * width + (width - 1 - x)];
  }
  return out;
}

describeWithSharedData('evaluateMaskFolders on real CelebAMask-HQ masks', 'data', (dataDir) => {
  const masks = path.join(dataDir, 'train', 'masks');

  it('a folder against itself scores 100 mIoU over all its pairs', async () => {
    const r = await evaluateMaskFolders({ predDir: masks, gtDir: masks });
    expect(r.stems.length).toBe(fs.readdirSync(masks).filter((f) => f.endsWith('.png')).length);
    const m = computeMetrics(r.confusionMatrix);
    expect(m.mIoU).toBe(1);
    expect(m.aAcc).toBe(1);
    expect(r.confusionMatrix.dropped()).toEqual({
      ignored: 0,
      predOutOfRange: 0,
      gtOutOfRange: 0,
      bothOutOfRange: 0,
    });
  }, 60_000);

  it('horizontally flipped predictions for 40 masks match an independent reference', async () => {
    const stems = fs
      .readdirSync(masks)
      .filter((f) => f.endsWith('.png'))
      .sort()
      .slice(0, 40);
    const predDir = tmpDir(); // real data only ever lands in a temp folder, deleted afterwards
    const pairs: { pred: Uint8Array; gt: Uint8Array | Uint16Array }[] = [];
    for (const f of stems) {
      const gt = decodeLabelPng(fs.readFileSync(path.join(masks, f)));
      const pred = flipHorizontal(gt.labels, gt.width, gt.height);
      pairs.push({ pred, gt: gt.labels });
      write(
        predDir,
        f,
        encodeLabelPng({
          labels: pred,
          width: gt.width,
          height: gt.height,
          palette: CELEBAMASK_PALETTE,
        }),
      );
    }
    const r = await evaluateMaskFolders({ predDir, gtDir: masks, skipMissing: true });
    expect(r.stems.length).toBe(40);
    expect(r.missingPred.length).toBeGreaterThan(0);
    const m = computeMetrics(r.confusionMatrix);
    const ref = referenceMiou(pairs, 19);
    expect(m.mIoU).toBeCloseTo(ref, 12);
    expect(m.mIoU).toBeGreaterThan(0.3);
    expect(m.mIoU).toBeLessThan(0.95);
  }, 60_000);

  it('every mask against its horizontal flip matches the torch reference (scripts/flip_reference.py)', () => {
    const ref = JSON.parse(
      fs.readFileSync(
        new URL('./fixtures/celebamask-mini-flip-reference.json', import.meta.url),
        'utf8',
      ),
    ) as {
      files: number;
      mIoU: number;
      aAcc: number;
      meanF1Foreground: number;
      iou: (number | null)[];
    };
    const files = fs
      .readdirSync(masks)
      .filter((f) => f.endsWith('.png'))
      .sort();
    expect(files.length).toBe(ref.files);
    const cm = new ConfusionMatrix({ numClasses: 19 });
    for (const f of files) {
      const gt = decodeLabelPng(fs.readFileSync(path.join(masks, f)));
      cm.update({ pred: flipHorizontal(gt.labels, gt.width, gt.height), gt: gt.labels });
    }
    const m = computeMetrics(cm);
    expect(m.mIoU).toBeCloseTo(ref.mIoU, 12);
    expect(m.aAcc).toBeCloseTo(ref.aAcc, 12);
    expect(computeMetrics(cm, { excludeClasses: [0] }).mF1).toBeCloseTo(ref.meanF1Foreground, 12);
    ref.iou.forEach((v, c) => {
      if (v === null) expect(m.perClass.iou[c]).toBeNaN();
      else expect(m.perClass.iou[c], `class ${c}`).toBeCloseTo(v, 12);
    });
  }, 60_000);
});
