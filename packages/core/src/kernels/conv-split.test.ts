import '../register.js';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { useBackend } from '../backend/test-backends.test-helper.js';
import { randomArray, relativeError } from '../gradients/reference.test-helper.js';
import { CONV_SPLIT, channelGroups } from './conv-split.js';

const DEFAULTS = { ...CONV_SPLIT };
afterEach(() => Object.assign(CONV_SPLIT, DEFAULTS));

type Shape4 = [number, number, number, number];
interface Case {
  x: Shape4;
  f: Shape4;
  stride: number;
  pad: 'same' | 'valid';
  dilation: number;
}

const size = (s: Shape4) => s.reduce((a, b) => a * b, 1);

async function conv(backend: 'cpu' | 'wasm', c: Case): Promise<Float32Array> {
  await useBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(Float32Array.from(randomArray(size(c.x), 1)), c.x);
    const f = tf.tensor4d(Float32Array.from(randomArray(size(c.f), 2)), c.f);
    return tf.conv2d(x, f, c.stride, c.pad, 'NHWC', c.dilation).dataSync() as Float32Array;
  });
}

describe('wasm Conv2D split along input channels', () => {
  const CASES: Case[] = [
    { x: [2, 9, 8, 64], f: [3, 3, 64, 5], stride: 1, pad: 'same', dilation: 1 },
    { x: [1, 10, 9, 48], f: [3, 3, 48, 4], stride: 2, pad: 'valid', dilation: 1 },
    { x: [1, 11, 11, 32], f: [3, 3, 32, 3], stride: 1, pad: 'same', dilation: 2 },
    { x: [2, 6, 6, 32], f: [1, 1, 32, 7], stride: 1, pad: 'valid', dilation: 1 },
  ];
  it.each(CASES)(
    'matches cpu: x $x, filter $f, stride $stride, $pad, dilation $dilation',
    async (c) => {
      // split every input into 4 slices
      Object.assign(CONV_SPLIT, {
        minInputFloats: 1,
        sliceFloats: Math.ceil(size(c.x) / 4),
        minSliceChannels: 8,
      });
      expect(channelGroups(c.x)).toBe(4);
      const cpu = await conv('cpu', c);
      const before = tf.memory().numTensors;
      const wasm = await conv('wasm', c);
      expect(tf.memory().numTensors).toBe(before);
      expect(relativeError(wasm, cpu)).toBeLessThan(1e-5);
    },
  );

  it('splits only inputs beyond the caches, into the fewest slices that divide the channels', () => {
    // DeepLabV3+'s bottleneck input: 256x256 batch 2 -> 4 x 640 channels; 512x512 batch 1 -> 8
    expect(channelGroups([2, 32, 32, 2560])).toBe(4);
    expect(channelGroups([1, 64, 64, 2560])).toBe(8);
    // 128x128 batch 2 (5 MB), the aux head's 1024 channels at 256x256: one conv
    expect(channelGroups([2, 16, 16, 2560])).toBe(1);
    expect(channelGroups([2, 32, 32, 1024])).toBe(1);
    // no divisor leaves slices of at least minSliceChannels: one conv
    expect(channelGroups([1, 512, 512, 17])).toBe(1);
  });
});
