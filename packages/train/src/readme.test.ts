// Runs the README example. The block between the markers must equal README.md's first ```ts
// block without its import lines (checked by the second test), so the README cannot rot.
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  ensureSyntheticDataset,
  type RecordSink,
  type TrainConfig,
  trainSegmentor,
} from './index.js';

const SOURCE = readFileSync(new URL('./readme.test.ts', import.meta.url), 'utf8');
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

function normalise(code: string): string[] {
  return code
    .replace(/^import [^;]*;$/gms, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('import ') && !l.startsWith('//'));
}

describe('README example', () => {
  it('trains two iterations on synthetic faces, evaluates and checkpoints', async () => {
    const lines: string[] = [];
    const console = { log: (...a: unknown[]) => lines.push(a.join(' ')) };
    // README-START
    await tf.setBackend('cpu');
    const workDir = mkdtempSync(join(tmpdir(), 'facepar-run-'));
    const data = { dir: join(workDir, 'data'), train: 4, val: 2, size: 64, seed: 0 };
    const config: TrainConfig = {
      name: 'tiny',
      description: 'the thin DeepLabV3+ on 64-px synthetic faces, two SGD iterations',
      model: { name: 'deeplabv3plus_r18-d16-thin', cropSize: [48, 48] },
      data: {
        batchSize: 2,
        source: await ensureSyntheticDataset(data), // train/ and val/ splits
        pipeline: { resize: { scale: [256, 64], ratioRange: [0.75, 1.25] } },
      },
      loss: { classWeights: null, reduction: 'mmseg' },
      optimizer: { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 },
      schedule: { maxIters: 2 },
      logEvery: 1,
      checkpointEvery: 2,
      evalEvery: 0, // only at the end
      seed: 0,
    };
    const onRecord: RecordSink = (r) => {
      if (r.kind === 'train') console.log(`iter ${r.iter} loss ${r.loss.toFixed(2)}`);
    };
    const run = await trainSegmentor({ config, workDir, onRecord });
    console.log(`mIoU ${run.report?.mIoU.toFixed(3)}, checkpoint ${run.lastCheckpoint}`);
    run.dispose();
    // README-END
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^iter 1 loss \d+\.\d\d$/);
    const mIoU = Number(/mIoU (\S+),/.exec(lines[2]!)![1]);
    expect(mIoU >= 0 && mIoU <= 1).toBe(true);
    expect(existsSync(join(workDir, 'checkpoints', 'iter_000002', 'weights.safetensors'))).toBe(
      true,
    );
  }, 120_000);

  it('README.md shows exactly the code that ran', () => {
    const block = /```ts\n([\s\S]*?)```/.exec(README)?.[1];
    expect(block).toBeDefined();
    const ran = SOURCE.split('// README-START')[1]!.split('// README-END')[0]!;
    expect(normalise(block!)).toEqual(normalise(ran));
  });
});
