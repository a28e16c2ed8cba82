import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { expectNoTensorLeak } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers'; // also registers the core gradients in Node
import { beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors } from '../io/safetensors.js';
import '../layers/register-layers.js';
import { Conv2d } from '../layers/conv2d.js';
import { exportStateDict, loadStateDict } from '../state-dict/state-dict.js';
import { createSgd, type Sgd } from './sgd.js';
import { sgdStateFromSafetensors, sgdStateToSafetensors } from './sgd-state.js';

interface Arr {
  shape: number[];
  data: number[];
}
interface SgdCase {
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
  lrs: number[];
  init: { w: Arr; b: Arr };
  grads: { w: Arr; b: Arr }[];
  after: { w: Arr; b: Arr }[];
}
const golden = JSON.parse(
  readFileSync(new URL('./fixtures/sgd-golden.json', import.meta.url), 'utf8'),
) as { cases: SgdCase[] };

let counter = 0;
function vars(c: SgdCase): tf.Variable[] {
  counter++;
  return [
    tf.variable(tf.tensor(c.init.w.data, c.init.w.shape), true, `w${counter}`),
    tf.variable(tf.tensor(c.init.b.data, c.init.b.shape), true, `b${counter}`),
  ];
}

function runSteps(opt: Sgd, c: SgdCase, vs: tf.Variable[], from: number, to: number): void {
  for (let i = from; i < to; i++) {
    opt.lr = c.lrs[i]!;
    const grads = {
      [vs[0]!.name]: tf.tensor(c.grads[i]!.w.data, c.grads[i]!.w.shape),
      [vs[1]!.name]: tf.tensor(c.grads[i]!.b.data, c.grads[i]!.b.shape),
    };
    opt.apply({ grads, variables: vs });
    tf.dispose(grads);
    expectClose(vs[0]!.dataSync(), c.after[i]!.w.data, `w after step ${i + 1}`);
    expectClose(vs[1]!.dataSync(), c.after[i]!.b.data, `b after step ${i + 1}`);
  }
}

function expectClose(a: ArrayLike<number>, b: number[], what: string): void {
  expect(a.length, what).toBe(b.length);
  for (let i = 0; i < b.length; i++) expect(Math.abs(a[i]! - b[i]!), what).toBeLessThan(2e-6);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('createSgd', () => {
  for (const c of golden.cases) {
    it(`matches torch.optim.SGD (momentum ${c.momentum}, wd ${c.weightDecay}, nesterov ${c.nesterov}) over 4 steps with an lr change`, () => {
      const vs = vars(c);
      const opt = createSgd({
        lr: c.lrs[0]!,
        momentum: c.momentum,
        weightDecay: c.weightDecay,
        nesterov: c.nesterov,
      });
      runSteps(opt, c, vs, 0, 4);
      opt.dispose();
      tf.dispose(vs);
    });
  }

  it('getState/setState resumes exactly (momentum buffers by name)', async () => {
    const c = golden.cases[1]!;
    const vs = vars(c);
    const a = createSgd({ lr: 0.1, momentum: c.momentum, weightDecay: c.weightDecay });
    runSteps(a, c, vs, 0, 2);
    const state = a.getState();
    expect(state.step).toBe(2);
    expect(Object.keys(state.momentumBuffers)).toEqual(vs.map((v) => v.name));
    expect(state.momentumBuffers[vs[0]!.name]!.shape).toEqual([2, 3]);
    // the asynchronous read (every backend) gives the same state; its reads are issued at
    // once, so freeing the buffers while it is in flight does not change it
    const pending = a.getStateAsync();
    a.dispose();
    expect(await pending).toEqual(state);
    const b = createSgd({ lr: 1, momentum: c.momentum, weightDecay: c.weightDecay });
    b.setState(state);
    expect(b.lr).toBe(0.1);
    runSteps(b, c, vs, 2, 4);
    b.dispose();
    tf.dispose(vs);
  });

  it('saves momentum by parameter name: a model built later (tfjs names `_1`) resumes exactly', () => {
    // one process holding two models stands for two processes: tfjs renames the second
    // model's variables (conv/kernel_1), the parameter names (conv.weight) stay
    const build = () => {
      const input = tfl.input({ shape: [3, 3, 2] });
      const conv = new Conv2d({ name: 'conv', filters: 2, kernelSize: 3, seed: 5 });
      return tfl.model({ inputs: input, outputs: conv.apply(input) as tfl.SymbolicTensor });
    };
    const x = tf.randomNormal([2, 3, 3, 2], 0, 1, 'float32', 3);
    const step = (model: tfl.LayersModel, opt: Sgd) => {
      const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.square(model.apply(x) as tf.Tensor)) as tf.Scalar,
        variables,
      );
      opt.apply({ grads, variables });
      tf.dispose([value, grads]);
    };
    const options = { lr: 0.01, momentum: 0.9, weightDecay: 1e-3 };
    const a = build();
    const optA = createSgd(options);
    step(a, optA);
    step(a, optA);
    const file = sgdStateToSafetensors({ state: optA.getState(), model: a });
    expect([...file.tensors.keys()].sort()).toEqual([
      'momentum_buffer.conv.bias',
      'momentum_buffer.conv.weight',
    ]);
    const b = build();
    const name = (m: tfl.LayersModel) => (m.trainableWeights[0]!.read() as tf.Variable).name;
    expect(name(b)).not.toBe(name(a));
    loadStateDict(b, exportStateDict(a));
    const optB = createSgd({ ...options, lr: 1 });
    const bytes = writeSafetensors(file.tensors, file.metadata);
    optB.setState(sgdStateFromSafetensors({ file: readSafetensors(bytes), model: b }));
    expect(optB.lr).toBe(0.01);
    step(a, optA);
    step(b, optB);
    const wa = a.getWeights().map((w) => Array.from(w.dataSync()));
    const wb = b.getWeights().map((w) => Array.from(w.dataSync()));
    expect(wb).toEqual(wa);
    // the momentum matters: without it the same step lands elsewhere
    const c = build();
    loadStateDict(c, exportStateDict(b));
    const optC = createSgd(options);
    step(c, optC);
    step(b, optB);
    const wc = c.getWeights().map((w) => Array.from(w.dataSync()));
    expect(wc).not.toEqual(b.getWeights().map((w) => Array.from(w.dataSync())));
    optC.dispose();
    expect(() =>
      sgdStateFromSafetensors({
        file: {
          tensors: new Map([
            ['momentum_buffer.other.weight', file.tensors.get('momentum_buffer.conv.weight')!],
          ]),
          metadata: file.metadata,
        },
        model: c,
      }),
    ).toThrow(/'momentum_buffer.other.weight' is not 'momentum_buffer.<parameter name>'/);
    for (const m of [a, b, c]) for (const w of m.weights) w.dispose();
    tf.dispose(x);
    optA.dispose();
    optB.dispose();
  });

  it('works with tf.variableGrads and leaks nothing across steps', async () => {
    const w = tf.variable(tf.tensor1d([1, -2, 3]), true, 'leak_w');
    const x = tf.tensor1d([0.5, 1, 2]);
    const opt = createSgd({ lr: 0.1, momentum: 0.9, weightDecay: 1e-4 });
    const step = () => {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.square(tf.mul(w, x))) as tf.Scalar,
        [w],
      );
      opt.apply({ grads, variables: [w] });
      tf.dispose([value, grads]);
    };
    step();
    // d/dw sum((w x)^2) = 2 w x^2 = [0.5, -4, 24] (+ 1e-4 w) -> w - 0.1 (...)
    expectClose(
      w.dataSync(),
      [1 - 0.1 * (0.5 + 1e-4), -2 - 0.1 * (-4 - 2e-4), 3 - 0.1 * (24 + 3e-4)],
      'w',
    );
    await expectNoTensorLeak(step, { label: 'sgd step' });
    opt.dispose();
    tf.dispose([w, x]);
  });

  it('decoupled weight decay shrinks w by (1 - lr·wd) outside the gradient', () => {
    const w = tf.variable(tf.tensor1d([2, -4]), true, 'dec_w');
    const opt = createSgd({ lr: 0.5, weightDecay: 0.1, weightDecayMode: 'decoupled' });
    const grads = { [w.name]: tf.tensor1d([1, 1]) };
    opt.apply({ grads, variables: [w] });
    // w·(1 − 0.05) − 0.5·g
    expectClose(w.dataSync(), [2 * 0.95 - 0.5, -4 * 0.95 - 0.5], 'w');
    tf.dispose([w, grads]);
    opt.dispose();
  });

  it('rejects a state file of another format', () => {
    expect(() =>
      sgdStateFromSafetensors({
        file: { tensors: new Map(), metadata: { format: 'adam' } },
        model: tfl.sequential(),
      }),
    ).toThrow(/metadata.format must be 'facepar-sgd-v2', got "adam"/);
  });

  it('validates options with the bad value and the allowed ones', () => {
    expect(() => createSgd({ lr: -1 })).toThrow(/lr must be a finite number >= 0, got -1/);
    expect(() => createSgd({ lr: 0.1, momentum: 1 })).toThrow(
      /momentum must be a number in \[0, 1\), got 1/,
    );
    expect(() => createSgd({ lr: 0.1, nesterov: true })).toThrow(/nesterov needs momentum > 0/);
    expect(() => createSgd({ lr: 0.1, weightDecayMode: 'adamw' as unknown as 'l2' })).toThrow(
      /weightDecayMode must be one of l2, decoupled; got "adamw"/,
    );
    const opt = createSgd({ lr: 0.1 });
    expect(() => {
      opt.lr = Number.NaN;
    }).toThrow(/lr must be/);
  });
});
