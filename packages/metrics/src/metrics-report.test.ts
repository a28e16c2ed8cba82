import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createConfusionMatrix } from './confusion-matrix.js';
import { metricsReport, readConfusionMatrixFiles } from './metrics-report.js';
import { getMetricPreset } from './presets.js';

describe('metricsReport and readConfusionMatrixFiles', () => {
  it('writes a document whose matrices add up exactly when read back', async () => {
    const a = createConfusionMatrix({ numClasses: 3 });
    a.update({ gt: Uint8Array.from([0, 0, 1, 2]), pred: Uint8Array.from([0, 1, 1, 2]) });
    const b = createConfusionMatrix({ numClasses: 3 });
    b.update({ gt: Uint8Array.from([2, 2]), pred: Uint8Array.from([2, 0]) });
    const dir = mkdtempSync(join(tmpdir(), 'facepar-report-'));
    const doc = metricsReport({ cm: a }).json;
    // class 0: I 1, U 2; class 1: I 1, U 2; class 2: I 1, U 1
    expect(doc.summary).toMatchObject({ mIoU: (0.5 + 0.5 + 1) / 3, aAcc: 0.75 });
    expect(doc.preset).toBeNull();
    writeFileSync(join(dir, 'a.json'), JSON.stringify(doc));
    writeFileSync(join(dir, 'b.json'), JSON.stringify(b.toJSON()));
    const merged = await readConfusionMatrixFiles([join(dir, 'a.json'), join(dir, 'b.json')]);
    expect(merged.toJSON()).toEqual(a.merge(b).toJSON());
    writeFileSync(join(dir, 'bad.json'), '{"x": 1}');
    await expect(readConfusionMatrixFiles([join(dir, 'bad.json')])).rejects.toThrow(/bad\.json: /);
  });

  it('adds the preset headline (NaN as null)', () => {
    const cm = createConfusionMatrix({ numClasses: 19 });
    cm.update({ gt: Uint8Array.from([0, 1]), pred: Uint8Array.from([0, 1]) });
    const r = metricsReport({ cm, preset: getMetricPreset('celebamask') });
    expect(r.json.preset).toEqual({ mIoU: 1, meanF1: 1 });
    expect(r.preset?.foreground.includedClasses).toHaveLength(18); // background excluded
    expect((r.json.summary as Record<string, unknown>).fwIoU).toBe(1);
  });
});
