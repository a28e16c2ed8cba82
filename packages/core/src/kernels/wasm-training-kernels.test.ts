import '../register.js';
import { expectNoTensorLeak } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../backend/test-backends.test-helper.js';
import { randomArray, relativeError } from '../gradients/reference.test-helper.js';
import { WASM_TRAINING_KERNELS } from './wasm-training-kernels.js';

type Pair = [number, number];
type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | tf.backend_util.ExplicitPadding;

const TOL = 1e-4;
const EXPLICIT: Pad = [
  [0, 0],
  [1, 2],
  [2, 1],
  [0, 0],
];

interface KernelCase {
  name: string;
  kernel: string;
  inputs: Record<string, { shape: number[]; dtype?: 'float32' | 'int32'; values?: number[] }>;
  attrs: tf.NamedAttrMap;
}

function outShape(
  x: Shape4,
  f: Shape4,
  strides: Pair,
  dilations: Pair,
  pad: Pad,
  depthwise: boolean,
): Shape4 {
  const info = tf.backend_util.computeConv2DInfo(
    x,
    f,
    strides,
    dilations,
    pad,
    undefined,
    depthwise,
    'channelsLast',
  );
  return info.outShape as Shape4;
}

const CASES: KernelCase[] = [];
for (const k of [
  [1, 1],
  [3, 3],
  [2, 4],
] as Pair[]) {
  for (const s of [
    [1, 1],
    [2, 2],
    [2, 1],
  ] as Pair[]) {
    for (const d of [
      [1, 1],
      [2, 2],
    ] as Pair[]) {
      if ((s[0] > 1 || s[1] > 1) && d[0] > 1) continue; // tfjs: strides or dilations must be 1
      for (const pad of ['same', 'valid', EXPLICIT] as Pad[]) {
        const x: Shape4 = [2, 9, 8, 3];
        const tag = `k${k} s${s} d${d} ${typeof pad === 'string' ? pad : 'explicit'}`;
        const f: Shape4 = [k[0], k[1], 3, 4];
        const y = outShape(x, f, s, d, pad, false);
        if (d[0] === 1) {
          // tfjs's own Conv2D backprop kernels have no dilation attribute.
          CASES.push({
            name: `Conv2DBackpropFilter ${tag}`,
            kernel: 'Conv2DBackpropFilter',
            inputs: { x: { shape: x }, dy: { shape: y } },
            attrs: {
              strides: s,
              pad,
              dataFormat: 'NHWC',
              filterShape: f,
            } as unknown as tf.NamedAttrMap,
          });
          CASES.push({
            name: `Conv2DBackpropInput ${tag}`,
            kernel: 'Conv2DBackpropInput',
            inputs: { dy: { shape: y }, filter: { shape: f } },
            attrs: {
              strides: s,
              pad,
              dataFormat: 'NHWC',
              inputShape: x,
            } as unknown as tf.NamedAttrMap,
          });
        }
        // cpu's depthwise backprop kernels ignore `dilations` (tfjs only calls them with 1), so
        // dilated depthwise is checked through gradients against float64 references instead.
        for (const mult of d[0] === 1 ? [1, 2] : []) {
          const fd: Shape4 = [k[0], k[1], 3, mult];
          const yd = outShape(x, fd, s, d, pad, true);
          CASES.push({
            name: `DepthwiseConv2dNativeBackpropFilter ${tag} m${mult}`,
            kernel: 'DepthwiseConv2dNativeBackpropFilter',
            inputs: { x: { shape: x }, dy: { shape: yd } },
            attrs: { strides: s, pad, dilations: d, filterShape: fd } as unknown as tf.NamedAttrMap,
          });
          CASES.push({
            name: `DepthwiseConv2dNativeBackpropInput ${tag} m${mult}`,
            kernel: 'DepthwiseConv2dNativeBackpropInput',
            inputs: { dy: { shape: yd }, filter: { shape: fd } },
            attrs: { strides: s, pad, dilations: d, inputShape: x } as unknown as tf.NamedAttrMap,
          });
        }
      }
    }
  }
}
CASES.push({
  name: 'UnsortedSegmentSum with repeated ids',
  kernel: 'UnsortedSegmentSum',
  inputs: {
    x: { shape: [6, 3, 2] },
    segmentIds: { shape: [6], dtype: 'int32', values: [0, 2, 2, 4, 0, 2] },
  },
  attrs: { numSegments: 5 },
});

async function runOn(backend: 'cpu' | 'wasm', c: KernelCase, seed: number): Promise<Float32Array> {
  await useBackend(backend);
  return tf.tidy(() => {
    const inputs: Record<string, tf.Tensor> = {};
    let i = 0;
    for (const [name, spec] of Object.entries(c.inputs)) {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      inputs[name] =
        spec.dtype === 'int32'
          ? tf.tensor(spec.values ?? [], spec.shape, 'int32')
          : tf.tensor(Float32Array.from(randomArray(size, seed + i++)), spec.shape);
    }
    const out = tf
      .engine()
      .runKernel(c.kernel, inputs as unknown as tf.NamedTensorMap, c.attrs) as tf.Tensor;
    return out.dataSync() as Float32Array;
  });
}

describe('wasm training kernels', () => {
  it.each(CASES.map((c, i) => [c.name, c, i] as const))('%s matches cpu', async (_name, c, i) => {
    const cpu = await runOn('cpu', c, 40 + i);
    const wasm = await runOn('wasm', c, 40 + i);
    expect(wasm.length).toBe(cpu.length);
    expect(relativeError(wasm, cpu)).toBeLessThanOrEqual(TOL);
  });

  it('registers every kernel for wasm', async () => {
    await useBackend('wasm');
    for (const k of WASM_TRAINING_KERNELS) {
      expect(tf.getKernel(k.kernelName, 'wasm')?.kernelFunc).toBe(k.kernelFunc);
    }
  });

  it('trains fused conv + bias + relu and separable conv on wasm like cpu', async () => {
    const grads = async (backend: 'cpu' | 'wasm') => {
      await useBackend(backend);
      const x = tf.tensor4d(Float32Array.from(randomArray(2 * 8 * 8 * 3, 1)), [2, 8, 8, 3]);
      const w = tf.tensor4d(Float32Array.from(randomArray(3 * 3 * 3 * 4, 2)), [3, 3, 3, 4]);
      const b = tf.tensor1d(Float32Array.from(randomArray(4, 3)));
      const dw = tf.tensor4d(Float32Array.from(randomArray(3 * 3 * 3 * 2, 4)), [3, 3, 3, 2]);
      const pw = tf.tensor4d(Float32Array.from(randomArray(6 * 5, 5)), [1, 1, 6, 5]);
      const g = tf.grads(
        (a: tf.Tensor, f: tf.Tensor, bias: tf.Tensor, d: tf.Tensor, p: tf.Tensor) => {
          const y = tf.fused.conv2d({
            x: a as tf.Tensor4D,
            filter: f as tf.Tensor4D,
            bias,
            strides: 2,
            pad: 'same',
            activation: 'relu',
          });
          const z = tf.separableConv2d(
            a as tf.Tensor4D,
            d as tf.Tensor4D,
            p as tf.Tensor4D,
            1,
            'same',
          );
          return tf.add(tf.sum(tf.square(y)), tf.sum(tf.square(z)));
        },
      )([x, w, b, dw, pw]);
      const out = await Promise.all(g.map((t) => t.data()));
      tf.dispose([x, w, b, dw, pw, ...g]);
      return out;
    };
    const cpu = await grads('cpu');
    const wasm = await grads('wasm');
    for (let i = 0; i < cpu.length; i++) {
      expect(relativeError(wasm[i] as Float32Array, cpu[i] as Float32Array)).toBeLessThanOrEqual(
        TOL,
      );
    }
  });

  it('leaks no tensors', async () => {
    await useBackend('wasm');
    const x = tf.randomNormal([1, 6, 6, 3]) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 3, 2]) as tf.Tensor4D;
    const d = tf.randomNormal([3, 3, 3, 2]) as tf.Tensor4D;
    const idx = tf.tensor1d([0, 2, 2], 'int32');
    const g = tf.grads((a: tf.Tensor, f: tf.Tensor, dd: tf.Tensor) =>
      tf.add(
        tf.add(
          tf.sum(tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, 2, 'same')),
          tf.sum(tf.depthwiseConv2d(a as tf.Tensor4D, dd as tf.Tensor4D, 1, 'same')),
        ),
        tf.sum(tf.gather(a, idx, 1)),
      ),
    );
    const before = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    await expectNoTensorLeak(() => g([x, w, d]), { label: 'wasm training kernels' });
    await expectNoTensorLeak(() => g([x, w, d]), { label: 'wasm training kernels' });
    const after = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    expect(after).toBe(before);
    tf.dispose([x, w, d, idx]);
  });
});
