import '@tensorflow/tfjs-backend-cpu';
import { expectNoTensorLeak } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { ResizeBilinear } from './resize-bilinear.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function close(a: ArrayLike<number>, b: number[], tol = 1e-6): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < b.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(tol);
}

describe('ResizeBilinear', () => {
  it('upsamples 1x2 -> 1x4 like F.interpolate(align_corners=False)', () => {
    // PyTorch: F.interpolate(tensor([[[[0., 4.]]]]), size=(1, 4), mode='bilinear',
    // align_corners=False) = [0, 1, 3, 4] (half-pixel centres, edges clamped).
    const layer = new ResizeBilinear({ name: 'r', size: [1, 4] });
    const x = tf.tensor4d([0, 4], [1, 1, 2, 1]);
    const y = layer.apply(x) as tf.Tensor;
    close(y.dataSync(), [0, 1, 3, 4]);
    tf.dispose([x, y]);
  });

  it('align_corners=True maps the corners onto each other', () => {
    // F.interpolate([0, 3], size=4, align_corners=True) = [0, 1, 2, 3]
    const layer = new ResizeBilinear({ name: 'r', size: [1, 4], alignCorners: true });
    const x = tf.tensor4d([0, 3], [1, 1, 2, 1]);
    const y = layer.apply(x) as tf.Tensor;
    close(y.dataSync(), [0, 1, 2, 3]);
    tf.dispose([x, y]);
  });

  it('apply([x, ref]) resizes to the reference size, symbolically and eagerly', () => {
    const layer = new ResizeBilinear({ name: 'decode_head.resize' });
    const x = tf.ones([2, 3, 3, 5]);
    const ref = tf.zeros([2, 7, 6, 1]);
    const y = layer.apply([x, ref]) as tf.Tensor;
    expect(y.shape).toEqual([2, 7, 6, 5]);
    close(y.dataSync().slice(0, 10), new Array(10).fill(1));
    const sx = tfl.input({ shape: [null, null, 5] });
    const sref = tfl.input({ shape: [null, null, 3] });
    const sy = new ResizeBilinear({ name: 'r2' }).apply([sx, sref]) as tfl.SymbolicTensor;
    expect(sy.shape).toEqual([null, null, null, 5]);
    expect(
      layer.computeOutputShape([
        [2, 3, 3, 5],
        [2, 7, 6, 1],
      ]),
    ).toEqual([2, 7, 6, 5]);
    tf.dispose([x, ref, y]);
  });

  it('without size or reference the error says what to pass', () => {
    const x = tf.ones([1, 2, 2, 1]);
    expect(() => new ResizeBilinear({ name: 'r' }).apply(x)).toThrow(/pass \[x, ref\]/);
    expect(() => new ResizeBilinear({ name: 'r', size: [0, 2] })).toThrow(/size must be/);
    x.dispose();
  });

  it('config round-trips and the call does not leak', async () => {
    const layer = new ResizeBilinear({ name: 'r', size: [5, 3], alignCorners: true });
    const copy = ResizeBilinear.fromConfig(ResizeBilinear, layer.getConfig()) as ResizeBilinear;
    expect(copy.getConfig()).toEqual(layer.getConfig());
    const x = tf.randomNormal([1, 2, 2, 3]);
    await expectNoTensorLeak(() => layer.apply(x), { label: 'ResizeBilinear.call' });
    x.dispose();
  });
});
