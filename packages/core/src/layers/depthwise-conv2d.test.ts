import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { expectNoTensorLeak } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { DepthwiseConv2d } from './depthwise-conv2d.js';

interface Arr {
  shape: number[];
  data: number[];
}
interface DwCase {
  name: string;
  stride: number;
  padding: number;
  dilation: number;
  depthMultiplier: number;
  x: Arr;
  kernel: Arr;
  y: Arr;
}
const golden = JSON.parse(
  readFileSync(new URL('./fixtures/layers-golden.json', import.meta.url), 'utf8'),
) as { depthwise: DwCase[] };

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
function free(layer: tfl.layers.Layer): void {
  for (const w of layer.weights) w.dispose();
}

function layerFor(c: DwCase): DepthwiseConv2d {
  const layer = new DepthwiseConv2d({
    name: 'decode_head.aspp_modules.1.depthwise_conv.conv',
    kernelSize: [c.kernel.shape[0]!, c.kernel.shape[1]!],
    stride: c.stride,
    padding: c.padding,
    dilation: c.dilation,
    depthMultiplier: c.depthMultiplier,
  });
  layer.build(c.x.shape);
  const k = tf.tensor(c.kernel.data, c.kernel.shape);
  layer.setWeights([k]);
  k.dispose();
  return layer;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('DepthwiseConv2d', () => {
  for (const c of golden.depthwise) {
    it(`matches torch conv2d(groups=C) (${c.name})`, () => {
      const layer = layerFor(c);
      const x = tf.tensor(c.x.data, c.x.shape);
      const y = layer.apply(x) as tf.Tensor;
      expect(y.shape).toEqual(c.y.shape);
      expect(layer.computeOutputShape(c.x.shape)).toEqual(c.y.shape);
      expect(maxAbsDiff(y.dataSync(), c.y.data)).toBeLessThan(1e-4);
      tf.dispose([x, y]);
      free(layer);
    });
  }

  it('adds the bias per output channel when useBias is set', () => {
    const layer = new DepthwiseConv2d({
      name: 'd',
      kernelSize: 1,
      depthMultiplier: 2,
      useBias: true,
    });
    layer.build([1, 1, 1, 2]);
    const w = [tf.tensor4d([1, 2, 3, 4], [1, 1, 2, 2]), tf.tensor1d([10, 20, 30, 40])];
    layer.setWeights(w);
    const x = tf.tensor4d([1, -1], [1, 1, 1, 2]);
    const y = layer.apply(x) as tf.Tensor;
    // channel c*m+q = x[c] * k[c, q] + b[c*m+q]
    expect(Array.from(y.dataSync())).toEqual([11, 22, 27, 36]);
    tf.dispose([...w, x, y]);
    free(layer);
  });

  it('does not leak tensors in call', async () => {
    const c = golden.depthwise[2]!;
    const layer = layerFor(c);
    const x = tf.tensor(c.x.data, c.x.shape);
    await expectNoTensorLeak(() => layer.apply(x), { label: 'DepthwiseConv2d.call' });
    x.dispose();
    free(layer);
  });

  it('getConfig round-trips; default init uses PyTorch fan_out = C·m·kh·kw', () => {
    const layer = new DepthwiseConv2d({
      name: 'x.depthwise_conv.conv',
      kernelSize: 3,
      padding: 12,
      dilation: 12,
      depthMultiplier: 2,
      seed: 3,
    });
    const copy = DepthwiseConv2d.fromConfig(DepthwiseConv2d, layer.getConfig()) as DepthwiseConv2d;
    expect(copy.getConfig()).toEqual(layer.getConfig());
    copy.build([null, 4, 4, 64]);
    const k = copy.kernel!.read().dataSync();
    expect(k.length).toBe(3 * 3 * 64 * 2);
    let s2 = 0;
    for (const v of k) s2 += v * v;
    const expected = Math.sqrt(2 / (64 * 2 * 9));
    expect(Math.abs(Math.sqrt(s2 / k.length) - expected) / expected).toBeLessThan(0.06);
    free(copy);
  });

  it('rejects a bad depthMultiplier', () => {
    expect(() => new DepthwiseConv2d({ name: 'd', kernelSize: 3, depthMultiplier: 0.5 })).toThrow(
      /depthMultiplier must be an integer >= 1, got 0.5/,
    );
  });
});
