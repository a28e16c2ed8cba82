import { polyLr } from '@facepar/core';
import { CELEBAMASK_MINI_CPU_CONFIG } from './celebamask-mini-cpu.js';
import { DEMO_CONFIG } from './demo.js';
import { REPORT_CONFIG } from './report.js';
import type { TrainConfig, TrainConfigOverrides } from './types.js';

/** Every named config, by name. */
export const TRAIN_CONFIGS: Readonly<Record<string, Readonly<TrainConfig>>> = Object.freeze({
  [REPORT_CONFIG.name]: REPORT_CONFIG,
  [DEMO_CONFIG.name]: DEMO_CONFIG,
  [CELEBAMASK_MINI_CPU_CONFIG.name]: CELEBAMASK_MINI_CPU_CONFIG,
});

export function listTrainConfigs(): string[] {
  return Object.keys(TRAIN_CONFIGS);
}

/** A deep copy of a named config; an unknown name throws listing the known ones. */
export function getTrainConfig(name: string): TrainConfig {
  const config = TRAIN_CONFIGS[name];
  if (!config) {
    throw new Error(`unknown config '${name}'; known configs: ${listTrainConfigs().join(', ')}`);
  }
  return structuredClone(config) as TrainConfig;
}

function positiveInt(name: string, value: number | undefined, min = 1): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min)) {
    throw new Error(`${name} must be an integer >= ${min}, got ${value}`);
  }
}

/**
 * Applies command-line overrides without mutating `config`. `iters` also shortens the
 * schedule (the poly LR reaches its minimum at the new end) and clamps the eval/checkpoint
 * periods; `crop` sets a square crop and scales the resize base with it.
 */
export function applyConfigOverrides(options: {
  config: TrainConfig;
  overrides: TrainConfigOverrides;
}): TrainConfig {
  const { overrides: o } = options;
  positiveInt('iters', o.iters);
  positiveInt('batch', o.batch);
  positiveInt('crop', o.crop, 8);
  positiveInt('evalEvery', o.evalEvery, 0);
  positiveInt('checkpointEvery', o.checkpointEvery);
  positiveInt('logEvery', o.logEvery);
  const c = structuredClone(options.config) as TrainConfig;
  if (o.iters !== undefined) {
    c.schedule.maxIters = o.iters;
    c.checkpointEvery = Math.min(c.checkpointEvery, o.iters);
    c.evalEvery = c.evalEvery === 0 ? 0 : Math.min(c.evalEvery, o.iters);
    c.logEvery = Math.min(c.logEvery, o.iters);
  }
  if (o.batch !== undefined) c.data.batchSize = o.batch;
  if (o.crop !== undefined) {
    const k = o.crop / c.data.cropSize[0];
    c.data.cropSize = [o.crop, o.crop];
    c.data.resizeShort = Math.max(8, Math.round(c.data.resizeShort * k));
    c.data.resizeLong = Math.max(8, Math.round(c.data.resizeLong * k));
  }
  if (o.evalEvery !== undefined) c.evalEvery = o.evalEvery;
  if (o.checkpointEvery !== undefined) c.checkpointEvery = o.checkpointEvery;
  if (o.logEvery !== undefined) c.logEvery = o.logEvery;
  return c;
}

/** The config's mmseg `PolyLR` schedule (by iteration), built with core's `polyLr`. */
export function polyLrAt(options: { config: TrainConfig }): (iter: number) => number {
  const { optimizer, schedule } = options.config;
  return polyLr({
    baseLr: optimizer.lr,
    power: schedule.power,
    minLr: schedule.minLr,
    maxIters: schedule.maxIters,
  });
}
