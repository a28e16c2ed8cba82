import { describe, expect, it } from 'vitest';
import { resolveTrainConfig } from './config.js';
import { applyConfigSets, parseConfigSet, TRAIN_CONFIG_KEYS } from './config-set.js';
import { DEMO, REPORT } from './test-configs.test-helper.js';

const set = (...sets: string[]) => applyConfigSets({ config: REPORT, sets });

describe('--set key=value on a TrainConfig', () => {
  it('parses dotted keys by type: numbers, booleans, lists, choices, null', () => {
    const c = set(
      'optimizer.lr=0.02',
      'optimizer.nesterov=true',
      'schedule.maxIters=100',
      'model.cropSize=[256, 256]',
      'data.pipeline.resize.scale=1024,256',
      'loss.reduction=non-ignored',
      'loss.classWeights=null',
      'data.pipeline.photoMetric.hueDelta=9',
      'backend=wasm',
    );
    expect(c.optimizer).toEqual({ lr: 0.02, momentum: 0.9, weightDecay: 5e-4, nesterov: true });
    expect(c.schedule.maxIters).toBe(100);
    expect(c.model.cropSize).toEqual([256, 256]);
    expect(c.data.pipeline.resize).toEqual({ scale: [1024, 256], ratioRange: [0.5, 2] });
    expect(c.loss).toEqual({ classWeights: null, reduction: 'non-ignored' });
    expect(c.data.pipeline.photoMetric).toEqual({ hueDelta: 9 });
    expect(c.backend).toBe('wasm');
    // the source is untouched and the result resolves
    expect(REPORT.optimizer.lr).toBe(0.01);
    expect(resolveTrainConfig(c).spec.test.scale).toEqual([1024, 256]);
  });

  it('sets a nested object from JSON (merged), and an object where the config has null', () => {
    const c = applyConfigSets({
      config: DEMO,
      sets: ['data.pipeline.photoMetric={"brightnessDelta": 16}', 'model={"numClasses": 5}'],
    });
    expect(c.data.pipeline.photoMetric).toEqual({ brightnessDelta: 16 });
    expect(c.model).toEqual({ name: 'deeplabv3plus_r18-d16-thin', numClasses: 5 });
    expect(parseConfigSet('model.name=deeplabv3plus_r50-d8@x0.25').value).toBe(
      'deeplabv3plus_r50-d8@x0.25',
    );
  });

  it('names the key and what it allows when a value or a key is wrong', () => {
    expect(() => set('optimizer.lr=fast')).toThrow(
      '--set optimizer.lr=fast: optimizer.lr must be a number > 0, got "fast"',
    );
    expect(() => set('optimizer.lr=0')).toThrow(/optimizer.lr must be a number > 0, got "0"/);
    expect(() => set('loss.reduction=avg')).toThrow(
      'loss.reduction must be one of mmseg, non-ignored, weight-sum, sum, none, got "avg"',
    );
    expect(() => set('schedule.maxIters=2.5')).toThrow(
      'schedule.maxIters must be an integer >= 1, got "2.5"',
    );
    expect(() => set('optimizer.nesterov=yes')).toThrow(/must be true or false, got "yes"/);
    expect(() => set('model.cropSize=256')).toThrow(
      /model.cropSize must be a list of 2 integers >= 8/,
    );
    expect(() => set('optimizer.lrr=1')).toThrow(
      "--set optimizer.lrr=1: unknown key 'optimizer.lrr'; optimizer has lr, momentum, weightDecay, weightDecayMode, nesterov",
    );
    expect(() => set('optimiser.lr=1')).toThrow(
      /unknown key 'optimiser.lr'; the config has name, description, model, data, loss, optimizer, schedule/,
    );
    expect(() => set('model.name=unet')).toThrow(/unknown segmentor 'unet'; known: deeplabv3plus/);
    expect(() => set('schedule.maxIters')).toThrow(/'schedule.maxIters' is not key=value/);
    expect(() => set('data.pipeline.photoMetric={"hue": 1}')).toThrow(
      /unknown key 'data.pipeline.photoMetric.hue'; data.pipeline.photoMetric has brightnessDelta/,
    );
  });

  it('covers every key of the shipped configs', () => {
    const keys = (o: object, prefix = ''): string[] =>
      Object.entries(o).flatMap(([k, v]) => {
        const key = `${prefix}${k}`;
        if (v !== null && typeof v === 'object' && !Array.isArray(v))
          return [key, ...keys(v, `${key}.`)];
        return [key];
      });
    for (const config of [REPORT, DEMO]) {
      for (const key of keys(config)) expect(TRAIN_CONFIG_KEYS[key], key).toBeDefined();
    }
  });
});
