import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithSharedData } from '@facepar/test-utils';
import { expect, it } from 'vitest';
import { readJsonl } from '@facepar/train';
import { createTrainCommand } from './train.js';

describeWithSharedData('facepar train on the real celebamask-mini pairs', 'data', (dir) => {
  it('reads the JPEG/palette-PNG pairs, trains 2 iterations and scores a held-out part', async () => {
    const workDir = join(mkdtempSync(join(tmpdir(), 'facepar-real-')), 'run');
    const lines: string[] = [];
    const train = createTrainCommand({
      out: (l) => lines.push(l),
      stream: { write: () => true },
      workers: 0,
    });
    const code = await train.run([
      '--config',
      'celebamask-mini-cpu',
      '--data',
      dir,
      '--holdout',
      '2',
      '--backend',
      'wasm',
      '--work-dir',
      workDir,
      '--iters',
      '2',
      '--batch',
      '2',
      '--crop',
      '64',
      '--log-every',
      '1',
    ]);
    expect(code).toBe(0);
    expect(lines.join('\n')).toMatch(/898 training \/ 2 evaluation samples/);
    const log = readJsonl(join(workDir, 'log.jsonl'));
    const steps = log.filter((r) => r.kind === 'train');
    expect(steps.map((r) => r.iter)).toEqual([1, 2]);
    // the report's weights make the initial weighted CE several times ln(19)
    for (const r of steps) expect(r.kind === 'train' && r.loss > Math.log(19)).toBe(true);
    const evals = log.filter((r) => r.kind === 'eval');
    expect(evals).toHaveLength(1);
  }, 300_000);
});
