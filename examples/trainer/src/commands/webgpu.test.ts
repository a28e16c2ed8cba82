import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, listBackends, readNpyFile } from '@facepar/core';
import { decodeLabelPng } from '@facepar/metrics';
import { requireWebGpuUnderCi, withoutSyncReads } from '@facepar/test-utils';
import { type LogRecord, readCheckpointPointers, readJsonl } from '@facepar/train';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEvalCommand } from './eval.js';
import { createPredictCommand } from './predict.js';
import { createTrainCommand } from './train.js';

// The CLI's commands end to end on WebGPU (llvmpipe in CI: fails there without an adapter), with
// every synchronous read forbidden: the demo preset's thin model at 64-px crops, batch 2.
const { available, adapter } = await requireWebGpuUnderCi({ listBackends });

const quiet = { write: () => true };
const trainArgs = (workDir: string, iters: number, evalEvery: number) =>
  [
    ...['--config', 'demo', '--data', 'synthetic', '--holdout', '2', '--backend', 'webgpu'],
    ...['--work-dir', workDir, '--iters', String(iters), '--crop', '64', '--batch', '2'],
    ...['--eval-every', String(evalEvery), '--log-every', '1'],
  ] as string[];
const trainRecords = (log: LogRecord[]) => log.flatMap((r) => (r.kind === 'train' ? [r] : []));
const newRunDir = (name: string) => join(mkdtempSync(join(tmpdir(), `facepar-${name}-`)), 'run');

describe.runIf(available)(`facepar on --backend webgpu (${adapter})`, () => {
  beforeAll(async () => {
    await initBackend({ backend: 'webgpu' });
  });

  it('train (Ctrl-C, --resume), eval and predict run without a synchronous read', async () => {
    const workDir = newRunDir('webgpu');
    const args = trainArgs(workDir, 4, 0);
    let sent = false;
    const stream = {
      write: (s: string) => {
        // after the second iteration's log line: the user's Ctrl-C
        if (!sent && s.includes('iter 2/')) {
          sent = true;
          process.emit('SIGINT');
        }
        return true;
      },
    };
    const tensors = tf.memory().numTensors;
    const train = createTrainCommand({ out: () => {}, stream, workers: 0 });
    expect(await withoutSyncReads(() => train.run(args))).toBe(130);
    expect(readCheckpointPointers({ workDir }).latest?.iter).toBe(2);
    const resumed = createTrainCommand({ out: () => {}, stream: quiet, workers: 0 });
    const resume = ['--resume', '--work-dir', workDir];
    expect(await withoutSyncReads(() => resumed.run(resume))).toBe(0);
    expect(tf.memory().numTensors).toBe(tensors);

    const log = readJsonl(join(workDir, 'log.jsonl'));
    const steps = trainRecords(log);
    expect(steps.map((r) => r.iter)).toEqual([1, 2, 3, 4]);
    for (const r of steps) {
      expect(Number.isFinite(r.loss) && r.loss > 0).toBe(true);
      expect(r.gpuBytes).toBeGreaterThan(0);
      expect(r.gpuBytesAllocated).toBeGreaterThanOrEqual(r.gpuBytes as number);
    }
    expect(log.some((r) => r.kind === 'event' && r.message.startsWith('resumed from'))).toBe(true);
    // --eval-every 0: one evaluation, the final one, then its checkpoint
    const evals = log.flatMap((r) => (r.kind === 'eval' ? [r] : []));
    expect(evals.map((r) => r.iter)).toEqual([4]);
    expect(readCheckpointPointers({ workDir }).latest?.iter).toBe(4);
    expect(existsSync(join(workDir, 'metrics.json'))).toBe(true);

    // eval of the checkpoint on the held-out faces: the run's final confusion matrix, exactly
    const out = mkdtempSync(join(tmpdir(), 'facepar-webgpu-out-'));
    const data = join(workDir, 'data');
    const json = join(out, 'eval.json');
    const evalCmd = createEvalCommand({ out: () => {} });
    const evalArgs = ['--checkpoint', workDir, '--data', data, '--split', 'val', '--json', json];
    expect(await withoutSyncReads(() => evalCmd.run([...evalArgs, '--backend', 'webgpu']))).toBe(0);
    const matrix = (path: string) => JSON.parse(readFileSync(path, 'utf8')).confusionMatrix;
    expect(matrix(json)).toEqual(matrix(join(workDir, 'metrics.json')));

    const name = readdirSync(join(data, 'val', 'images'))[0]!;
    const image = join(data, 'val', 'images', name);
    const stem = join(out, name.replace(/\.[^.]+$/, ''));
    const predict = createPredictCommand({ out: () => {} });
    const predictArgs = ['--weights', workDir, '--input', image, '--backend', 'webgpu'];
    const code = await withoutSyncReads(() =>
      predict.run([...predictArgs, '--out', out, '--logits']),
    );
    expect(code).toBe(0);
    const labels = decodeLabelPng(new Uint8Array(readFileSync(`${stem}.png`)));
    const npy = await readNpyFile(`${stem}_logits.npy`);
    expect(npy.shape).toEqual([1, 19, labels.height, labels.width]);
    expect(tf.memory().numTensors).toBe(tensors);
  }, 600_000);

  it("keeps the GPU buffer pool flat over train + eval + checkpoint cycles (the log's gpuBytesAllocated)", async () => {
    const workDir = newRunDir('webgpu-memory');
    const train = createTrainCommand({ out: () => {}, stream: quiet, workers: 0 });
    expect(await withoutSyncReads(() => train.run(trainArgs(workDir, 7, 2)))).toBe(0);
    const log = readJsonl(join(workDir, 'log.jsonl'));
    expect(log.flatMap((r) => (r.kind === 'eval' ? [r.iter] : []))).toEqual([2, 4, 6, 7]);
    // iteration k's record follows step k; 3, 5 and 7 follow an evaluation and a checkpoint
    const pool = new Map(trainRecords(log).map((r) => [r.iter, r.gpuBytesAllocated as number]));
    const at3 = pool.get(3) as number;
    expect(at3).toBeGreaterThan(0);
    expect(pool.get(7), JSON.stringify([...pool])).toBeLessThanOrEqual(at3 * 1.01);
  }, 600_000);
});
