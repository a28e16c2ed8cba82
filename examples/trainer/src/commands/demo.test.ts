import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonl } from '@facepar/train';
import { createDemoCommand } from './demo.js';

describe('facepar demo', () => {
  it('writes a complete run folder (tiny sizes)', async () => {
    const workDir = join(mkdtempSync(join(tmpdir(), 'facepar-demo-')), 'run');
    const lines: string[] = [];
    const demo = createDemoCommand({
      out: (l) => lines.push(l),
      stream: { write: () => true },
      workers: 0,
    });
    const code = await demo.run([
      '--work-dir',
      workDir,
      '--backend',
      'wasm',
      '--iters',
      '3',
      '--train',
      '8',
      '--val',
      '3',
    ]);
    expect(code).toBe(0);
    for (const f of [
      'config.json',
      'log.jsonl',
      'curves.svg',
      'curves.png',
      'metrics.txt',
      'metrics.md',
      'metrics.json',
    ]) {
      expect(existsSync(join(workDir, f))).toBe(true);
    }
    // the 3 validation faces: prediction and ground truth each, named by stem
    const preds = readdirSync(join(workDir, 'predictions', 'pred')).sort();
    expect(preds).toHaveLength(3);
    expect(readdirSync(join(workDir, 'predictions', 'gt')).sort()).toEqual(preds);
    expect(existsSync(join(workDir, 'data', 'train', 'images'))).toBe(true);
    const metrics = JSON.parse(readFileSync(join(workDir, 'metrics.json'), 'utf8'));
    expect(metrics.mIoU).toBeGreaterThanOrEqual(0);
    expect(metrics.mIoU).toBeLessThanOrEqual(1);
    expect(metrics.confusionMatrix.numClasses).toBe(19);
    // every labelled pixel of the 3 validation faces was scored
    const total = metrics.confusionMatrix.matrix.flat().reduce((a: number, b: number) => a + b, 0);
    expect(total).toBe(3 * 128 * 128);
    expect(readFileSync(join(workDir, 'metrics.txt'), 'utf8')).toMatch(/skin[\s\S]*mIoU/);
    const log = readJsonl(join(workDir, 'log.jsonl'));
    expect(log.filter((r) => r.kind === 'train').map((r) => r.iter)).toEqual([3]);
    expect(lines.at(-2)).toMatch(/^demo: mIoU \d+\.\d\d \(majority-class baseline \d+\.\d\d\)/);
    // a second demo into the same folder refuses instead of overwriting
    await expect(demo.run(['--work-dir', workDir, '--iters', '1'])).rejects.toThrow(
      /already holds a run; pass --resume/,
    );
  }, 300_000);
});
