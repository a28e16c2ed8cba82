import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import { createSgd } from '@facepar/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, readCheckpointPointers } from '../run/checkpoint.js';
import { readJsonl } from '../run/jsonl-log.js';
import { TinyBatches, createTinyModel, tinyLoss } from './tiny-model.test-helper.js';
import { runTrainLoop } from './train-loop.js';

const quiet = { write: () => true };

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

function trainLosses(workDir: string): number[] {
  return readJsonl(join(workDir, 'log.jsonl'))
    .filter((r) => r.kind === 'train')
    .map((r) => (r.kind === 'train' ? r.loss : 0));
}

describe('runTrainLoop', () => {
  it('learns, logs every iteration and keeps numTensors flat over 200 iterations', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'facepar-train-'));
    const { model, optimizer, batches } = setup();
    const counts: number[] = [];
    const result = await runTrainLoop({
      model,
      computeLoss: tinyLoss,
      optimizer,
      lrAt: lrAt(220),
      batches,
      maxIters: 220,
      workDir,
      config: { name: 'tiny' },
      logEvery: 1,
      checkpointEvery: 100,
      stream: quiet,
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
    const records = readJsonl(join(workDir, 'log.jsonl'));
    const last = records.at(-1)!;
    expect(last.kind === 'train' && last.auxLoss! > 0 && last.pixelAcc > 0.5).toBe(true);
    expect(readCheckpointPointers({ workDir }).latest?.iter).toBe(220);
    model.dispose();
    optimizer.dispose();
  }, 120_000);

  it('lean gradients (default) train exactly like tf.variableGrads (leanGradients: false)', async () => {
    const n = 8;
    const run = async (leanGradients: boolean | undefined) => {
      const workDir = mkdtempSync(join(tmpdir(), 'facepar-lean-'));
      const { model, optimizer, batches } = setup(3);
      await runTrainLoop({
        model,
        computeLoss: tinyLoss,
        optimizer,
        lrAt: lrAt(n),
        batches,
        maxIters: n,
        workDir,
        config: {},
        logEvery: 1,
        checkpointEvery: 100,
        stream: quiet,
        ...(leanGradients === undefined ? {} : { leanGradients }),
      });
      const weights = await Promise.all(model.getWeights().map((w) => w.data()));
      model.dispose();
      optimizer.dispose();
      return { losses: trainLosses(workDir), weights };
    };
    const lean = await run(undefined);
    const plain = await run(false);
    expect(lean.losses).toHaveLength(n);
    expect(lean.losses).toEqual(plain.losses);
    expect(lean.weights).toEqual(plain.weights);
    expect(Math.abs(lean.losses[0]! - lean.losses[n - 1]!)).toBeGreaterThan(1e-3);
  }, 60_000);

  it('resumed run reproduces the uninterrupted loss curve', async () => {
    const n = 12;
    const full = mkdtempSync(join(tmpdir(), 'facepar-full-'));
    const a = setup(7);
    await runTrainLoop({
      model: a.model,
      computeLoss: tinyLoss,
      optimizer: a.optimizer,
      lrAt: lrAt(2 * n),
      batches: a.batches,
      maxIters: 2 * n,
      workDir: full,
      config: {},
      logEvery: 1,
      checkpointEvery: 100,
      stream: quiet,
    });
    a.model.dispose();
    a.optimizer.dispose();

    const split = mkdtempSync(join(tmpdir(), 'facepar-split-'));
    const controller = new AbortController();
    const b = setup(7);
    const first = await runTrainLoop({
      model: b.model,
      computeLoss: tinyLoss,
      optimizer: b.optimizer,
      lrAt: lrAt(2 * n),
      batches: b.batches,
      maxIters: 2 * n,
      workDir: split,
      config: {},
      logEvery: 1,
      checkpointEvery: 5,
      stream: quiet,
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
    const second = await runTrainLoop({
      model: c.model,
      computeLoss: tinyLoss,
      optimizer: c.optimizer,
      lrAt: lrAt(2 * n),
      batches: new TinyBatches(7),
      maxIters: 2 * n,
      workDir: split,
      config: {},
      logEvery: 1,
      checkpointEvery: 5,
      stream: quiet,
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
    await runTrainLoop({
      model,
      computeLoss: tinyLoss,
      optimizer,
      lrAt: () => 0.05,
      batches,
      maxIters: 4,
      workDir,
      config: {},
      logEvery: 1,
      checkpointEvery: 4,
      stream: quiet,
    });
    const before = readFileSync(join(loadCheckpoint({ path: workDir }).dir, 'weights.safetensors'));
    let calls = 0;
    let snapshot: Float32Array[] = [];
    await expect(
      runTrainLoop({
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
        config: {},
        logEvery: 1,
        checkpointEvery: 100,
        stream: quiet,
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
    const events = readJsonl(join(workDir, 'log.jsonl')).filter((r) => r.kind === 'event');
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
