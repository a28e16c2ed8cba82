import '../register.js';
import { expectNoTensorLeak } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_BACKENDS, useBackend } from '../backend/test-backends.test-helper.js';
import {
  type ConvCase,
  type ConvKind,
  convCaseErrors,
  convLabel,
  type PadCase,
} from './gradient-cases.test-helper.js';

type Pair = [number, number];
const TOL = 1e-4;

const CONV_CASES: ConvCase[] = [];
for (const k of [1, 3]) {
  for (const s of [
    [1, 1],
    [2, 2],
    [2, 1],
  ] as Pair[]) {
    for (const pad of ['same', 'valid', { top: 1, bottom: 1, left: 1, right: 0 }] as PadCase[]) {
      CONV_CASES.push({
        xShape: [2, 7, 6, 3],
        kernel: [k, k],
        strides: s,
        dilations: [1, 1],
        pad,
        channels: 4,
      });
    }
  }
}
for (const d of [
  [2, 2],
  [2, 1],
  [3, 3],
] as Pair[]) {
  for (const pad of ['same', 'valid', { top: 2, bottom: 2, left: 2, right: 2 }] as PadCase[]) {
    CONV_CASES.push({
      xShape: [2, 7, 8, 3],
      kernel: [3, 3],
      strides: [1, 1],
      dilations: d,
      pad,
      channels: 4,
    });
  }
}
// ASPP-like: rate larger than the feature map, explicit symmetric padding = rate.
CONV_CASES.push({
  xShape: [1, 9, 10, 2],
  kernel: [3, 3],
  strides: [1, 1],
  dilations: [12, 12],
  pad: { top: 12, bottom: 12, left: 12, right: 12 },
  channels: 3,
});
CONV_CASES.push({
  xShape: [1, 8, 9, 2],
  kernel: [2, 3],
  strides: [1, 1],
  dilations: [2, 3],
  pad: 'same',
  channels: 2,
});

const DEPTHWISE_CASES: ConvCase[] = [];
for (const mult of [1, 2]) {
  for (const d of [1, 2, 3]) {
    for (const pad of ['same', 'valid', { top: d, bottom: d, left: d, right: d }] as PadCase[]) {
      DEPTHWISE_CASES.push({
        xShape: [2, 7, 8, 3],
        kernel: [3, 3],
        strides: [1, 1],
        dilations: [d, d],
        pad,
        channels: mult,
      });
    }
  }
  for (const s of [
    [2, 2],
    [2, 1],
  ] as Pair[]) {
    for (const pad of ['same', 'valid', { top: 1, bottom: 1, left: 1, right: 1 }] as PadCase[]) {
      DEPTHWISE_CASES.push({
        xShape: [2, 7, 8, 3],
        kernel: [3, 3],
        strides: s,
        dilations: [1, 1],
        pad,
        channels: mult,
      });
    }
  }
}
DEPTHWISE_CASES.push({
  xShape: [1, 6, 7, 4],
  kernel: [3, 3],
  strides: [1, 1],
  dilations: [12, 12],
  pad: { top: 12, bottom: 12, left: 12, right: 12 },
  channels: 1,
});

async function checkCase(kind: ConvKind, c: ConvCase, seed: number) {
  const errors = await convCaseErrors(kind, c, seed);
  expect(errors.y).toBeLessThanOrEqual(TOL);
  expect(errors.dx).toBeLessThanOrEqual(TOL);
  expect(errors.dfilter).toBeLessThanOrEqual(TOL);
}

describe.each(TEST_BACKENDS)('conv gradients on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each(CONV_CASES.map((c, i) => [convLabel('conv2d', c), c, i] as const))(
    '%s matches the float64 reference',
    async (_name, c, i) => {
      await checkCase('conv2d', c, 100 + i * 7);
    },
  );

  it.each(DEPTHWISE_CASES.map((c, i) => [convLabel('depthwise', c), c, i] as const))(
    '%s matches the float64 reference',
    async (_name, c, i) => {
      await checkCase('depthwise', c, 500 + i * 7);
    },
  );

  it('dilated gradients leak no tensors', async () => {
    const x = tf.randomNormal([1, 6, 6, 2]) as tf.Tensor4D;
    const f = tf.randomNormal([3, 3, 2, 2]) as tf.Tensor4D;
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.add(
        tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same', 'NHWC', 2)),
        tf.sum(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same', 'NHWC', 3)),
      ),
    );
    await expectNoTensorLeak(() => g([x, f]), { label: 'dilated conv gradients' });
    tf.dispose([x, f]);
  });
});
