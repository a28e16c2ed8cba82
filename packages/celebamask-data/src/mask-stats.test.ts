import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeLabelPng } from '@facepar/metrics';
import { describeWithSharedData } from '@facepar/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { computeMaskStats } from './mask-stats.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'facepar-stats-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function writeMasks(name: string, maps: number[][]): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  maps.forEach((m, i) => {
    fs.writeFileSync(
      path.join(dir, `${i}.png`),
      encodeLabelPng({ labels: Uint8Array.from(m), width: 2, height: 2 }),
    );
  });
  return dir;
}

describe('computeMaskStats', () => {
  it('counts pixels, presence, ignore and share (hand-computed)', async () => {
    const dir = writeMasks('hand', [
      [0, 0, 1, 13],
      [1, 1, 255, 18],
    ]);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'ignored: not a png');
    const s = await computeMaskStats({ masksDir: dir });
    expect(s.files).toBe(2);
    const counts = new Array(19).fill(0);
    counts[0] = 2;
    counts[1] = 3;
    counts[13] = 1;
    counts[18] = 1;
    expect(s.pixelCounts).toEqual(counts);
    expect(s.presence).toEqual(
      counts.map((_, c) => [1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1][c]),
    );
    expect([s.totalPixels, s.ignoredPixels]).toEqual([7, 1]);
    expect(s.share[1]).toBeCloseTo(3 / 7, 12);
    expect(s.classNames[13]).toBe('hair');
  });

  it('a bad label fails naming file and pixel, or is skipped and listed', async () => {
    const dir = writeMasks('bad', [
      [0, 1, 1, 1],
      [0, 19, 1, 1],
    ]);
    fs.writeFileSync(path.join(dir, '2.png'), Buffer.from('garbage'));
    await expect(computeMaskStats({ masksDir: dir })).rejects.toThrow(
      /1\.png: label 19 at pixel \(x=1, y=0\) is not a class id 0\.\.18 or the ignore value 255/,
    );
    const s = await computeMaskStats({ masksDir: dir, skipInvalid: true });
    expect(s.files).toBe(1);
    expect(s.skipped.map((k) => path.basename(k.file))).toEqual(['1.png', '2.png']);
    expect(s.skipped[1]!.problem).toMatch(/not a PNG/);
    expect(s.pixelCounts.slice(0, 2)).toEqual([1, 3]);
  });

  const distWorker = fileURLToPath(new URL('../dist/mask-stats-worker.js', import.meta.url));
  it.skipIf(!fs.existsSync(distWorker))(
    'gives the same result over 2 worker threads, and names a bad file from a worker (needs dist/)',
    async () => {
      const dir = writeMasks('threads', [
        [0, 0, 1, 13],
        [1, 1, 255, 18],
        [2, 3, 4, 5],
        [17, 17, 17, 0],
        [0, 1, 1, 1],
      ]);
      const one = await computeMaskStats({ masksDir: dir });
      const two = await computeMaskStats({ masksDir: dir, workers: 2 });
      expect(two).toEqual(one);
      fs.writeFileSync(
        path.join(dir, '9.png'),
        encodeLabelPng({ labels: Uint8Array.from([0, 0, 0, 40]), width: 2, height: 2 }),
      );
      await expect(computeMaskStats({ masksDir: dir, workers: 2 })).rejects.toThrow(
        /9\.png: label 40 at pixel \(x=1, y=1\)/,
      );
      const lenient = await computeMaskStats({ masksDir: dir, workers: 2, skipInvalid: true });
      expect(lenient.pixelCounts).toEqual(one.pixelCounts);
      expect(lenient.skipped.map((k) => path.basename(k.file))).toEqual(['9.png']);
    },
    30_000,
  );

  it('empty folder and bad options', async () => {
    fs.mkdirSync(path.join(tmp, 'none'));
    await expect(computeMaskStats({ masksDir: path.join(tmp, 'none') })).rejects.toThrow(
      /none: empty folder: no \*\.png masks/,
    );
    await expect(computeMaskStats({ masksDir: tmp, numClasses: 0 })).rejects.toThrow(
      /numClasses 0/,
    );
  });
});

interface ManifestFile {
  path: string;
  format: string;
  value_pixel_counts: Record<string, number>;
}

describeWithSharedData('computeMaskStats on real masks', 'fixtures', (dir) => {
  const files = (
    JSON.parse(fs.readFileSync(path.join(dir, 'MANIFEST.json'), 'utf8')) as {
      files: ManifestFile[];
    }
  ).files.filter((f) => f.format === 'PNG');
  for (const sub of [
    'ai6126_2025_mini/dev-public/train/masks',
    'celebamask_hq_official/maskgan_demo_samples',
  ]) {
    it(`sums the MANIFEST histograms of ${sub}`, async () => {
      const mine = files.filter((f) => path.dirname(f.path) === sub);
      const counts = new Array(19).fill(0);
      const presence = new Array(19).fill(0);
      for (const f of mine) {
        for (const [k, v] of Object.entries(f.value_pixel_counts)) {
          counts[Number(k)] += v;
          presence[Number(k)]++;
        }
      }
      const s = await computeMaskStats({ masksDir: path.join(dir, sub) });
      expect(s.files).toBe(mine.length);
      expect(s.pixelCounts).toEqual(counts);
      expect(s.presence).toEqual(presence);
      expect(s.totalPixels).toBe(mine.length * 512 * 512);
    });
  }
});

// Totals and presence over the full 1000-mask course train set (DATA-FORMATS.md §2.1);
// celebamask-mini holds 900 of those 1000 masks.
const TOTAL_1000 = [
  75419063, 66795646, 5426020, 851532, 585397, 585441, 1116589, 1093311, 1258075, 1023854, 749380,
  1077462, 1757933, 81316678, 2911854, 534035, 22449, 10694540, 8924741,
];
const PRESENCE_1000 = [
  1000, 1000, 1000, 58, 970, 971, 968, 966, 533, 481, 565, 996, 997, 969, 53, 234, 45, 975, 595,
];

describeWithSharedData('computeMaskStats on celebamask-mini', 'data', (dir) => {
  it('is consistent with the published 1000-mask totals', async () => {
    const s = await computeMaskStats({ masksDir: path.join(dir, 'train', 'masks') });
    expect(s.files).toBe(900);
    expect(s.totalPixels).toBe(900 * 512 * 512);
    expect(s.ignoredPixels).toBe(0);
    for (let c = 0; c < 19; c++) {
      expect(s.pixelCounts[c]).toBeLessThanOrEqual(TOTAL_1000[c]!);
      expect(s.pixelCounts[c]).toBeGreaterThanOrEqual(TOTAL_1000[c]! - 100 * 512 * 512);
      expect(s.presence[c]).toBeLessThanOrEqual(PRESENCE_1000[c]!);
      expect(s.presence[c]).toBeGreaterThanOrEqual(PRESENCE_1000[c]! - 100);
    }
    expect([s.presence[0], s.presence[1], s.presence[2]]).toEqual([900, 900, 900]);
  }, 60_000);
});
