import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { expectNoTensorLeak } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { Conv2d } from './conv2d.js';
import './register-layers.js';

interface Arr {
  shape: number[];
  data: number[];
}
interface ConvCase {
  name: string;
  stride: number;
  padding: number | [number, number];
  dilation: number;
  x: Arr;
  kernel: Arr;
  bias: Arr | null;
  y: Arr;
}
const golden = JSON.parse(
  readFileSync(new URL('./fixtures/layers-golden.json', import.meta.url), 'utf8'),
) as { conv: ConvCase[] };

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Layer.dispose() needs a symbolic call first; free the weights directly. */
function free(layer: tfl.layers.Layer): void {
  for (const w of layer.weights) w.dispose();
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function layerFor(c: ConvCase): Conv2d {
  const [kh, kw, , out] = c.kernel.shape as [number, number, number, number];
  const layer = new Conv2d({
    name: 'decode_head.conv_seg',
    filters: out,
    kernelSize: [kh, kw],
    stride: c.stride,
    padding: c.padding,
    dilation: c.dilation,
    useBias: c.bias != null,
  });
  layer.build(c.x.shape);
  const weights = [tf.tensor(c.kernel.data, c.kernel.shape)];
  if (c.bias) weights.push(tf.tensor(c.bias.data, c.bias.shape));
  layer.setWeights(weights);
  tf.dispose(weights);
  return layer;
}

describe('Conv2d', () => {
  for (const c of golden.conv) {
    it(`matches torch.nn.functional.conv2d (${c.name})`, () => {
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

  it('does not leak tensors in call', async () => {
    const layer = layerFor(golden.conv[0]!);
    const x = tf.tensor(golden.conv[0]!.x.data, golden.conv[0]!.x.shape);
    await expectNoTensorLeak(() => layer.apply(x), { label: 'Conv2d.call' });
    x.dispose();
    free(layer);
  });

  it('default kernel init is mmcv kaiming (std sqrt(2/fan_out)), seeded, bias zeros', () => {
    const mk = () => new Conv2d({ name: 'a', filters: 16, kernelSize: 3, seed: 7 });
    const a = mk();
    const b = mk();
    a.build([null, 8, 8, 32]);
    b.build([null, 8, 8, 32]);
    const ka = a.kernel!.read().dataSync();
    expect(Array.from(ka)).toEqual(Array.from(b.kernel!.read().dataSync()));
    let s2 = 0;
    for (const v of ka) s2 += v * v;
    const std = Math.sqrt(s2 / ka.length);
    // 4608 samples: std within ~5% of sqrt(2 / (16 * 9)) = 0.1179
    expect(Math.abs(std - Math.sqrt(2 / 144)) / Math.sqrt(2 / 144)).toBeLessThan(0.05);
    expect(Array.from(a.bias!.read().dataSync())).toEqual(new Array(16).fill(0));
    free(a);
    free(b);
  });

  it('getConfig round-trips through fromConfig', () => {
    const layer = new Conv2d({
      name: 'backbone.layer1.0.conv1',
      filters: 4,
      kernelSize: [3, 1],
      stride: 1,
      padding: [2, 0],
      dilation: 2,
      useBias: false,
      kernelInitializer: tfl.initializers.constant({ value: 0.5 }),
    });
    const config = layer.getConfig();
    const copy = Conv2d.fromConfig(Conv2d, config) as Conv2d;
    expect(copy.getConfig()).toEqual(config);
    expect(copy.name).toBe('backbone.layer1.0.conv1');
    expect(copy.padding).toEqual([2, 0]);
    copy.build([1, 4, 4, 2]);
    expect(Array.from(copy.kernel!.read().dataSync())).toEqual(new Array(3 * 2 * 4).fill(0.5));
    free(copy);
  });

  it('rejects bad options with the value and the rule', () => {
    expect(() => new Conv2d({ name: 'c', filters: 0, kernelSize: 3 })).toThrow(/filters.*got 0/);
    expect(() => new Conv2d({ name: 'c', filters: 2, kernelSize: 3, padding: -1 })).toThrow(
      /padding must be an integer >= 0.*got -1/,
    );
    expect(
      () => new Conv2d({ name: 'c', filters: 2, kernelSize: 3, stride: 2, dilation: 2 }),
    ).toThrow(/stride \[2,2\] and dilation \[2,2\]/);
  });
});

describe('Conv2d seeds', () => {
  // tfjs reads a seed of 0 as "unseeded"; tfjsSeed must make seed 0 reproducible too.
  it.each([0, 1, 7])('seed %i gives the same kernel twice and differs from seed + 1', (seed) => {
    const kernel = (s: number) => {
      const layer = new Conv2d({ name: 'c', filters: 4, kernelSize: 3, seed: s });
      layer.build([1, 5, 5, 2]);
      const v = Array.from(layer.getWeights()[0]!.dataSync());
      free(layer);
      return v;
    };
    const a = kernel(seed);
    expect(kernel(seed)).toEqual(a);
    expect(kernel(seed + 1)).not.toEqual(a);
  });
});
