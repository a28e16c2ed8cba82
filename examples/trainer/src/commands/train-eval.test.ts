import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSyntheticDataset } from '@facepar/celebamask-data';
import { ConfusionMatrix, decodeLabelPng } from '@facepar/metrics';
import { beforeAll, describe, expect, it } from 'vitest';
import { readJsonl } from '../render/jsonl-log.js';
import { initBackend } from '@facepar/core';
import { createEvalCommand } from './eval.js';
import { createPredictCommand } from './predict.js';
import { createTrainCommand } from './train.js';

const quiet = { write: () => true };

function capture() {
  const lines: string[] = [];
  return { lines, out: (l: string) => lines.push(l) };
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('facepar train', () => {
  it('runs the report config (R50-D8) for 2 iterations on wasm at a 32-px crop', async () => {
    const workDir = join(mkdtempSync(join(tmpdir(), 'facepar-report-')), 'run');
    const c = capture();
    const train = createTrainCommand({ out: c.out, stream: quiet, workers: 0 });
    const code = await train.run([
      '--config',
      'report',
      '--data',
      'synthetic',
      '--backend',
      'wasm',
      '--work-dir',
      workDir,
      '--iters',
      '2',
      '--crop',
      '32',
      '--batch',
      '2',
      '--holdout',
      '1',
    ]);
    expect(code).toBe(0);
    const log = readJsonl(join(workDir, 'log.jsonl'));
    // logEvery is clamped to --iters: one record averaging iterations 1-2, at iteration 2's LR
    const steps = log.filter((r) => r.kind === 'train');
    expect(steps.map((r) => r.iter)).toEqual([2]);
    const r = steps[0]!;
    if (r.kind !== 'train') throw new Error('unreachable');
    // weighted CE over 19 classes from random init is well above 1; aux adds 0.4x its own CE
    expect(Number.isFinite(r.loss) && r.loss > 1 && r.auxLoss! > 0).toBe(true);
    expect(r.loss).toBeCloseTo(r.decodeLoss + r.auxLoss!, 4);
    expect(r.lr).toBeCloseTo((0.01 - 1e-4) * 0.5 ** 0.9 + 1e-4, 9);
    const config = JSON.parse(readFileSync(join(workDir, 'config.json'), 'utf8'));
    expect(config.model).toEqual({ name: 'deeplabv3plus_r50-d8', cropSize: [32, 32] });
    // everything a resume needs: the data source (synthetic faces in the run folder)
    expect(config.data.source).toEqual({
      root: join(workDir, 'data'),
      layout: 'course',
      split: 'train',
      val: { split: 'val' },
    });
    expect(c.lines.join('\n')).toMatch(/mIoU \d+\.\d\d/);
  }, 600_000);

  it('rejects bad flags with the flag and the fix', async () => {
    const train = createTrainCommand({ out: () => {}, stream: quiet, workers: 0 });
    await expect(train.run(['--data', 'x'])).rejects.toThrow(
      /--config is required \(report, demo, celebamask-mini-cpu\)/,
    );
    await expect(train.run(['--config', 'nope', '--data', 'x'])).rejects.toThrow(
      /unknown config 'nope'; known configs: report, demo, celebamask-mini-cpu/,
    );
    await expect(
      train.run(['--config', 'demo', '--data', 'synthetic', '--resume']),
    ).rejects.toThrow(/--resume needs --work-dir/);
    await expect(train.run(['--config', 'demo', '--data', '/nonexistent/faces'])).rejects.toThrow(
      /--data '\/nonexistent\/faces' does not exist/,
    );
    await expect(
      train.run(['--config', 'demo', '--data', 'synthetic', '--iters', 'many']),
    ).rejects.toThrow("train: --iters must be an integer >= 1, got 'many'");
  });
});

describe('facepar eval', () => {
  it('evaluates a checkpoint; shards merge into exactly the full confusion matrix', async () => {
    const root = mkdtempSync(join(tmpdir(), 'facepar-eval-'));
    const data = join(root, 'data');
    await writeSyntheticDataset({
      dir: data,
      count: 10,
      size: 64,
      seed: 5,
      splits: { train: 0.5, val: 0.5 },
    });
    const workDir = join(root, 'run');
    const train = createTrainCommand({ out: () => {}, stream: quiet, workers: 0 });
    expect(
      await train.run([
        '--config',
        'demo',
        '--data',
        data,
        '--backend',
        'wasm',
        '--work-dir',
        workDir,
        '--iters',
        '2',
        '--crop',
        '48',
        '--batch',
        '2',
      ]),
    ).toBe(0);
    const evalCmd = createEvalCommand({ out: () => {} });
    const json = (name: string) => join(root, `${name}.json`);
    const args = ['--checkpoint', workDir, '--data', data, '--backend', 'wasm'];
    expect(await evalCmd.run([...args, '--json', json('all')])).toBe(0);
    expect(await evalCmd.run([...args, '--shard', '0/2', '--json', json('a')])).toBe(0);
    expect(await evalCmd.run([...args, '--shard', '1/2', '--json', json('b')])).toBe(0);
    const load = (name: string) => JSON.parse(readFileSync(json(name), 'utf8'));
    const all = ConfusionMatrix.fromJSON(load('all').confusionMatrix);
    const merged = ConfusionMatrix.fromJSON(load('a').confusionMatrix).merge(
      ConfusionMatrix.fromJSON(load('b').confusionMatrix),
    );
    expect(merged.toJSON()).toEqual(all.toJSON());
    // 5 val images of 64x64 pixels, none ignored
    const total = all
      .toJSON()
      .matrix.flat()
      .reduce((x, y) => x + y, 0);
    expect(total).toBe(5 * 64 * 64);
    expect(load('a').shard).toEqual({ index: 0, count: 2 });
    // --holdout scores only the last N samples of a split
    expect(
      await evalCmd.run([...args, '--split', 'train', '--holdout', '2', '--json', json('h')]),
    ).toBe(0);
    const held = load('h')
      .confusionMatrix.matrix.flat()
      .reduce((x: number, y: number) => x + y, 0);
    expect(held).toBe(2 * 64 * 64);
    expect(load('h').holdout).toBe(2);
    // --load-from starts a new run from the trained weights (strict state-dict load)
    const ckptWeights = join(workDir, 'checkpoints', 'iter_000002', 'weights.safetensors');
    const again = join(root, 'again');
    expect(
      await train.run([
        '--config',
        'demo',
        '--data',
        data,
        '--backend',
        'wasm',
        '--work-dir',
        again,
        '--iters',
        '1',
        '--crop',
        '48',
        '--batch',
        '2',
        '--load-from',
        ckptWeights,
      ]),
    ).toBe(0);
    await expect(
      train.run([
        '--config',
        'demo',
        '--data',
        data,
        '--load-from',
        join(root, 'missing.safetensors'),
      ]),
    ).rejects.toThrow(/--load-from '.*missing\.safetensors' does not exist/);
    await expect(evalCmd.run(['--checkpoint', join(root, 'none'), '--data', data])).rejects.toThrow(
      /checkpoint path .*none' does not exist/,
    );
  }, 600_000);
});

describe('facepar eval and facepar predict', () => {
  it('give the same mask for the same photo and checkpoint (test resize included)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'facepar-parity-'));
    const data = join(root, 'data');
    // 80-px photos, test scale (256, 64): both commands resize to 64 px and back
    await writeSyntheticDataset({
      dir: data,
      count: 6,
      size: 80,
      seed: 9,
      splits: { train: 0.5, val: 0.5 },
    });
    const workDir = join(root, 'run');
    const train = createTrainCommand({ out: () => {}, stream: quiet, workers: 0 });
    const flags = ['--iters', '2', '--crop', '48', '--batch', '2', '--backend', 'wasm'];
    expect(
      await train.run(['--config', 'demo', '--data', data, '--work-dir', workDir, ...flags]),
    ).toBe(0);
    const preds = join(root, 'eval-pred');
    const evalCmd = createEvalCommand({ out: () => {} });
    expect(await evalCmd.run(['--checkpoint', workDir, '--data', data, '--save-pred', preds])).toBe(
      0,
    );
    const stem = readdirSync(join(data, 'val', 'images'))[0]!.replace(/\.[a-z]+$/, '');
    const mask = join(root, 'predict.png');
    const predict = createPredictCommand({ out: () => {} });
    const input = join(data, 'val', 'images', `${stem}.jpg`);
    expect(
      await predict.run([
        '--weights',
        workDir,
        '--input',
        input,
        '--out',
        mask,
        '--backend',
        'wasm',
      ]),
    ).toBe(0);
    const fromEval = readFileSync(join(preds, `${stem}_pred.png`));
    expect(readFileSync(mask).equals(fromEval)).toBe(true);
    const labels = decodeLabelPng(new Uint8Array(fromEval));
    expect([labels.width, labels.height]).toEqual([80, 80]);
  }, 600_000);
});
