// Dropping kernel taps that only read padding must not change a conv: values and gradients
// (wrt input and kernel) of the layers' cropped path equal the full dilated conv's.
import '../register.js';
import { expectNoTensorLeak } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_BACKENDS, useBackend } from '../backend/test-backends.test-helper.js';
import { Conv2d } from '../layers/conv2d.js';
import { DepthwiseConv2d } from '../layers/depthwise-conv2d.js';
import { cropConvTaps } from './conv-taps.js';
import { torchPadding } from './padding.js';

describe('cropConvTaps', () => {
  it('keeps only the centre tap when every other tap lands in the padding (ASPP d36 on 32x32)', () => {
    expect(
      cropConvTaps({
        inSize: [32, 32],
        kernelSize: [3, 3],
        stride: [1, 1],
        padding: [36, 36],
        dilation: [36, 36],
      }),
    ).toEqual({
      begin: [1, 1],
      size: [1, 1],
      pad: [
        [0, 0],
        [0, 0],
        [0, 0],
        [0, 0],
      ],
      dilation: [1, 1],
    });
  });

  it('returns null when every tap can reach a pixel (d24 on 32x32: offset 24 < 32)', () => {
    const geometry = {
      kernelSize: [3, 3],
      stride: [1, 1],
      padding: [24, 24],
      dilation: [24, 24],
    } as const;
    expect(cropConvTaps({ inSize: [32, 32], ...geometry })).toBeNull();
    expect(cropConvTaps({ inSize: [25, 25], ...geometry })).toBeNull();
    expect(cropConvTaps({ inSize: [24, 24], ...geometry })).not.toBeNull();
  });

  it('crops each axis on its own', () => {
    expect(
      cropConvTaps({
        inSize: [16, 32],
        kernelSize: [3, 3],
        stride: [1, 1],
        padding: [24, 24],
        dilation: [24, 24],
      }),
    ).toEqual({
      begin: [1, 0],
      size: [1, 3],
      pad: [
        [0, 0],
        [0, 0],
        [24, 24],
        [0, 0],
      ],
      dilation: [1, 24],
    });
  });

  it('keeps the inner taps of a wider kernel with reduced padding', () => {
    // 5 taps at offsets -8,-4,0,4,8 on 6 pixels: the outer two never reach one.
    expect(
      cropConvTaps({
        inSize: [6, 6],
        kernelSize: [5, 5],
        stride: [1, 1],
        padding: [8, 8],
        dilation: [4, 4],
      }),
    ).toEqual({
      begin: [1, 1],
      size: [3, 3],
      pad: [
        [0, 0],
        [4, 4],
        [4, 4],
        [0, 0],
      ],
      dilation: [4, 4],
    });
  });
});

interface Case {
  name: string;
  kind: 'conv' | 'depthwise';
  inSize: [number, number];
  kernelSize: number;
  stride: number;
  padding: number;
  dilation: number;
  crops: boolean;
}

const CASES: Case[] = [
  {
    name: '3x3 d6 on 5x5 (centre only)',
    kind: 'conv',
    inSize: [5, 5],
    kernelSize: 3,
    stride: 1,
    padding: 6,
    dilation: 6,
    crops: true,
  },
  {
    name: '3x3 d4 on 3x9 (height only)',
    kind: 'conv',
    inSize: [3, 9],
    kernelSize: 3,
    stride: 1,
    padding: 4,
    dilation: 4,
    crops: true,
  },
  {
    name: '5x5 d4 on 6x6 (inner 3x3)',
    kind: 'conv',
    inSize: [6, 6],
    kernelSize: 5,
    stride: 1,
    padding: 8,
    dilation: 4,
    crops: true,
  },
  {
    name: '3x3 d2 on 6x6 (no crop)',
    kind: 'conv',
    inSize: [6, 6],
    kernelSize: 3,
    stride: 1,
    padding: 2,
    dilation: 2,
    crops: false,
  },
  {
    name: '3x3 s2 on 7x7 (no crop)',
    kind: 'conv',
    inSize: [7, 7],
    kernelSize: 3,
    stride: 2,
    padding: 1,
    dilation: 1,
    crops: false,
  },
  {
    name: 'depthwise 3x3 d6 on 5x5 (centre only)',
    kind: 'depthwise',
    inSize: [5, 5],
    kernelSize: 3,
    stride: 1,
    padding: 6,
    dilation: 6,
    crops: true,
  },
  {
    name: 'depthwise 5x5 d4 on 6x6 (inner 3x3)',
    kind: 'depthwise',
    inSize: [6, 6],
    kernelSize: 5,
    stride: 1,
    padding: 8,
    dilation: 4,
    crops: true,
  },
  {
    name: 'depthwise 3x3 d2 on 6x6 (no crop)',
    kind: 'depthwise',
    inSize: [6, 6],
    kernelSize: 3,
    stride: 1,
    padding: 2,
    dilation: 2,
    crops: false,
  },
];

function maxRelDiff(a: tf.Tensor, b: tf.Tensor): number {
  const av = a.dataSync();
  const bv = b.dataSync();
  expect(av.length).toBe(bv.length);
  let m = 0;
  let scale = 0;
  for (let i = 0; i < av.length; i++) {
    m = Math.max(m, Math.abs(av[i]! - bv[i]!));
    scale = Math.max(scale, Math.abs(bv[i]!));
  }
  expect(scale).toBeGreaterThan(0);
  return m / scale;
}

describe.each(TEST_BACKENDS)('cropped conv taps equal the full conv on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each(CASES)('$name', async (c) => {
    const [h, w] = c.inSize;
    const cin = 3;
    const mult = 2;
    const k = c.kernelSize;
    const geometry = {
      kernelSize: [k, k] as [number, number],
      stride: [c.stride, c.stride] as [number, number],
      padding: [c.padding, c.padding] as [number, number],
      dilation: [c.dilation, c.dilation] as [number, number],
    };
    const crop = cropConvTaps({ inSize: c.inSize, ...geometry });
    expect(crop != null).toBe(c.crops);

    const layer =
      c.kind === 'conv'
        ? new Conv2d({
            name: 'c',
            filters: 4,
            kernelSize: k,
            stride: c.stride,
            padding: c.padding,
            dilation: c.dilation,
            useBias: false,
          })
        : new DepthwiseConv2d({
            name: 'c',
            kernelSize: k,
            stride: c.stride,
            padding: c.padding,
            dilation: c.dilation,
            depthMultiplier: mult,
          });
    layer.build([2, h, w, cin]);
    const kernel = layer.kernel!.read() as tf.Variable;
    const kernelInit = tf.randomNormal(kernel.shape, 0, 1, 'float32', 7);
    kernel.assign(kernelInit);
    const x = tf.variable(tf.randomNormal([2, h, w, cin], 0, 1, 'float32', 3));
    const full = (): tf.Tensor4D => {
      const x4 = x as tf.Tensor4D;
      const k4 = kernel as tf.Tensor as tf.Tensor4D;
      const pad = torchPadding(c.padding);
      return c.kind === 'conv'
        ? tf.conv2d(x4, k4, c.stride, pad, 'NHWC', c.dilation)
        : tf.depthwiseConv2d(x4, k4, c.stride, pad, 'NHWC', c.dilation);
    };
    const yFull = full();
    const r = tf.randomNormal(yFull.shape, 0, 1, 'float32', 5);
    const loss = (f: () => tf.Tensor) => () => tf.sum(tf.mul(f(), r)) as tf.Scalar;
    const cropped = tf.variableGrads(
      loss(() => layer.apply(x) as tf.Tensor),
      [x, kernel],
    );
    const reference = tf.variableGrads(loss(full), [x, kernel]);
    const yCropped = layer.apply(x) as tf.Tensor;

    expect(yCropped.shape).toEqual(yFull.shape);
    expect(maxRelDiff(yCropped, yFull)).toBeLessThan(1e-5);
    expect(maxRelDiff(cropped.grads[x.name]!, reference.grads[x.name]!)).toBeLessThan(1e-5);
    const dkCropped = cropped.grads[kernel.name]!;
    const dkFull = reference.grads[kernel.name]!;
    expect(maxRelDiff(dkCropped, dkFull)).toBeLessThan(1e-5);
    if (crop != null) {
      // The dropped taps have exactly zero gradient in the full conv too (they only read zeros).
      const mask = tf.pad(
        tf.zeros([crop.size[0], crop.size[1], dkFull.shape[2]!, dkFull.shape[3]!]),
        [
          [crop.begin[0], k - crop.begin[0] - crop.size[0]],
          [crop.begin[1], k - crop.begin[1] - crop.size[1]],
          [0, 0],
          [0, 0],
        ],
        1,
      );
      expect(tf.max(tf.abs(tf.mul(dkFull, mask))).dataSync()[0]).toBe(0);
      expect(tf.max(tf.abs(tf.mul(dkCropped, mask))).dataSync()[0]).toBe(0);
      tf.dispose(mask);
    }
    await expectNoTensorLeak(() => layer.apply(x), { label: `${c.kind} cropped call` });
    tf.dispose([kernelInit, x, yFull, r, yCropped, cropped.value, reference.value]);
    tf.dispose(Object.values(cropped.grads));
    tf.dispose(Object.values(reference.grads));
    for (const v of layer.weights) v.dispose();
  });
});
