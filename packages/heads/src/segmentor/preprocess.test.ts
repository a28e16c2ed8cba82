import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  arrayToNhwc,
  detectArrayLayout,
  nhwcToNchwData,
  nhwcToNchwDataAsync,
  overlayLabels,
} from './preprocess.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('input arrays', () => {
  it('detects NCHW and NHWC from the shape', () => {
    expect(detectArrayLayout({ shape: [1, 3, 5, 7] })).toBe('NCHW');
    expect(detectArrayLayout({ shape: [1, 5, 7, 3] })).toBe('NHWC');
    expect(detectArrayLayout({ shape: [3, 5, 7] })).toBe('NCHW');
    expect(detectArrayLayout({ shape: [5, 7, 3] })).toBe('NHWC');
    expect(() => detectArrayLayout({ shape: [1, 4, 5, 6] })).toThrow(/has no 3-channel axis/);
    expect(() => detectArrayLayout({ shape: [3, 5] })).toThrow(/rank 3 or 4/);
  });

  it('converts NCHW data to NHWC and back', async () => {
    // [1, 3, 1, 2]: channel c, column w -> value 10c + w
    const data = Float32Array.from([0, 1, 10, 11, 20, 21]);
    const t = arrayToNhwc({ data, shape: [1, 3, 1, 2] });
    expect(t.shape).toEqual([1, 1, 2, 3]);
    expect(Array.from(t.dataSync())).toEqual([0, 10, 20, 1, 11, 21]);
    const back = nhwcToNchwData(t);
    expect(back.shape).toEqual([1, 3, 1, 2]);
    expect(Array.from(back.data)).toEqual(Array.from(data));
    expect(await nhwcToNchwDataAsync(t)).toEqual(back);
    t.dispose();
  });
});

describe('images', () => {
  it('blends palette colours', () => {
    const out = overlayLabels({
      rgb: Uint8Array.from([100, 100, 100, 0, 0, 0]),
      labels: Uint8Array.from([0, 1]),
      palette: [0, 0, 0, 200, 50, 255],
    });
    expect(Array.from(out)).toEqual([50, 50, 50, 100, 25, 128]);
  });
});
