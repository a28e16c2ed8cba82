import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { expectNoTensorLeak } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { MaxPool2d } from './max-pool2d.js';

interface Arr {
  shape: number[];
  data: number[];
}
interface PoolCase {
  name: string;
  kernelSize: number;
  stride: number;
  padding: number;
  x: Arr;
  y: Arr;
}
const golden = JSON.parse(
  readFileSync(new URL('./fixtures/layers-golden.json', import.meta.url), 'utf8'),
) as { maxpool: PoolCase[] };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('MaxPool2d', () => {
  for (const c of golden.maxpool) {
    it(`matches torch max_pool2d (${c.name})`, () => {
      const layer = new MaxPool2d({
        name: 'backbone.maxpool',
        kernelSize: c.kernelSize,
        stride: c.stride,
        padding: c.padding,
      });
      const x = tf.tensor(c.x.data, c.x.shape);
      const y = layer.apply(x) as tf.Tensor;
      expect(y.shape).toEqual(c.y.shape);
      expect(layer.computeOutputShape(c.x.shape)).toEqual(c.y.shape);
      // max-pool copies values: exact equality with the float32 inputs
      expect(Array.from(y.dataSync())).toEqual(Array.from(new Float32Array(c.y.data)));
      tf.dispose([x, y]);
    });
  }

  it('stride defaults to kernelSize; config round-trips', () => {
    const layer = new MaxPool2d({ name: 'p', kernelSize: 2 });
    expect(layer.stride).toEqual([2, 2]);
    const copy = MaxPool2d.fromConfig(MaxPool2d, layer.getConfig()) as MaxPool2d;
    expect(copy.getConfig()).toEqual(layer.getConfig());
  });

  it('does not leak tensors in call', async () => {
    const layer = new MaxPool2d({ name: 'p', kernelSize: 3, stride: 2, padding: 1 });
    const x = tf.randomNormal([1, 5, 5, 2]);
    await expectNoTensorLeak(() => layer.apply(x), { label: 'MaxPool2d.call' });
    x.dispose();
  });

  it('rejects padding above half the kernel (PyTorch rule)', () => {
    expect(() => new MaxPool2d({ name: 'p', kernelSize: 3, padding: 2 })).toThrow(
      /padding \[2,2\] must be at most half of kernelSize \[3,3\]/,
    );
  });
});
