import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import { createSgd } from '@facepar/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCheckpointHook } from '../checkpoint/checkpoint-hook.js';
import { resumeRun } from '../checkpoint/model-state.js';
import { loadCheckpoint, readCheckpointPointers } from '../checkpoint/run-checkpoint.js';
import type { LogRecord } from '../records.js';
import type { TrainHook } from './hooks.js';
import { createLogWindowHook } from './log-window.js';
import { TinyBatches, createTinyModel, tinyLoss } from './tiny-model.test-helper.js';
import { runTrainLoop, type TrainLoopOptions } from './train-loop.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function setup(seed = 1) {
  const model = createTinyModel({ numClasses: 3, seed });
  const optimizer = createSgd({ lr: 0.1, momentum: 0.9, weightDecay: 5e-4 });
  const batches = new TinyBatches(seed);
  return { model, optimizer, batches };
}

function lrAt(maxIters: number) {
  return (iter: number) => (0.1 - 1e-4) * (1 - iter / maxIters) ** 0.9 + 1e-4;
}

/** Records kept per run folder, standing in for the CLI's log.jsonl. */
const logs = new Map<string, LogRecord[]>();

function trainLosses(workDir: string): number[] {
  return (logs.get(workDir) ?? []).flatMap((r) => (r.kind === 'train' ? [r.loss] : []));
}

/**
 * `runTrainLoop` with the log window (every iteration) and the checkpoint hook, as
 * `trainSegmentor` wires them; `resume` restores the run folder's latest checkpoint first.
 */
async function run(
  options: Omit<TrainLoopOptions, 'hooks' | 'start'> & {
    workDir: string;
    checkpointEvery: number;
    resume?: boolean;
  },
) {
  const { workDir, model, optimizer, batches } = options;
  const records = logs.get(workDir) ?? [];
  logs.set(workDir, records);
  const onRecord = (r: LogRecord) => records.push(r);
  const start = options.resume ? resumeRun({ workDir, model, optimizer, batches }) : undefined;
  if (start) records.splice(0, records.length, ...records.filter((r) => r.iter <= start.iter));
  const hooks: TrainHook[] = [
    createLogWindowHook({ every: 1, onRecord }),
    createCheckpointHook({
      workDir,
      every: options.checkpointEvery,
      model,
      optimizer,
      batches,
      config: { name: 'tiny' },
      onRecord,
    }),
  ];
  return runTrainLoop({ ...options, hooks, start, onRecord });
}

describe('runTrainLoop', () => {
  it('learns, logs every iteration and keeps numTensors flat over 200 iterations', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'facepar-train-'));
    const { model, optimizer, batches } = setup();
    const counts: number[] = [];
    const result = await run({
      model,
      computeLoss: tinyLoss,
      optimizer,
      lrAt: lrAt(220),
      batches,
      maxIters: 220,
      workDir,
      checkpointEvery: 100,
      onIteration: () => counts.push(tf.memory().numTensors),
    });
    expect(result).toMatchObject({ iter: 220, stoppedBy: 'done' });
    // after warm-up (momentum buffers created at iteration 1) the count must not move
    expect(new Set(counts.slice(5)).size).toBe(1);
    expect(counts.at(-1)).toBe(counts[1]);
    const losses = trainLosses(workDir);
    expect(losses).toHaveLength(220);
    const head = losses.slice(0, 10).reduce((a, b) => a + b) / 10;
    const tail = losses.slice(-10).reduce((a, b) => a + b) / 10;
    expect(tail).toBeLessThan(head * 0.7);
    const last = logs
      .get(workDir)!
      .filter((r) => r.kind === 'train')
      .at(-1)!;
    expect(last.kind === 'train' && last.auxLoss! > 0 && last.pixelAcc > 0.5).toBe(true);
    expect(readCheckpointPointers({ workDir }).latest?.iter).toBe(220);
    model.dispose();
    optimizer.dispose();
  }, 120_000);

  it('lean gradients (default) train exactly like tf.variableGrads (leanGradients: false)', async () => {
    const n = 8;
    const train = async (leanGradients: boolean | undefined) => {
      const workDir = mkdtempSync(join(tmpdir(), 'facepar-lean-'));
      const { model, optimizer, batches } = setup(3);
      await run({
        model,
        computeLoss: tinyLoss,
        optimizer,
        lrAt: lrAt(n),
        batches,
        maxIters: n,
        workDir,
        checkpointEvery: 100,
        ...(leanGradients === undefined ? {} : { leanGradients }),
      });
      const weights = await Promise.all(model.getWeights().map((w) => w.data()));
      model.dispose();
      optimizer.dispose();
      return { losses: trainLosses(workDir), weights };
    };
    const lean = await train(undefined);
    const plain = await train(false);
    expect(lean.losses).toHaveLength(n);
    expect(lean.losses).toEqual(plain.losses);
    expect(lean.weights).toEqual(plain.weights);
    expect(Math.abs(lean.losses[0]! - lean.losses[n - 1]!)).toBeGreaterThan(1e-3);
  }, 60_000);

  it('resumed run reproduces the uninterrupted loss curve', async () => {
    const n = 12;
    const full = mkdtempSync(join(tmpdir(), 'facepar-full-'));
    const a = setup(7);
    await run({
      model: a.model,
      computeLoss: tinyLoss,
      optimizer: a.optimizer,
      lrAt: lrAt(2 * n),
      batches: a.batches,
      maxIters: 2 * n,
      workDir: full,
      checkpointEvery: 100,
    });
    a.model.dispose();
    a.optimizer.dispose();

    const split = mkdtempSync(join(tmpdir(), 'facepar-split-'));
    const controller = new AbortController();
    const b = setup(7);
    const first = await run({
      model: b.model,
      computeLoss: tinyLoss,
      optimizer: b.optimizer,
      lrAt: lrAt(2 * n),
      batches: b.batches,
      maxIters: 2 * n,
      workDir: split,
      checkpointEvery: 5,
      signal: controller.signal,
      onIteration: ({ iter }) => {
        if (iter === n) controller.abort();
      },
    });
    expect(first).toMatchObject({ iter: n, stoppedBy: 'interrupted' });
    b.model.dispose();
    b.optimizer.dispose();

    // a fresh process: new model (different init seed), new optimizer, new batch stream
    const c = setup(99);
    const second = await run({
      model: c.model,
      computeLoss: tinyLoss,
      optimizer: c.optimizer,
      lrAt: lrAt(2 * n),
      batches: new TinyBatches(7),
      maxIters: 2 * n,
      workDir: split,
      checkpointEvery: 5,
      resume: true,
    });
    expect(second).toMatchObject({ iter: 2 * n, stoppedBy: 'done' });
    const want = trainLosses(full);
    const got = trainLosses(split);
    expect(got).toHaveLength(2 * n);
    for (let i = 0; i < 2 * n; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-5);
    // the curve moved, so the comparison is not trivially of constants
    expect(Math.abs(want[0]! - want[2 * n - 1]!)).toBeGreaterThan(1e-3);
    c.model.dispose();
    c.optimizer.dispose();
  }, 60_000);

  it('stops on a NaN loss without touching the last good checkpoint', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'facepar-nan-'));
    const { model, optimizer, batches } = setup(3);
    await run({
      model,
      computeLoss: tinyLoss,
      optimizer,
      lrAt: () => 0.05,
      batches,
      maxIters: 4,
      workDir,
      checkpointEvery: 4,
    });
    const before = readFileSync(join(loadCheckpoint({ path: workDir }).dir, 'weights.safetensors'));
    let calls = 0;
    let snapshot: Float32Array[] = [];
    await expect(
      run({
        model,
        computeLoss: (outputs, labels) => {
          const parts = tinyLoss(outputs, labels);
          calls++;
          return calls === 3 ? { ...parts, total: tf.div(parts.total, 0) as tf.Scalar } : parts;
        },
        optimizer,
        lrAt: () => 0.05,
        batches,
        maxIters: 8,
        workDir,
        checkpointEvery: 100,
        resume: true,
        onIteration: () => {
          snapshot = model.trainableWeights.map((w) => w.read().dataSync() as Float32Array);
        },
      }),
    ).rejects.toThrow(/loss is Infinity at iteration 7 .*latest: .*iter_000004/);
    // iterations 5 and 6 ran, 7 was NaN: checkpoint from iteration 4 untouched
    const ckpt = loadCheckpoint({ path: workDir });
    expect(ckpt.iter).toBe(4);
    expect(readFileSync(join(ckpt.dir, 'weights.safetensors')).equals(before)).toBe(true);
    const events = logs.get(workDir)!.filter((r) => r.kind === 'event');
    expect(
      events.at(-1)?.kind === 'event' &&
        /loss is Infinity at iteration 7/.test(events.at(-1)!.message),
    ).toBe(true);
    // the failing step did not update the trainable weights in memory either
    const after = model.trainableWeights.map((w) => w.read().dataSync() as Float32Array);
    expect(snapshot).toHaveLength(8);
    expect(after).toEqual(snapshot);
    model.dispose();
    optimizer.dispose();
  }, 60_000);
});
