import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { expectNoTensorLeak } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchNorm2d } from './batch-norm2d.js';

interface Arr {
  shape: number[];
  data: number[];
}
interface BnGolden {
  init: Record<'weight' | 'bias' | 'running_mean' | 'running_var', Arr>;
  x1: Arr;
  y1: Arr;
  r: Arr;
  dx1: Arr;
  dgamma: Arr;
  dbeta: Arr;
  x2: Arr;
  y2: Arr;
  after: Record<'weight' | 'bias' | 'running_mean' | 'running_var', Arr>;
  x3: Arr;
  y3: Arr;
}
const g = (
  JSON.parse(readFileSync(new URL('./fixtures/layers-golden.json', import.meta.url), 'utf8')) as {
    batchnorm: BnGolden;
  }
).batchnorm;

const t = (a: Arr) => tf.tensor(a.data, a.shape);
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
function free(layer: tfl.layers.Layer): void {
  for (const w of layer.weights) w.dispose();
}

function makeBn(args: { normEval?: boolean } = {}): BatchNorm2d {
  const bn = new BatchNorm2d({ name: 'backbone.bn1', ...args });
  bn.build(g.x1.shape);
  const w = [g.init.weight, g.init.bias, g.init.running_mean, g.init.running_var].map(t);
  bn.setWeights(w);
  tf.dispose(w);
  return bn;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('BatchNorm2d', () => {
  it('training forward and running-stat updates match PyTorch (unbiased var, momentum 0.1)', () => {
    const bn = makeBn();
    const x1 = t(g.x1);
    const y1 = bn.apply(x1, { training: true }) as tf.Tensor;
    expect(maxAbsDiff(y1.dataSync(), g.y1.data)).toBeLessThan(1e-5);
    const x2 = t(g.x2);
    const y2 = bn.apply(x2, { training: true }) as tf.Tensor;
    expect(maxAbsDiff(y2.dataSync(), g.y2.data)).toBeLessThan(1e-5);
    expect(maxAbsDiff(bn.movingMean!.read().dataSync(), g.after.running_mean.data)).toBeLessThan(
      1e-6,
    );
    expect(maxAbsDiff(bn.movingVariance!.read().dataSync(), g.after.running_var.data)).toBeLessThan(
      1e-5,
    );
    // eval mode (training absent) uses the running statistics
    const x3 = t(g.x3);
    const y3 = bn.apply(x3) as tf.Tensor;
    expect(maxAbsDiff(y3.dataSync(), g.y3.data)).toBeLessThan(1e-5);
    tf.dispose([x1, y1, x2, y2, x3, y3]);
    free(bn);
  });

  it('training gradients w.r.t. x, gamma and beta match PyTorch', () => {
    const bn = makeBn();
    const x1 = t(g.x1);
    const r = t(g.r);
    const dx = tf.grad((x: tf.Tensor) =>
      tf.sum(tf.mul(bn.apply(x, { training: true }) as tf.Tensor, r)),
    )(x1);
    expect(maxAbsDiff(dx.dataSync(), g.dx1.data)).toBeLessThan(1e-4);
    const vars = [bn.gamma!.read(), bn.beta!.read()] as tf.Variable[];
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.mul(bn.apply(x1, { training: true }) as tf.Tensor, r)) as tf.Scalar,
      vars,
    );
    expect(maxAbsDiff(grads[vars[0]!.name]!.dataSync(), g.dgamma.data)).toBeLessThan(1e-4);
    expect(maxAbsDiff(grads[vars[1]!.name]!.dataSync(), g.dbeta.data)).toBeLessThan(1e-4);
    tf.dispose([x1, r, dx, value, grads]);
    free(bn);
  });

  it('normEval freezes the statistics and normalises with the running ones', () => {
    const bn = makeBn({ normEval: true });
    const x1 = t(g.x1);
    const y = bn.apply(x1, { training: true }) as tf.Tensor;
    const expected = tf.batchNorm(
      x1,
      t(g.init.running_mean),
      t(g.init.running_var),
      t(g.init.bias),
      t(g.init.weight),
      1e-5,
    );
    expect(maxAbsDiff(y.dataSync(), expected.dataSync())).toBeLessThan(1e-6);
    expect(Array.from(bn.movingMean!.read().dataSync())).toEqual(
      Array.from(new Float32Array(g.init.running_mean.data)),
    );
    tf.dispose([x1, y, expected]);
    free(bn);
  });

  it('does not leak in training or eval calls, nor inside variableGrads', async () => {
    const bn = makeBn();
    const x = t(g.x1);
    await expectNoTensorLeak(() => bn.apply(x, { training: true }), { label: 'BN train' });
    await expectNoTensorLeak(() => bn.apply(x), { label: 'BN eval' });
    const vars = [bn.gamma!.read(), bn.beta!.read()] as tf.Variable[];
    await expectNoTensorLeak(
      () =>
        tf.variableGrads(
          () => tf.sum(bn.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
          vars,
        ),
      { label: 'BN variableGrads' },
    );
    x.dispose();
    free(bn);
  });

  it('training gradients (x, gamma, beta) equal tf.moments + tf.batchNorm', () => {
    const bn = makeBn();
    const shape = [2, 5, 4, g.x1.shape[3]!];
    // off-centre data: the gradient must not lose the mean
    const x = tf.variable(tf.randomNormal(shape, 3, 2, 'float32', 11));
    const r = tf.randomNormal(shape, 0, 1, 'float32', 12);
    const gamma = bn.gamma!.read() as tf.Variable;
    const beta = bn.beta!.read() as tf.Variable;
    const loss = (y: () => tf.Tensor) => () => tf.sum(tf.mul(y(), r)) as tf.Scalar;
    const ours = tf.variableGrads(
      loss(() => bn.apply(x, { training: true }) as tf.Tensor),
      [x, gamma, beta],
    );
    const ref = tf.variableGrads(
      loss(() => {
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        return tf.batchNorm(x, mean, variance, beta, gamma, 1e-5);
      }),
      [x, gamma, beta],
    );
    for (const v of [x, gamma, beta]) {
      const a = ours.grads[v.name]!.dataSync();
      const b = ref.grads[v.name]!.dataSync();
      let err = 0;
      let scale = 0;
      for (let i = 0; i < b.length; i++) {
        err = Math.max(err, Math.abs(a[i]! - b[i]!));
        scale = Math.max(scale, Math.abs(b[i]!));
      }
      expect(scale).toBeGreaterThan(0.1);
      expect(err / scale).toBeLessThan(1e-4);
    }
    expect(Math.abs(ours.value.dataSync()[0]! - ref.value.dataSync()[0]!)).toBeLessThan(1e-3);
    tf.dispose([x, r, ours.value, ref.value, ours.grads, ref.grads]);
    free(bn);
  });

  it('records no running-stat update on the gradient tape', () => {
    const bn = makeBn();
    const x = t(g.x1);
    type Node = { inputs: Record<string, tf.Tensor>; outputs: tf.Tensor[] };
    const tape = () =>
      (tf.engine() as unknown as { state: { activeTape: Node[] } }).state.activeTape;
    const vars = [bn.gamma!.read(), bn.beta!.read()] as tf.Variable[];
    const stats = [bn.movingMean!.read(), bn.movingVariance!.read()].map((v) => v.id);
    let added: Node[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const n0 = tape().length;
      const y = bn.apply(x, { training: true }) as tf.Tensor;
      added = tape().slice(n0);
      return tf.sum(y) as tf.Scalar;
    }, vars);
    expect(added.length).toBeGreaterThan(0);
    // no taped op reads the running statistics
    const ids = added.flatMap((n) => Object.values(n.inputs).map((i) => i.id));
    for (const id of stats) expect(ids).not.toContain(id);
    // ...yet the running mean did move
    expect(Array.from(bn.movingMean!.read().dataSync())).not.toEqual(g.init.running_mean.data);
    tf.dispose([x, value, grads]);
    free(bn);
  });

  it('weights: gamma/beta trainable, moving stats not; config round-trips', () => {
    const bn = makeBn();
    expect(bn.trainableWeights.map((w) => w.originalName)).toEqual(['gamma', 'beta']);
    expect(bn.nonTrainableWeights.map((w) => w.originalName)).toEqual([
      'moving_mean',
      'moving_variance',
    ]);
    const copy = BatchNorm2d.fromConfig(BatchNorm2d, bn.getConfig()) as BatchNorm2d;
    expect(copy.getConfig()).toEqual(bn.getConfig());
    expect([copy.eps, copy.momentum, copy.normEval]).toEqual([1e-5, 0.1, false]);
    free(bn);
  });

  it('rejects bad options and single-value batches', () => {
    expect(() => new BatchNorm2d({ name: 'b', momentum: 1.5 })).toThrow(/momentum.*got 1.5/);
    expect(() => new BatchNorm2d({ name: 'b', eps: 0 })).toThrow(/eps.*got 0/);
    const bn = makeBn();
    const x = tf.zeros([1, 1, 1, 3]);
    expect(() => bn.apply(x, { training: true })).toThrow(/more than 1 value per channel/);
    x.dispose();
    free(bn);
  });
});
