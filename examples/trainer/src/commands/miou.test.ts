import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeLabelPng } from '@facepar/metrics';
import { describeWithSharedData } from '@facepar/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../args.js';
import { createMiouCommand } from './miou.js';

const roots: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'facepar-miou-'));
  roots.push(d);
  return d;
}
afterAll(() => {
  for (const d of roots) fs.rmSync(d, { recursive: true, force: true });
});

function setup(): { pred: string; gt: string } {
  const root = tmp();
  const pred = path.join(root, 'pred');
  const gt = path.join(root, 'gt');
  fs.mkdirSync(pred);
  fs.mkdirSync(gt);
  // 3 classes; gt [0,0,1,1] pred [0,1,1,1] -> IoU 1/2, 2/3, class 2 absent (NaN)
  fs.writeFileSync(
    path.join(gt, 'x.png'),
    encodeLabelPng({ labels: Uint8Array.from([0, 0, 1, 1]), width: 2, height: 2 }),
  );
  fs.writeFileSync(
    path.join(pred, 'x.png'),
    encodeLabelPng({ labels: Uint8Array.from([0, 1, 1, 1]), width: 2, height: 2 }),
  );
  return { pred, gt };
}

function run(argv: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const cmd = createMiouCommand({
    out: (l) => lines.push(l),
    stream: { write: () => true },
  });
  return cmd.run(argv).then((code) => ({ code, lines }));
}

describe('facepar miou', () => {
  it('prints the table and summary and writes JSON with the raw matrix', async () => {
    const { pred, gt } = setup();
    const json = path.join(tmp(), 'out.json');
    const { code, lines } = await run([
      '--pred',
      pred,
      '--gt',
      gt,
      '--num-classes',
      '3',
      '--json',
      json,
    ]);
    expect(code).toBe(0);
    const text = lines.join('\n');
    expect(text).toContain('evaluated 1 pairs');
    expect(text).toMatch(/\| class 1 \| 66\.67 \|/);
    const doc = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(doc.summary.mIoU).toBeCloseTo(7 / 12, 12);
    expect(doc.confusionMatrix.matrix).toEqual([
      [1, 1, 0],
      [0, 2, 0],
      [0, 0, 0],
    ]);
    expect(doc.perClass[2].iou).toBeNull();
  });

  it('--merge combines saved matrices exactly', async () => {
    const { pred, gt } = setup();
    const dir = tmp();
    const a = path.join(dir, 'a.json');
    await run(['--pred', pred, '--gt', gt, '--num-classes', '3', '--json', a]);
    const merged = path.join(dir, 'm.json');
    const { code } = await run(['--merge', a, a, '--json', merged]);
    expect(code).toBe(0);
    const doc = JSON.parse(fs.readFileSync(merged, 'utf8'));
    expect(doc.confusionMatrix.matrix[1]).toEqual([0, 4, 0]);
    expect(doc.summary.mIoU).toBeCloseTo(7 / 12, 12);
  });

  it('--skip-missing, --format markdown and --strict', async () => {
    const { pred, gt } = setup();
    fs.writeFileSync(
      path.join(gt, 'y.png'),
      encodeLabelPng({ labels: Uint8Array.from([0, 7, 0, 0]), width: 2, height: 2 }),
    );
    await expect(run(['--pred', pred, '--gt', gt, '--num-classes', '3'])).rejects.toThrow(
      /no prediction in .* for y\.png/,
    );
    const { lines } = await run([
      '--pred',
      pred,
      '--gt',
      gt,
      '--num-classes',
      '3',
      '--skip-missing',
      '--format',
      'markdown',
    ]);
    expect(lines[0]).toBe('skipped 1 unpaired file(s): y (no prediction)');
    expect(lines.join('\n')).toContain('| class 0 | 50.00 | 50.00 | 100.00 | 66.67 | 66.67 |');
    fs.writeFileSync(
      path.join(pred, 'y.png'),
      encodeLabelPng({ labels: Uint8Array.from([0, 0, 0, 0]), width: 2, height: 2 }),
    );
    const loose = await run(['--pred', pred, '--gt', gt, '--num-classes', '3']);
    expect(loose.lines.join('\n')).toContain(
      'out-of-range labels (dropped like mmseg): 0 predicted, 1 ground truth, 0 both',
    );
    await expect(
      run(['--pred', pred, '--gt', gt, '--num-classes', '3', '--strict']),
    ).rejects.toThrow(/y\.png: gt label 7 at pixel 1 is outside 0\.\.2/);
  });

  it('image-wise option and usage errors', async () => {
    const { pred, gt } = setup();
    const { lines } = await run([
      '--pred',
      pred,
      '--gt',
      gt,
      '--num-classes',
      '3',
      '--imagewise',
      'micro-imagewise',
    ]);
    // one image: tp 3, fp 1, fn 1 -> IoU 3/5
    expect(lines.join('\n')).toContain('micro-imagewise: IoU 60.00');
    await expect(run(['--gt', gt])).rejects.toThrow(UsageError);
    await expect(run(['--pred', pred, '--gt', gt, '--preset', 'ade'])).rejects.toThrow(
      /--preset must be one of celebamask; got 'ade'/,
    );
    await expect(run(['--pred', pred, '--gt', gt, '--absent-class', 'nan'])).rejects.toThrow(
      "miou: --absent-class must be one of mmseg, zero, one; got 'nan'",
    );
  });
});

describeWithSharedData('facepar miou on real masks', 'data', (dataDir) => {
  it('the training masks against themselves give mIoU 100 with the celebamask preset', async () => {
    const masks = path.join(dataDir, 'train', 'masks');
    const { code, lines } = await run(['--pred', masks, '--gt', masks, '--preset', 'celebamask']);
    expect(code).toBe(0);
    expect(lines.join('\n')).toContain(
      'celebamask: mean F1 (18 foreground classes) 100.00, mIoU (19 classes) 100.00',
    );
  }, 60_000);
});
