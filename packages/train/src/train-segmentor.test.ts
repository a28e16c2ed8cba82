import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, readSafetensors } from '@facepar/core';
import { createSegmentor, openSegmentor, predictSample } from '@facepar/heads';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportModelWeights, WEIGHTS_FILE } from './checkpoint/model-state.js';
import { loadCheckpoint } from './checkpoint/run-checkpoint.js';
import { applyConfigOverrides } from './config.js';
import { ensureSyntheticDataset, openTrainData } from './data/train-data.js';
import type { LogRecord } from './records.js';
import { DEMO } from './test-configs.test-helper.js';
import { trainSegmentor } from './train-segmentor.js';

beforeAll(async () => {
  expect((await initBackend({ backend: 'wasm' })).chosen).toBe('wasm');
});

describe('trainSegmentor on wasm', () => {
  it('trains on synthetic faces, evaluates once at the end and checkpoints what predict opens', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'facepar-seg-'));
    const source = await ensureSyntheticDataset({
      dir: join(workDir, 'data'),
      train: 4,
      val: 2,
      size: 64,
      seed: 1,
    });
    const config = applyConfigOverrides({
      config: { ...DEMO, data: { ...DEMO.data, source } },
      overrides: { iters: 3, batch: 2, crop: 48, evalEvery: 3, logEvery: 1 },
    });
    const { val } = await openTrainData(source);
    expect(val.map((s) => [s.width, s.height, s.labels.length])).toEqual([
      [64, 64, 4096],
      [64, 64, 4096],
    ]);
    const records: LogRecord[] = [];
    const before = tf.memory().numTensors;
    let evaluations = 0;
    const run = await trainSegmentor({
      config,
      workDir,
      onRecord: (r) => {
        records.push(r);
        if (r.kind === 'eval') evaluations++;
      },
    });
    expect(run).toMatchObject({ iter: 3, stoppedBy: 'done' });
    const steps = records.filter((r) => r.kind === 'train');
    expect(steps).toHaveLength(3);
    for (const r of steps) {
      expect(r.kind === 'train' && Number.isFinite(r.loss) && r.loss > 0 && r.auxLoss! > 0).toBe(
        true,
      );
    }
    // one evaluation, at the last iteration; the result's report is that one, not a second
    expect(evaluations).toBe(1);
    const e = records.find((r) => r.kind === 'eval')!;
    expect(e.kind === 'eval' && e.mIoU === run.report!.mIoU).toBe(true);
    expect(Object.keys(run.report!.iou)).toHaveLength(19);
    expect(
      run
        .report!.cm.toJSON()
        .matrix.flat()
        .reduce((a, b) => a + b, 0),
    ).toBe(2 * 64 * 64);
    expect(existsSync(join(workDir, 'config.json'))).toBe(true);
    // the checkpoint's weights are a heads segmentor checkpoint carrying the run's spec
    const ckpt = loadCheckpoint({ path: workDir });
    const weights = ckpt.readFile(WEIGHTS_FILE);
    const opened = openSegmentor(weights);
    expect(opened.spec.cropSize).toEqual([48, 48]);
    expect(opened.spec.test).toEqual({ mode: 'whole', scale: [256, 64] }); // 96 -> 48: half
    const pred = await predictSample({ segmentor: run.segmentor, image: val[0]! });
    expect(Array.from(await predictSample({ segmentor: opened, image: val[0]! }))).toEqual(
      Array.from(pred),
    );
    expect(readSafetensors(weights).metadata.facepar).toContain('facepar-segmentor/1');
    opened.dispose();
    run.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 300_000);

  it('a resumed run of the real pipeline (loader, dropout, BN, log window) matches an uninterrupted one', async () => {
    const root = mkdtempSync(join(tmpdir(), 'facepar-seg-resume-'));
    const source = await ensureSyntheticDataset({
      dir: join(root, 'data'),
      train: 6,
      val: 1,
      size: 64,
      seed: 2,
    });
    const data = { ...(await openTrainData(source)), val: [] };
    const config = applyConfigOverrides({
      config: {
        ...DEMO,
        data: { ...DEMO.data, pipeline: { ...DEMO.data.pipeline, photoMetric: {} } },
      },
      // logged every 2 iterations and stopped after 3: the resumed window spans both sessions
      overrides: { iters: 4, batch: 2, crop: 48, evalEvery: 0, logEvery: 2, checkpointEvery: 2 },
    });
    const losses = new Map<string, number[]>();
    const events: string[] = [];
    const sink = (dir: string) => (r: LogRecord) => {
      if (r.kind === 'train') losses.set(dir, [...(losses.get(dir) ?? []), r.loss]);
      if (r.kind === 'event') events.push(r.message);
    };

    // one initial state for both runs (the seeded init alone is not fully deterministic:
    // the backbone's stem conv ignores the seed)
    const init = createSegmentor({ model: config.model.name, seed: 0 });
    const initWeights = await exportModelWeights(init.model);
    init.dispose();
    const full = join(root, 'full');
    const a = await trainSegmentor({
      config,
      data,
      workDir: full,
      onRecord: sink(full),
      initWeights,
    });
    a.dispose();

    const split = join(root, 'split');
    const controller = new AbortController();
    const b = await trainSegmentor({
      config,
      data,
      workDir: split,
      onRecord: sink(split),
      signal: controller.signal,
      initWeights,
      onIteration: ({ iter }) => {
        if (iter === 3) controller.abort('SIGTERM');
      },
    });
    expect(b.stoppedBy).toBe('interrupted');
    expect(b.report).toBeUndefined();
    b.dispose();
    const c = await trainSegmentor({
      config,
      data,
      workDir: split,
      onRecord: sink(split),
      resume: true,
    });
    expect(c.iter).toBe(4);
    c.dispose();

    // the window 3-4 averages iterations 3 and 4, not only the one after the resume
    const want = losses.get(full)!;
    const got = losses.get(split)!;
    expect(want).toHaveLength(2);
    expect(got).toHaveLength(2);
    for (let i = 0; i < 2; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-5);
    expect(new Set(want).size).toBe(2);
    expect(events.find((m) => m.startsWith('interrupted'))).toMatch(
      /^interrupted by SIGTERM at iteration 3; checkpoint saved to /,
    );
  }, 300_000);
});
