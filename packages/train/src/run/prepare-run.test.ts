import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO } from '../test-configs.test-helper.js';
import { prepareTrainRun, type TrainRunRequest } from './prepare-run.js';
import { TrainRunError } from './run-folder.js';

/** A dataset root with only a train split (no val/), like celebamask-mini. */
function dataset(): string {
  const root = mkdtempSync(join(tmpdir(), 'facepar-prep-data-'));
  mkdirSync(join(root, 'train', 'images'), { recursive: true });
  return root;
}

/** A run folder as a started run leaves it: config.json and a latest checkpoint pointer. */
function startedRun(request: TrainRunRequest): { workDir: string; request: TrainRunRequest } {
  const workDir = join(mkdtempSync(join(tmpdir(), 'facepar-prep-')), 'run');
  const { config } = prepareTrainRun({ ...request, workDir });
  mkdirSync(join(workDir, 'checkpoints'), { recursive: true });
  writeFileSync(join(workDir, 'config.json'), JSON.stringify(config));
  writeFileSync(join(workDir, 'checkpoints', 'latest.json'), '{"name":"iter_000003","iter":3}');
  return { workDir, request };
}

describe('prepareTrainRun', () => {
  it('a new run: flags, then --set, the data source (absolute), backend and files in the config', () => {
    const root = dataset();
    const weights = join(root, 'w.pth');
    writeFileSync(weights, '');
    const { config, notes, resume } = prepareTrainRun({
      ...{ base: DEMO, workDir: join(root, 'run'), data: root, holdout: 100, iters: 200 },
      ...{ crop: 48, set: ['optimizer.lr=0.02', 'schedule.maxIters=300'], backend: 'wasm' },
      backboneWeights: weights,
    });
    expect(resume).toBe(false);
    expect(notes).toEqual([]);
    expect(config.schedule.maxIters).toBe(300); // --set comes after the flags
    expect(config.optimizer.lr).toBe(0.02);
    expect(config.model.cropSize).toEqual([48, 48]);
    expect(config.data.source).toEqual({
      root: resolve(root),
      layout: 'auto',
      split: 'train',
      val: { holdout: 100 },
    });
    expect(config.backend).toBe('wasm');
    expect(config.model.pretrained).toBe(resolve(weights));
    expect(DEMO.optimizer.lr).toBe(0.05);
  });

  it('says when there is no evaluation data, and names what is missing', () => {
    const root = dataset();
    const r = prepareTrainRun({ base: DEMO, workDir: join(root, 'r'), data: root });
    expect(r.config.data.source?.val).toBeNull();
    expect(r.notes[0]).toMatch(/no val split in .* and no holdout: training without evaluation/);
    expect(() => prepareTrainRun({ base: DEMO, data: '/nonexistent/faces' })).toThrow(
      "train: --data '/nonexistent/faces' does not exist (pass a dataset root, or 'synthetic')",
    );
    expect(() => prepareTrainRun({ base: DEMO, data: root, loadFrom: '/no/w.pth' })).toThrow(
      /--load-from '\/no\/w.pth' does not exist/,
    );
    expect(() => prepareTrainRun({ base: DEMO, data: root, set: ['seed=-1'] })).toThrow(
      TrainRunError,
    );
    expect(() => prepareTrainRun({ resume: true })).toThrow(/--resume needs --work-dir/);
  });

  it('a resume reads everything from config.json; restating it is fine', () => {
    const root = dataset();
    const first = { base: DEMO, data: root, holdout: 100, iters: 200, backend: 'wasm' as const };
    const { workDir } = startedRun(first);
    const plain = prepareTrainRun({ resume: true, workDir });
    expect(plain.resume).toBe(true);
    expect(plain.config.schedule.maxIters).toBe(200);
    expect(plain.config.data.source?.val).toEqual({ holdout: 100 });
    expect(plain.config.backend).toBe('wasm');
    const restated = prepareTrainRun({ ...first, resume: true, workDir });
    expect(restated.config).toEqual(plain.config);
    // a run folder without a run to continue
    expect(() => prepareTrainRun({ resume: true, workDir: join(root, 'none') })).toThrow(
      /--resume: no checkpoint in .*none/,
    );
    expect(() => prepareTrainRun({ ...first, workDir })).toThrow(/already holds a run/);
  });

  it('refuses a flag that contradicts the run, naming the flag, the key and both values', () => {
    const root = dataset();
    const { workDir } = startedRun({ base: DEMO, data: root, holdout: 100, iters: 200 });
    const resume = (r: TrainRunRequest) => () => prepareTrainRun({ ...r, resume: true, workDir });
    expect(resume({ iters: 300 })).toThrow(
      /--iters 300: schedule.maxIters is 200, this makes it 300/,
    );
    expect(resume({ holdout: 50 })).toThrow(/--holdout 50: data.source.val is \{"holdout":100\}/);
    expect(resume({ data: join(root, 'other') })).toThrow(
      new RegExp(`--data .*other: data.source.root is ${resolve(root)}`),
    );
    expect(resume({ set: ['optimizer.lr=1'] })).toThrow(
      /--set optimizer.lr=1: optimizer.lr is 0.05, this makes it 1/,
    );
    expect(resume({ backend: 'cpu' })).toThrow(/--backend cpu: backend is auto/);
    expect(resume({ base: { ...DEMO, name: 'report' } })).toThrow(
      /--config report: the run's config is demo/,
    );
    // every conflict at once, and the fix
    expect(resume({ iters: 300, batch: 1 })).toThrow(
      /--iters 300: .* \| --batch 1: data.batchSize is 4, .*--resume --work-dir .* is enough/,
    );
    expect(resume({ iters: 300 })).toThrow(TrainRunError);
  });
});
