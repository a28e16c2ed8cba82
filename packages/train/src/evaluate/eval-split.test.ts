import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evalSplitFor } from './evaluate-checkpoint.js';

function root(splits: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'facepar-eval-split-'));
  for (const s of splits) mkdirSync(join(dir, s));
  return dir;
}

describe('evalSplitFor: the samples eval scores, as train picks them', () => {
  it('--holdout takes the last N of --split (default train, as train --holdout); else val', () => {
    const d = root(['train', 'val']);
    expect(evalSplitFor({ root: d, holdout: 100 })).toMatchObject({
      split: 'train',
      holdout: 100,
      note: `the last 100 of train in ${d}`,
    });
    expect(evalSplitFor({ root: d })).toMatchObject({ split: 'val', note: `val in ${d}` });
    expect(evalSplitFor({ root: d, split: 'test' })).toMatchObject({ split: 'test' });
  });

  it("falls back to the run's own held-out samples, or names the flags to use", () => {
    const d = root(['train']);
    const run = { root: d, split: 'train', val: { holdout: 100 } } as const;
    for (const r of [evalSplitFor({ run }), evalSplitFor({ root: d, run })]) {
      expect(r).toMatchObject({ root: d, split: 'train', holdout: 100 });
      expect(r.note).toBe(`the run's evaluation samples: the last 100 of train in ${d}`);
    }
    const hint =
      /no val split in .*; pass --data DIR with --split NAME \(a split folder\) or --split train --holdout N/;
    expect(() => evalSplitFor({ root: d })).toThrow(hint);
    // the run trained on another root: its holdout says nothing about this one
    expect(() => evalSplitFor({ root: d, run: { ...run, root: '/elsewhere' } })).toThrow(hint);
    expect(() => evalSplitFor({ run: { root: d, val: null } })).toThrow(
      /no --data, and the checkpoint names no run with evaluation samples; pass --data DIR/,
    );
  });
});
