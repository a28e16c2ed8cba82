import '@tensorflow/tfjs-backend-cpu';
import { expectNoTensorLeak } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { GlobalAvgPool2d } from './global-avg-pool2d.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('GlobalAvgPool2d', () => {
  it('averages H and W per channel and keeps dims', () => {
    const layer = new GlobalAvgPool2d({ name: 'decode_head.image_pool.0' });
    // channel 0: 1..4 -> 2.5; channel 1: 10, 20, 30, 40 -> 25
    const x = tf.tensor4d([1, 10, 2, 20, 3, 30, 4, 40], [1, 2, 2, 2]);
    const y = layer.apply(x) as tf.Tensor;
    expect(y.shape).toEqual([1, 1, 1, 2]);
    expect(Array.from(y.dataSync())).toEqual([2.5, 25]);
    expect(layer.computeOutputShape([null, 7, 9, 4])).toEqual([null, 1, 1, 4]);
    tf.dispose([x, y]);
  });

  it('config round-trips and the call does not leak', async () => {
    const layer = new GlobalAvgPool2d({ name: 'g' });
    const copy = GlobalAvgPool2d.fromConfig(GlobalAvgPool2d, layer.getConfig());
    expect(copy.getConfig()).toEqual(layer.getConfig());
    const x = tf.randomNormal([2, 3, 3, 4]);
    await expectNoTensorLeak(() => layer.apply(x), { label: 'GlobalAvgPool2d.call' });
    x.dispose();
  });
});
