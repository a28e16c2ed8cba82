import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSyntheticDataset } from '@facepar/celebamask-data';
import { ConfusionMatrix, decodeLabelPng } from '@facepar/metrics';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@facepar/core';
import { packageFixture } from '@facepar/test-utils';
import { readJsonl, TrainRunError } from '@facepar/train';
import { createConvertCommand } from './convert.js';
import { createEvalCommand } from './eval.js';
import { createMiouCommand } from './miou.js';
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
      synthetic: { train: 200, val: 1, size: 64, seed: 0 },
    });
    expect(c.lines.join('\n')).toMatch(/mIoU \d+\.\d\d/);
  }, 600_000);

  it('--set changes the typed config and --dry-run prints it without writing anything', async () => {
    const workDir = join(mkdtempSync(join(tmpdir(), 'facepar-dry-')), 'run');
    const c = capture();
    const train = createTrainCommand({ out: c.out, stream: quiet, workers: 0 });
    const args = ['--config', 'report', '--data', 'synthetic', '--work-dir', workDir];
    const sets = ['--set', 'optimizer.lr=0.02', '--set', 'data.pipeline.flipProb=0'];
    expect(await train.run([...args, ...sets, '--iters', '100', '--dry-run'])).toBe(0);
    const config = JSON.parse(c.lines.join('\n'));
    expect(config.optimizer).toEqual({ lr: 0.02, momentum: 0.9, weightDecay: 5e-4 });
    expect(config.data.pipeline.flipProb).toBe(0);
    expect(config.schedule.maxIters).toBe(100);
    expect(config.data.source.root).toBe(join(workDir, 'data'));
    expect(existsSync(workDir)).toBe(false);
    // a caller's mistake: runCli exits with the usage code for it
    await expect(train.run([...args, '--set', 'optimizer.lrr=1'])).rejects.toThrow(TrainRunError);
    await expect(train.run([...args, '--set', 'optimizer.lrr=1'])).rejects.toThrow(
      "train: --set optimizer.lrr=1: unknown key 'optimizer.lrr'; optimizer has lr, momentum, weightDecay, weightDecayMode, nesterov",
    );
  });

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
      /weights .*none do not exist \(pass a run or checkpoint folder, a \.safetensors or a \.pth file\)/,
    );
  }, 600_000);

  it('PyTorch checkpoints: eval and --load-from take a .pth, --backbone-weights only the backbone', async () => {
    const root = mkdtempSync(join(tmpdir(), 'facepar-pth-'));
    const data = join(root, 'data');
    await writeSyntheticDataset({
      dir: data,
      count: 6,
      size: 64,
      seed: 4,
      splits: { train: 0.5, val: 0.5 },
    });
    const pth = packageFixture({ pkg: 'heads', name: 'deeplab-w32.pth' });
    const model = 'deeplabv3plus_r50-d8@x0.03125';
    const converted = join(root, 'w32.safetensors');
    expect(await createConvertCommand({ out: () => {} }).run([pth, converted])).toBe(0);
    const evalCmd = createEvalCommand({ out: () => {} });
    const matrices: unknown[] = [];
    for (const weights of [pth, converted]) {
      const json = join(root, `${matrices.length}.json`);
      const args = ['--checkpoint', weights, '--model', model, '--data', data, '--json', json];
      expect(await evalCmd.run([...args, '--backend', 'wasm'])).toBe(0);
      matrices.push(JSON.parse(readFileSync(json, 'utf8')).confusionMatrix);
    }
    expect(matrices[1]).toEqual(matrices[0]);
    const train = createTrainCommand({ out: () => {}, stream: quiet, workers: 0 });
    const base = ['--config', 'demo', '--data', data, '--backend', 'wasm', '--iters', '1'];
    const thin = [...base, '--crop', '32', '--batch', '2', '--set', `model.name=${model}`];
    const events = (workDir: string) =>
      readJsonl(join(workDir, 'log.jsonl')).flatMap((r) => (r.kind === 'event' ? [r.message] : []));
    const a = join(root, 'load-from');
    expect(await train.run([...thin, '--work-dir', a, '--load-from', pth])).toBe(0);
    expect(events(a)[0]).toMatch(/^load_from .*deeplab-w32\.pth \(pth-zip\): \d+ tensors$/);
    const b = join(root, 'pretrained');
    const backbone = packageFixture({ pkg: 'backbones', name: 'resnet50-v1c-w32.pth' });
    expect(await train.run([...thin, '--work-dir', b, '--backbone-weights', backbone])).toBe(0);
    expect(events(b)[0]).toMatch(
      /^pretrained backbone .*resnet50-v1c-w32\.pth \(pth-legacy, mmseg-backbone\): \d+ backbone tensors loaded; 2 keys of other parts skipped \(fc.weight, fc.bias\); no missing keys; no unexpected keys$/,
    );
    expect(JSON.parse(readFileSync(join(b, 'config.json'), 'utf8')).model.pretrained).toBe(
      backbone,
    );
  }, 600_000);
});

describe('facepar eval, predict and miou', () => {
  it("the same masks from eval --save-pred and predict; miou reads them; eval uses the run's holdout", async () => {
    const root = mkdtempSync(join(tmpdir(), 'facepar-parity-'));
    const data = join(root, 'data');
    // 80-px photos, test scale (256, 64): both commands resize to 64 px and back; no val split
    await writeSyntheticDataset({ dir: data, count: 6, size: 80, seed: 9, splits: { train: 1 } });
    const workDir = join(root, 'run');
    const train = createTrainCommand({ out: () => {}, stream: quiet, workers: 0 });
    const flags = ['--iters', '2', '--crop', '48', '--batch', '2', '--backend', 'wasm'];
    const run = ['--config', 'demo', '--data', data, '--holdout', '3', '--work-dir', workDir];
    expect(await train.run([...run, ...flags])).toBe(0);
    // no --data: the run's own held-out faces (there is no val split to default to)
    const preds = join(root, 'eval-out');
    const c = capture();
    const evalCmd = createEvalCommand({ out: c.out });
    const json = join(root, 'eval.json');
    expect(await evalCmd.run(['--checkpoint', workDir, '--save-pred', preds, '--json', json])).toBe(
      0,
    );
    expect(c.lines[1]).toMatch(/3 samples: the run's evaluation samples: the last 3 of train in /);
    await expect(
      evalCmd.run(['--checkpoint', workDir, '--data', data, '--split', 'val']),
    ).rejects.toThrow(/val/);
    const stems = readdirSync(join(preds, 'pred')).map((f) => f.replace(/\.png$/, ''));
    expect(stems).toHaveLength(3);
    expect(readdirSync(join(preds, 'gt')).sort()).toEqual(readdirSync(join(preds, 'pred')).sort());
    const masks = join(root, 'predict-out');
    const inputs = stems.map((s) => join(data, 'train', 'images', `${s}.jpg`));
    const predict = createPredictCommand({ out: () => {} });
    const args = ['--weights', workDir, '--input', ...inputs, '--out', masks, '--backend', 'wasm'];
    expect(await predict.run(args)).toBe(0);
    for (const stem of stems) {
      const fromEval = readFileSync(join(preds, 'pred', `${stem}.png`));
      expect(readFileSync(join(masks, `${stem}.png`)).equals(fromEval), stem).toBe(true);
      const labels = decodeLabelPng(new Uint8Array(fromEval));
      expect([labels.width, labels.height]).toEqual([80, 80]);
    }
    // miou pairs eval's two folders as they are, and agrees with eval
    const scored = join(root, 'miou.json');
    const miou = createMiouCommand({ out: () => {} });
    const folders = ['--pred', join(preds, 'pred'), '--gt', join(preds, 'gt'), '--json', scored];
    folders.push('--preset', 'celebamask');
    expect(await miou.run(folders)).toBe(0);
    const fromMiou = JSON.parse(readFileSync(scored, 'utf8'));
    const fromEval = JSON.parse(readFileSync(json, 'utf8'));
    expect(fromMiou.confusionMatrix).toEqual(fromEval.confusionMatrix);
    expect(fromMiou.preset.mIoU).toBeCloseTo(fromEval.mIoU, 12);
  }, 600_000);
});
