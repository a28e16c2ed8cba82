import '../register.js';
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_BACKENDS, useBackend } from '../backend/test-backends.test-helper.js';
import { maxPool2d } from '../ops/max-pool.js';
import { torchPadding } from '../ops/padding.js';
import { resizeBilinear } from '../ops/resize-bilinear.js';
import { relativeError } from './reference.test-helper.js';

// Goldens from PyTorch 1.13 (scripts/gen_ops_golden.py): F.conv2d (dilated, strided,
// depthwise), F.interpolate(bilinear), F.max_pool2d, each with loss = Σ op(x)·r.
interface GoldenCase {
  name: string;
  op: 'conv2d' | 'depthwise' | 'resize' | 'maxpool';
  xShape: number[];
  x: number[];
  wShape?: number[];
  w?: number[];
  yShape: number[];
  r: number[];
  y: number[];
  dx: number[];
  dw?: number[];
  stride?: [number, number];
  padding?: [number, number];
  dilation?: [number, number];
  kernel?: [number, number];
  size?: [number, number];
  alignCorners?: boolean;
}

const golden = JSON.parse(
  fs.readFileSync(new URL('./fixtures/ops-golden.json', import.meta.url), 'utf8'),
) as {
  cases: GoldenCase[];
};

function op(c: GoldenCase): (x: tf.Tensor4D, w?: tf.Tensor4D) => tf.Tensor4D {
  switch (c.op) {
    case 'conv2d':
      return (x, w) =>
        tf.conv2d(
          x,
          w as tf.Tensor4D,
          c.stride as [number, number],
          torchPadding(c.padding as [number, number]),
          'NHWC',
          c.dilation,
        );
    case 'depthwise':
      return (x, w) =>
        tf.depthwiseConv2d(
          x,
          w as tf.Tensor4D,
          c.stride as [number, number],
          torchPadding(c.padding as [number, number]),
          'NHWC',
          c.dilation,
        );
    case 'resize':
      return (x) =>
        resizeBilinear({ x, size: c.size as [number, number], alignCorners: c.alignCorners });
    case 'maxpool':
      return (x) =>
        maxPool2d({
          x,
          kernelSize: c.kernel as [number, number],
          stride: c.stride,
          padding: c.padding,
        });
  }
}

describe.each(TEST_BACKENDS)('PyTorch goldens on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('has every case', () => {
    expect(golden.cases.length).toBe(11);
  });

  it.each(golden.cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const f = op(c);
    const x = tf.tensor4d(c.x, c.xShape as [number, number, number, number]);
    const w = c.w ? tf.tensor4d(c.w, c.wShape as [number, number, number, number]) : undefined;
    const r = tf.tensor(c.r, c.yShape);
    const y = f(x, w);
    const loss = (a: tf.Tensor, b?: tf.Tensor) =>
      tf.sum(tf.mul(f(a as tf.Tensor4D, b as tf.Tensor4D | undefined), r));
    const grads = w ? tf.grads(loss)([x, w]) : [tf.grad((a: tf.Tensor) => loss(a))(x)];
    expect(y.shape).toEqual(c.yShape);
    const tol = c.op === 'maxpool' ? 1e-6 : 1e-4;
    expect(relativeError(await y.data(), c.y)).toBeLessThanOrEqual(tol);
    expect(relativeError(await (grads[0] as tf.Tensor).data(), c.dx)).toBeLessThanOrEqual(tol);
    if (c.dw)
      expect(relativeError(await (grads[1] as tf.Tensor).data(), c.dw)).toBeLessThanOrEqual(tol);
    tf.dispose([x, r, y, ...grads, ...(w ? [w] : [])]);
  });
});
