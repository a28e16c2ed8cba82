import '../register.js';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { resizeBilinear } from './resize-bilinear.js';

describe('resizeBilinear', () => {
  it('uses half-pixel centres by default (PyTorch align_corners=False)', async () => {
    await tf.setBackend('cpu');
    // PyTorch: F.interpolate(tensor([[[[1., 2.]]]]), size=(1, 4), mode='bilinear') = [1, 1.25, 1.75, 2]
    const x = tf.tensor4d([1, 2], [1, 1, 2, 1]);
    const y = resizeBilinear({ x, size: [1, 4] });
    expect([...(await y.data())]).toEqual([1, 1.25, 1.75, 2]);
    const yc = resizeBilinear({ x, size: [1, 4], alignCorners: true });
    const yd = [...(await yc.data())];
    expect(yd.map((v) => Math.round(v * 1e5) / 1e5)).toEqual([1, 1.33333, 1.66667, 2]);
    tf.dispose([x, y, yc]);
  });

  it('rejects bad options naming the value', () => {
    const x = tf.zeros([1, 2, 2, 1]) as tf.Tensor4D;
    expect(() => resizeBilinear({ x, size: [0, 2] })).toThrow(
      /size must be \[height, width\].*\[0,2\]/,
    );
    expect(() =>
      resizeBilinear({ x: tf.zeros([2, 2]) as unknown as tf.Tensor4D, size: [2, 2] }),
    ).toThrow(/rank 2/);
    expect(() =>
      resizeBilinear({ x, size: [2, 2], alignCorners: 'yes' as unknown as boolean }),
    ).toThrow(/true or false, got "yes"/);
    x.dispose();
  });
});
