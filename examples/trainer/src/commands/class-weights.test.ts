import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPORT_CLASS_WEIGHTS, REPORT_PIXEL_COUNTS } from '@facepar/losses';
import { encodeLabelPng } from '@facepar/metrics';
import { describeWithSharedData } from '@facepar/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../args.js';
import { createClassWeightsCommand } from './class-weights.js';

const roots: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'facepar-class-weights-'));
  roots.push(d);
  return d;
}
afterAll(() => {
  for (const d of roots) fs.rmSync(d, { recursive: true, force: true });
});

async function run(argv: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await createClassWeightsCommand({ out: (l) => lines.push(l) }).run(argv);
  return { code, lines };
}

describe('facepar class-weights', () => {
  it("--counts reproduces the report's Table 2 (table and paste line)", async () => {
    const file = path.join(tmp(), 'counts.json');
    fs.writeFileSync(file, JSON.stringify(REPORT_PIXEL_COUNTS));
    const { code, lines } = await run(['--counts', file]);
    expect(code).toBe(0);
    expect(lines[0]).toBe(`log2-inverse class weights from ${file}`);
    expect(lines[3]).toBe('| 0 | background | 375099645 | 1.8050 |');
    expect(lines[2 + 17]).toBe('| 16 | neck_l | 196952 | 12.7002 |');
    expect(lines.at(-1)).toBe(`classWeights: [${REPORT_CLASS_WEIGHTS.join(', ')}]`);
  });

  it('--json prints scheme, counts and weights; accepts { pixelCounts } files', async () => {
    const file = path.join(tmp(), 'stats.json');
    fs.writeFileSync(file, JSON.stringify({ files: 3, pixelCounts: [50, 25, 25, 0] }));
    const { lines } = await run(['--counts', file, '--scheme', 'median-frequency', '--json']);
    const doc = JSON.parse(lines.join('\n'));
    expect(doc.scheme).toBe('median-frequency');
    expect(doc.counts).toEqual([50, 25, 25, 0]);
    // f = [0.5, 0.25, 0.25] over seen classes, median 0.25; unseen class -> 0
    expect(doc.weights).toEqual([0.5, 1, 1, 0]);
  });

  it('--masks counts pixels with the data package and weights them', async () => {
    const dir = tmp();
    // 2x2 masks over 3 classes: class 0 x4, class 1 x2, class 2 x1, one ignored pixel
    fs.writeFileSync(
      path.join(dir, 'a.png'),
      encodeLabelPng({ labels: Uint8Array.from([0, 0, 1, 255]), width: 2, height: 2 }),
    );
    fs.writeFileSync(
      path.join(dir, 'b.png'),
      encodeLabelPng({ labels: Uint8Array.from([0, 0, 1, 2]), width: 2, height: 2 }),
    );
    const { code, lines } = await run([
      '--masks',
      dir,
      '--num-classes',
      '3',
      '--scheme',
      'inverse',
      '--json',
    ]);
    expect(code).toBe(0);
    const doc = JSON.parse(lines.join('\n'));
    expect(doc.counts).toEqual([4, 2, 1]);
    expect(doc.weights).toEqual([7 / 4, 7 / 2, 7]);
    expect(doc.source).toContain('2 masks, 1 ignored pixels');
  });

  it('rejects bad usage with a message naming the problem', async () => {
    await expect(run([])).rejects.toThrow(UsageError);
    await expect(run(['--counts', 'a', '--masks', 'b'])).rejects.toThrow(/exactly one of/);
    const file = path.join(tmp(), 'c.json');
    fs.writeFileSync(file, '[1, 2]');
    await expect(run(['--counts', file, '--scheme', 'log'])).rejects.toThrow(
      /--scheme must be one of log2-inverse, inverse, median-frequency, effective-number, enet; got 'log'/,
    );
    await expect(run(['--counts', file, '--beta', '1'])).rejects.toThrow(/--beta .* got '1'/);
    fs.writeFileSync(file, '{"x": 1}');
    await expect(run(['--counts', file])).rejects.toThrow(/"pixelCounts" or "counts"/);
  });
});

describeWithSharedData('facepar class-weights on real masks', 'fixtures', (dir) => {
  it('--masks counts equal the MANIFEST histograms of the 8 course masks', async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'MANIFEST.json'), 'utf8')) as {
      files: { path: string; value_pixel_counts?: Record<string, number> }[];
    };
    const expected = new Array<number>(19).fill(0);
    const masks = manifest.files.filter((f) => f.path.includes('dev-public/train/masks/'));
    expect(masks).toHaveLength(8);
    for (const f of masks) {
      for (const [v, n] of Object.entries(f.value_pixel_counts!)) expected[Number(v)]! += n;
    }
    const masksDir = path.join(dir, 'ai6126_2025_mini/dev-public/train/masks');
    const { code, lines } = await run(['--masks', masksDir, '--json']);
    expect(code).toBe(0);
    const doc = JSON.parse(lines.join('\n'));
    expect(doc.counts).toEqual(expected);
    expect(doc.counts.reduce((a: number, b: number) => a + b, 0)).toBe(8 * 512 * 512);
    const total = 8 * 512 * 512;
    doc.weights.forEach((w: number, c: number) => {
      expect(w).toBeCloseTo(Math.log2(total / expected[c]!), 12);
    });
  });
});
