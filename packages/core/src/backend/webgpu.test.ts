import '../register.js';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  type ConvCase,
  convCaseErrors,
  convLabel,
  maxPoolCaseErrors,
  resizeCaseErrors,
} from '../gradients/gradient-cases.test-helper.js';
import { randomArray, relativeError } from '../gradients/reference.test-helper.js';
import { maxPool2d } from '../ops/max-pool.js';
import { torchPadding } from '../ops/padding.js';
import { resizeBilinear } from '../ops/resize-bilinear.js';
import { Conv2d } from '../layers/conv2d.js';
import { createSgd } from '../optim/sgd.js';
import { exportStateDict, exportStateDictAsync } from '../state-dict/state-dict.js';
import { gpuMemory } from './gpu-memory.js';
import { initBackend, listBackends } from './init-backend.js';
import { readScalars, readTensorSync } from './read-tensor.js';
import * as tfl from '@tensorflow/tfjs-layers';
import { requireWebGpuUnderCi } from '@facepar/test-utils';

// WebGPU through Dawn (`webgpu` package). Users without a Vulkan driver skip; CI installs Mesa
// (llvmpipe) and must not skip. llvmpipe compiles a shader per new shape: keep this small.
const { available, adapter: where } = await requireWebGpuUnderCi({ listBackends });
const TOL = 1e-4;

const CONV: Array<[ConvCase, 'conv2d' | 'depthwise']> = [
  [
    {
      xShape: [1, 8, 7, 3],
      kernel: [3, 3],
      strides: [2, 2],
      dilations: [1, 1],
      pad: { top: 1, bottom: 1, left: 1, right: 1 },
      channels: 4,
    },
    'conv2d',
  ],
  [
    {
      xShape: [1, 7, 8, 3],
      kernel: [3, 3],
      strides: [1, 1],
      dilations: [2, 2],
      pad: 'same',
      channels: 4,
    },
    'conv2d',
  ],
  [
    {
      xShape: [1, 7, 8, 3],
      kernel: [3, 3],
      strides: [1, 1],
      dilations: [2, 2],
      pad: { top: 2, bottom: 2, left: 2, right: 2 },
      channels: 2,
    },
    'depthwise',
  ],
  [
    {
      xShape: [1, 7, 8, 3],
      kernel: [3, 3],
      strides: [2, 2],
      dilations: [1, 1],
      pad: 'same',
      channels: 1,
    },
    'depthwise',
  ],
];

describe.runIf(available)(`gradients on webgpu (${where})`, () => {
  it('initialises the webgpu backend on request', async () => {
    const report = await initBackend({ backend: 'webgpu' });
    expect(report.chosen).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    const reason = report.candidates.find((c) => c.name === 'webgpu')?.reason;
    expect(reason).toMatch(/^chosen \(requested\): (software|hardware) adapter/);
    expect(reason).not.toMatch(/auto skips/);
  }, 60_000);

  it.each(CONV.map(([c, kind], i) => [convLabel(kind, c), c, kind, i] as const))(
    '%s matches the float64 reference',
    async (_n, c, kind, i) => {
      const e = await convCaseErrors(kind, c, 700 + i);
      expect(e.y).toBeLessThanOrEqual(TOL);
      expect(e.dx).toBeLessThanOrEqual(TOL);
      expect(e.dfilter).toBeLessThanOrEqual(TOL);
    },
  );

  it('resizeBilinear half-pixel (up and down) and maxPool2d match the references', async () => {
    for (const [c, seed] of [
      [{ xShape: [1, 5, 7, 2], size: [11, 16], alignCorners: false }, 1],
      [{ xShape: [1, 13, 9, 2], size: [5, 4], alignCorners: false }, 2],
    ] as const) {
      const e = await resizeCaseErrors(
        { xShape: [...c.xShape], size: [...c.size], alignCorners: c.alignCorners },
        seed,
      );
      expect(e.y).toBeLessThanOrEqual(TOL);
      expect(e.dx).toBeLessThanOrEqual(TOL);
    }
    const m = await maxPoolCaseErrors({ xShape: [1, 8, 8, 2], k: [3, 3], s: [2, 2], p: [1, 1] }, 3);
    expect(m.y).toBeLessThanOrEqual(1e-6);
    expect(m.dx).toBeLessThanOrEqual(1e-6);
  });

  it('a small training step gives the same gradients as cpu', async () => {
    const step = async (backend: 'cpu' | 'webgpu') => {
      await tf.setBackend(backend);
      const t = (shape: number[], seed: number, scale = 1) =>
        tf.tensor(
          Float32Array.from(
            randomArray(
              shape.reduce((a, b) => a * b),
              seed,
            ),
            (v) => v * scale,
          ),
          shape,
        );
      const x = t([2, 8, 8, 3], 1) as tf.Tensor4D;
      const params = [
        t([3, 3, 3, 8], 2, 0.3),
        t([8], 3),
        t([8], 4),
        t([3, 3, 8, 1], 5, 0.3),
        t([1, 1, 8, 5], 6, 0.3),
      ];
      const labels = tf.oneHot(
        tf.tensor1d(
          Int32Array.from({ length: 2 * 8 * 8 }, (_, i) => (i * 7) % 5),
          'int32',
        ),
        5,
      );
      const loss = () => {
        const [w, gamma, beta, dw, pw] = params as [
          tf.Tensor4D,
          tf.Tensor1D,
          tf.Tensor1D,
          tf.Tensor4D,
          tf.Tensor4D,
        ];
        let h = tf.conv2d(x, w, 2, torchPadding(1));
        const mom = tf.moments(h, [0, 1, 2]);
        h = tf.relu(tf.batchNorm(h, mom.mean, mom.variance, beta, gamma, 1e-5)) as tf.Tensor4D;
        h = maxPool2d({ x: h, kernelSize: 3, stride: 1, padding: 1 });
        h = tf.depthwiseConv2d(h, dw, 1, 'same', 'NHWC', 2);
        h = tf.conv2d(h, pw, 1, 'valid');
        const logits = tf.reshape(resizeBilinear({ x: h, size: [8, 8] }), [-1, 5]);
        return tf.mean(tf.neg(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), -1))) as tf.Scalar;
      };
      const { value, grads } = tf.valueAndGrads(loss)(params);
      const out = {
        loss: (await value.data())[0] as number,
        grads: await Promise.all(grads.map((g) => g.data())),
      };
      tf.dispose([x, labels, value, ...params, ...grads]);
      return out;
    };
    const cpu = await step('cpu');
    const gpu = await step('webgpu');
    expect(Math.abs(gpu.loss - cpu.loss)).toBeLessThanOrEqual(1e-4 * Math.abs(cpu.loss));
    expect(gpu.grads.length).toBe(cpu.grads.length);
    for (let i = 0; i < cpu.grads.length; i++) {
      expect(
        relativeError(gpu.grads[i] as Float32Array, cpu.grads[i] as Float32Array),
      ).toBeLessThanOrEqual(1e-3);
    }
  }, 120_000);

  it('reads asynchronously; the synchronous forms say what to use instead', async () => {
    await tf.setBackend('webgpu');
    const x = tf.add(tf.tensor1d([1, 2, 3]), 1); // device-resident
    expect(() => readTensorSync(x, { caller: 'f()', asyncAlternative: 'await g()' })).toThrow(
      "f() reads tensors synchronously, which the 'webgpu' backend cannot do in Node; use await g() instead",
    );
    expect(await readScalars([tf.sum(x), tf.max(x)])).toEqual([9, 4]);
    const mem = gpuMemory();
    expect(mem.inUse).toBeGreaterThanOrEqual(x.size * 4);
    expect(mem.allocated).toBeGreaterThanOrEqual(mem.inUse as number);
    const w = tf.variable(tf.ones([2]), true, 'webgpu_sgd_w');
    const sgd = createSgd({ lr: 0.5, momentum: 0.9 });
    sgd.apply({ variables: [w], grads: { [w.name]: tf.tensor1d([1, -1]) } });
    expect(() => sgd.getState()).toThrow(/use await sgd.getStateAsync\(\) instead/);
    const state = await sgd.getStateAsync();
    expect(Array.from(state.momentumBuffers[w.name]!.data)).toEqual([1, -1]);
    expect(Array.from(await w.data())).toEqual([0.5, 1.5]);
    // weights made on cpu, then moved onto the GPU by a forward pass there
    await tf.setBackend('cpu');
    const input = tfl.input({ shape: [4, 4, 2] });
    const conv = new Conv2d({ name: 'c', filters: 3, kernelSize: 3, padding: 1 });
    const model = tfl.model({ inputs: input, outputs: conv.apply(input) as tfl.SymbolicTensor });
    const ref = exportStateDict(model);
    await tf.setBackend('webgpu');
    tf.dispose(model.predict(tf.add(tf.ones([1, 4, 4, 2]), 0)) as tf.Tensor);
    expect(() => exportStateDict(model)).toThrow(/use await exportStateDictAsync\(\) instead/);
    expect(await exportStateDictAsync(model)).toEqual(ref);
    sgd.dispose();
    model.dispose();
    tf.dispose([x, w]);
  });

  it('maxPool2d sends the gradient of tied maxima to the first, as PyTorch (facepar MaxPoolGrad)', async () => {
    await tf.setBackend('webgpu');
    // windows: [1 1; 1 1] (4-way tie), [0 -1; -1 -1], [-2 -3; -3 -2] (tie), [5 5; 5 5]
    const x = tf.tensor4d([1, 1, 0, -1, 1, 1, -1, -1, -2, -3, 5, 5, -3, -2, 5, 5], [1, 4, 4, 1]);
    const g = tf.grad((a: tf.Tensor) =>
      tf.sum(maxPool2d({ x: a as tf.Tensor4D, kernelSize: 2, stride: 2, padding: 0 })),
    )(x);
    // tfjs-webgpu's own kernel gives 0 0 1 0 0 1 0 0 0 0 0 0 0 1 0 1 (last maximum)
    expect(Array.from(await g.data())).toEqual([1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0]);
    tf.dispose([x, g]);
  });

  it('addN of more tensors than a shader stage can bind sums them all (chunked AddN)', async () => {
    await tf.setBackend('webgpu');
    // tfjs-webgpu's own AddN returns stale memory past 7 inputs (an invalid pipeline)
    for (const n of [7, 8, 20]) {
      const ts = Array.from({ length: n }, (_, i) => tf.add(tf.fill([3], i + 1), 0));
      const sum = tf.addN(ts);
      expect(Array.from(await sum.data())).toEqual(new Array(3).fill((n * (n + 1)) / 2));
      tf.dispose([...ts, sum]);
    }
  });
});
