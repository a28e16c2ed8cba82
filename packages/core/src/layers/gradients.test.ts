// Layer gradients vs PyTorch autograd: d/d(x, weight) of sum(layer(x) * r). These paths need
// the gradient fixes that importing the package (../register.js) installs.
import '../register.js';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchNorm2d } from './batch-norm2d.js';
import { TEST_BACKENDS, useBackend } from '../backend/test-backends.test-helper.js';
import { loadStateDict } from '../state-dict/state-dict.js';
import { Conv2d } from './conv2d.js';
import { DepthwiseConv2d } from './depthwise-conv2d.js';
import { MaxPool2d } from './max-pool2d.js';
import { ResizeBilinear } from './resize-bilinear.js';

interface Arr {
  shape: number[];
  data: number[];
}
interface GradCase {
  name: string;
  kind: 'conv' | 'depthwise' | 'maxpool' | 'resize';
  x: Arr;
  r: Arr;
  y: Arr;
  dx: Arr;
  weightTorch?: Arr;
  dweightTorch?: Arr;
  stride?: number;
  padding?: number;
  dilation?: number;
  depthMultiplier?: number;
  kernelSize?: number;
  size?: [number, number];
  alignCorners?: boolean;
}
const bnGolden = (
  JSON.parse(readFileSync(new URL('./fixtures/layers-golden.json', import.meta.url), 'utf8')) as {
    batchnorm: Record<string, Arr> & { init: Record<string, Arr>; after: Record<string, Arr> };
  }
).batchnorm;
const cases = (
  JSON.parse(readFileSync(new URL('./fixtures/layers-golden.json', import.meta.url), 'utf8')) as {
    grads: GradCase[];
  }
).grads;

function maxRelErr(a: ArrayLike<number>, b: number[]): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    m = Math.max(m, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  return m / Math.max(s, 1e-12);
}

function makeLayer(c: GradCase): tfl.layers.Layer {
  const name = 'g';
  if (c.kind === 'conv') {
    const [o, , kh, kw] = c.weightTorch!.shape as number[];
    return new Conv2d({
      name,
      filters: o!,
      kernelSize: [kh!, kw!],
      stride: c.stride,
      padding: c.padding,
      dilation: c.dilation,
      useBias: false,
    });
  }
  if (c.kind === 'depthwise') {
    const [, , kh, kw] = c.weightTorch!.shape as number[];
    return new DepthwiseConv2d({
      name,
      kernelSize: [kh!, kw!],
      stride: c.stride,
      padding: c.padding,
      dilation: c.dilation,
      depthMultiplier: c.depthMultiplier,
    });
  }
  if (c.kind === 'maxpool') {
    return new MaxPool2d({ name, kernelSize: c.kernelSize!, stride: c.stride, padding: c.padding });
  }
  return new ResizeBilinear({ name, size: c.size, alignCorners: c.alignCorners });
}

describe.each(TEST_BACKENDS)('layer gradients match PyTorch autograd on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  for (const c of cases) {
    it(c.name, () => {
      const layer = makeLayer(c);
      layer.build(c.x.shape);
      if (c.weightTorch) {
        const entry = {
          dtype: 'F32' as const,
          shape: c.weightTorch.shape,
          data: new Float32Array(c.weightTorch.data),
        };
        const report = loadStateDict(layer, new Map([['g.weight', entry]]));
        expect(report.loaded).toEqual(['g.weight']);
      }
      const x = tf.tensor(c.x.data, c.x.shape);
      const r = tf.tensor(c.r.data, c.r.shape);
      const f = (input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input) as tf.Tensor, r));
      const y = layer.apply(x) as tf.Tensor;
      expect(maxRelErr(y.dataSync(), c.y.data)).toBeLessThan(1e-5);
      const dx = tf.grad(f)(x);
      expect(maxRelErr(dx.dataSync(), c.dx.data)).toBeLessThan(1e-5);
      if (c.weightTorch) {
        const kernel = layer.weights[0]!.read() as tf.Variable;
        const { value, grads } = tf.variableGrads(() => f(x) as tf.Scalar, [kernel]);
        // PyTorch layout of the kernel gradient, through the same state-dict rule
        const g = grads[kernel.name]!;
        const exported = tf.tidy(() => {
          const perm = c.kind === 'conv' ? [3, 2, 0, 1] : [2, 3, 0, 1];
          return tf.transpose(g, perm);
        });
        expect(maxRelErr(exported.dataSync(), c.dweightTorch!.data)).toBeLessThan(1e-5);
        tf.dispose([value, grads, exported]);
      }
      tf.dispose([x, r, y, dx]);
      for (const w of layer.weights) w.dispose();
    });
  }
  it('BatchNorm2d training forward, dx and running stats', () => {
    const g = bnGolden;
    const t = (a: Arr) => tf.tensor(a.data, a.shape);
    const bn = new BatchNorm2d({ name: 'bn' });
    bn.build(g.x1!.shape);
    const init = ['weight', 'bias', 'running_mean', 'running_var'].map((k) => t(g.init[k]!));
    bn.setWeights(init);
    const x1 = t(g.x1!);
    const r = t(g.r!);
    const dx = tf.grad((x: tf.Tensor) =>
      tf.sum(tf.mul(bn.apply(x, { training: true }) as tf.Tensor, r)),
    )(x1);
    expect(maxRelErr(dx.dataSync(), g.dx1!.data)).toBeLessThan(1e-4);
    const x2 = t(g.x2!);
    const y2 = bn.apply(x2, { training: true }) as tf.Tensor;
    expect(maxRelErr(y2.dataSync(), g.y2!.data)).toBeLessThan(1e-5);
    expect(maxRelErr(bn.movingVariance!.read().dataSync(), g.after.running_var!.data)).toBeLessThan(
      1e-5,
    );
    tf.dispose([...init, x1, r, dx, x2, y2]);
    for (const w of bn.weights) w.dispose();
  });
});
