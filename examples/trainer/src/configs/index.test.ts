import { describe, expect, it } from 'vitest';
import {
  TRAIN_CONFIGS,
  applyConfigOverrides,
  getTrainConfig,
  listTrainConfigs,
  polyLrAt,
} from './index.js';

describe('train configs', () => {
  it('has the report setup as data', () => {
    const r = getTrainConfig('report');
    expect(r.model).toBe('deeplabv3plus_r50-d8');
    expect(r.numClasses).toBe(19);
    expect(r.optimizer).toEqual({ lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
    expect(r.schedule).toEqual({ maxIters: 40_000, power: 0.9, minLr: 1e-4 });
    expect(r.loss).toEqual({
      classWeights: 'report',
      reduction: 'mmseg',
      decodeWeight: 1,
      auxWeight: 0.4,
    });
    expect(r.data.cropSize).toEqual([512, 512]);
    expect(r.evalEvery).toBe(4_000);
  });

  it('lists names and fails on unknown ones with the list', () => {
    expect(listTrainConfigs()).toEqual(['report', 'demo', 'celebamask-mini-cpu']);
    expect(() => getTrainConfig('big')).toThrow(
      "unknown config 'big'; known configs: report, demo, celebamask-mini-cpu",
    );
    for (const [name, c] of Object.entries(TRAIN_CONFIGS)) expect(c.name).toBe(name);
  });

  it('applies overrides without mutating the source', () => {
    const base = getTrainConfig('report');
    const c = applyConfigOverrides({ config: base, overrides: { iters: 2, batch: 1, crop: 64 } });
    expect(c.schedule.maxIters).toBe(2);
    expect(c.evalEvery).toBe(2);
    expect(c.checkpointEvery).toBe(2);
    expect(c.data.batchSize).toBe(1);
    expect(c.data.cropSize).toEqual([64, 64]);
    expect(c.data.resizeShort).toBe(64);
    expect(c.data.resizeLong).toBe(256);
    expect(base.schedule.maxIters).toBe(40_000);
    expect(() => applyConfigOverrides({ config: base, overrides: { iters: 0 } })).toThrow(
      'iters must be an integer >= 1, got 0',
    );
  });

  it('poly LR matches mmseg at start, middle and end', () => {
    const lr = polyLrAt({ config: getTrainConfig('report') });
    expect(lr(0)).toBeCloseTo(0.01, 12);
    // (0.01 - 1e-4) * 0.5^0.9 + 1e-4
    expect(lr(20_000)).toBeCloseTo(0.0099 * 0.5 ** 0.9 + 1e-4, 12);
    expect(lr(40_000)).toBeCloseTo(1e-4, 12);
  });
});
