import '@tensorflow/tfjs-backend-cpu';
import { expectNoTensorLeak } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Dropout2d } from './dropout2d.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('Dropout2d', () => {
  it('is the identity in eval', () => {
    const layer = new Dropout2d({ name: 'decode_head.dropout', rate: 0.5 });
    const x = tf.randomNormal([2, 3, 3, 4]);
    const y = layer.apply(x) as tf.Tensor;
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
    tf.dispose([x, y]);
  });

  it('in training zeroes whole channels and scales the rest by 1/(1-rate)', () => {
    const layer = new Dropout2d({ name: 'd', rate: 0.25, seed: 42 });
    const n = 8;
    const c = 64;
    const x = tf.ones([n, 2, 3, c]);
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    const v = y.dataSync();
    let dropped = 0;
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) {
        const vals: number[] = [];
        for (let i = 0; i < 6; i++) vals.push(v[b * 6 * c + i * c + ch]!);
        // one value per (sample, channel): all 0 or all 1/0.75
        expect(new Set(vals).size).toBe(1);
        expect([0, 1 / 0.75].some((e) => Math.abs(vals[0]! - e) < 1e-6)).toBe(true);
        if (vals[0] === 0) dropped++;
      }
    }
    // 512 Bernoulli(0.25) draws: mean 128, sd ~9.8
    expect(dropped).toBeGreaterThan(128 - 50);
    expect(dropped).toBeLessThan(128 + 50);
    tf.dispose([x, y]);
  });

  it('draws call k with seed + step, and setting step replays a mask', () => {
    const layer = new Dropout2d({ name: 'd', rate: 0.5, seed: 7 });
    const x = tf.ones([2, 1, 1, 32]);
    const masks = [0, 1, 2].map(() => {
      const y = layer.apply(x, { training: true }) as tf.Tensor;
      const v = Array.from(y.dataSync());
      y.dispose();
      return v;
    });
    expect(layer.step).toBe(3);
    expect(masks[0]).not.toEqual(masks[1]);
    layer.step = 1;
    const again = layer.apply(x, { training: true }) as tf.Tensor;
    expect(Array.from(again.dataSync())).toEqual(masks[1]);
    expect(layer.step).toBe(2);
    tf.dispose([x, again]);
  });

  it('validates rate and round-trips config', () => {
    expect(() => new Dropout2d({ name: 'd', rate: 1 })).toThrow(
      /rate must be a number in \[0, 1\), got 1/,
    );
    expect(() => new Dropout2d({ name: 'd', rate: -0.1 })).toThrow(/got -0.1/);
    const layer = new Dropout2d({ name: 'd', rate: 0.1 });
    const copy = Dropout2d.fromConfig(Dropout2d, layer.getConfig());
    expect(copy.getConfig()).toEqual(layer.getConfig());
  });

  it('does not leak tensors (training and eval)', async () => {
    const layer = new Dropout2d({ name: 'd', rate: 0.5 });
    const x = tf.randomNormal([1, 2, 2, 3]);
    await expectNoTensorLeak(() => layer.apply(x, { training: true }), {
      label: 'Dropout2d train',
    });
    await expectNoTensorLeak(() => layer.apply(x), { label: 'Dropout2d eval' });
    x.dispose();
  });
});
