// Layer gradients vs PyTorch autograd: d/d(x, weight) of sum(layer(x) * r). These paths need
// the gradient fixes that importing the package (../register.js) installs.
import '../register.js';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
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

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('layer gradients match PyTorch autograd', () => {
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
});
