import * as tf from '@tensorflow/tfjs-core';
import { readTensor, readTensorSync } from '../backend/read-tensor.js';

export type WeightDecayMode = 'l2' | 'decoupled';

export interface SgdOptions {
  lr: number;
  momentum?: number;
  /** `l2` (PyTorch `SGD(weight_decay)`): `g + wd·w` enters the momentum buffer. */
  weightDecay?: number;
  /** `decoupled`: `w ← w·(1 − lr·wd)` separately from the gradient step (SGDW). */
  weightDecayMode?: WeightDecayMode;
  nesterov?: boolean;
}

export const DEFAULT_SGD_OPTIONS = {
  momentum: 0,
  weightDecay: 0,
  weightDecayMode: 'l2',
  nesterov: false,
} as const;

export const WEIGHT_DECAY_MODES: readonly WeightDecayMode[] = ['l2', 'decoupled'];

export type ResolvedSgdOptions = Required<SgdOptions>;

function checkLr(lr: unknown): number {
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) {
    throw new Error(`sgd: lr must be a finite number >= 0, got ${String(lr)}`);
  }
  return lr;
}

export function resolveSgdOptions(options: SgdOptions): ResolvedSgdOptions {
  const d = DEFAULT_SGD_OPTIONS;
  const lr = checkLr(options.lr);
  const momentum = options.momentum ?? d.momentum;
  const weightDecay = options.weightDecay ?? d.weightDecay;
  const weightDecayMode = options.weightDecayMode ?? d.weightDecayMode;
  const nesterov = options.nesterov ?? d.nesterov;
  if (typeof momentum !== 'number' || !(momentum >= 0 && momentum < 1)) {
    throw new Error(`sgd: momentum must be a number in [0, 1), got ${String(momentum)}`);
  }
  if (typeof weightDecay !== 'number' || !(weightDecay >= 0) || !Number.isFinite(weightDecay)) {
    throw new Error(`sgd: weightDecay must be a finite number >= 0, got ${String(weightDecay)}`);
  }
  if (!WEIGHT_DECAY_MODES.includes(weightDecayMode)) {
    throw new Error(
      `sgd: weightDecayMode must be one of ${WEIGHT_DECAY_MODES.join(', ')}; got ${JSON.stringify(weightDecayMode)}`,
    );
  }
  if (nesterov && momentum === 0) {
    throw new Error('sgd: nesterov needs momentum > 0 (PyTorch rule), got momentum 0');
  }
  return { lr, momentum, weightDecay, weightDecayMode, nesterov };
}

/** Serialisable optimiser state: the momentum buffers by variable name. */
export interface SgdState {
  lr: number;
  /** Number of `apply` calls so far. */
  step: number;
  momentumBuffers: Record<string, { shape: number[]; data: Float32Array }>;
}

export interface SgdApplyOptions {
  /** Gradients by variable name, as returned by `tf.variableGrads(...).grads`. */
  grads: tf.NamedTensorMap;
  /** The variables to update; those without a gradient are skipped (PyTorch: grad None). */
  variables: readonly tf.Variable[];
}

export interface Sgd {
  /** Current learning rate (settable, e.g. from `polyLr`). */
  lr: number;
  readonly options: Readonly<ResolvedSgdOptions>;
  /** One `torch.optim.SGD.step()`. Does not dispose `grads` (the caller owns them). */
  apply(options: SgdApplyOptions): void;
  /** The state, read asynchronously: works on every backend (webgpu included). */
  getStateAsync(): Promise<SgdState>;
  /** The state, read synchronously: cpu, wasm and tensorflow only (throws on webgpu). */
  getState(): SgdState;
  setState(state: SgdState): void;
  /** Frees the momentum buffers. */
  dispose(): void;
}

/**
 * SGD with `torch.optim.SGD` semantics (dampening 0): `d = g + wd·w`;
 * `buf = d` on the first step, then `buf = momentum·buf + d`; nesterov `d = d + momentum·buf`,
 * else `d = buf`; `w -= lr·d`. tfjs optimizers have no weight decay, hence this one.
 */
export function createSgd(options: SgdOptions): Sgd {
  const o = resolveSgdOptions(options);
  let lr = o.lr;
  let step = 0;
  const buffers = new Map<string, tf.Tensor>();
  const stateOf = (
    at: { lr: number; step: number },
    read: [string, readonly number[], Float32Array][],
  ): SgdState => {
    const momentumBuffers: SgdState['momentumBuffers'] = {};
    for (const [name, shape, data] of read) {
      momentumBuffers[name] = { shape: [...shape], data: Float32Array.from(data) };
    }
    return { lr: at.lr, step: at.step, momentumBuffers };
  };

  const apply = ({ grads, variables }: SgdApplyOptions) => {
    tf.tidy(() => {
      for (const v of variables) {
        const g = grads[v.name];
        if (g == null) continue;
        if (!v.trainable) continue;
        let w: tf.Tensor = v;
        if (o.weightDecay !== 0 && o.weightDecayMode === 'decoupled') {
          w = tf.mul(w, 1 - lr * o.weightDecay);
        }
        let d: tf.Tensor = g;
        if (o.weightDecay !== 0 && o.weightDecayMode === 'l2')
          d = tf.add(d, tf.mul(v, o.weightDecay));
        if (o.momentum !== 0) {
          const old = buffers.get(v.name);
          const buf = tf.keep(old == null ? tf.clone(d) : tf.add(tf.mul(old, o.momentum), d));
          old?.dispose();
          buffers.set(v.name, buf);
          d = o.nesterov ? tf.add(d, tf.mul(buf, o.momentum)) : buf;
        }
        v.assign(tf.sub(w, tf.mul(d, lr)));
      }
    });
    step++;
  };

  return {
    get lr() {
      return lr;
    },
    set lr(value: number) {
      lr = checkLr(value);
    },
    options: o,
    apply,
    async getStateAsync() {
      // lr, step and every read are taken before the first await: an apply() meanwhile
      // cannot mix two steps into one state.
      const at = { lr, step };
      const entries = [...buffers];
      const values = await Promise.all(entries.map(([, t]) => readTensor<'float32'>(t)));
      return stateOf(
        at,
        entries.map(([name, t], i) => [name, t.shape, values[i] as Float32Array]),
      );
    },
    getState() {
      return stateOf(
        { lr, step },
        [...buffers].map(([name, t]) => [
          name,
          t.shape,
          readTensorSync<'float32'>(t, {
            caller: 'sgd.getState()',
            asyncAlternative: 'await sgd.getStateAsync()',
          }),
        ]),
      );
    },
    setState(state) {
      lr = checkLr(state.lr);
      if (!Number.isInteger(state.step) || state.step < 0) {
        throw new Error(`sgd: state.step must be an integer >= 0, got ${String(state.step)}`);
      }
      const next = new Map<string, tf.Tensor>();
      for (const [name, b] of Object.entries(state.momentumBuffers)) {
        let n = 1;
        for (const s of b.shape) n *= s;
        if (!(b.data instanceof Float32Array) || b.data.length !== n) {
          throw new Error(
            `sgd: momentum buffer '${name}' has ${b.data?.length} values, shape [${b.shape.join(', ')}] needs ${n}`,
          );
        }
        next.set(name, tf.tensor(b.data.slice(), b.shape, 'float32'));
      }
      for (const t of buffers.values()) t.dispose();
      buffers.clear();
      for (const [k, t] of next) buffers.set(k, t);
      step = state.step;
    },
    dispose() {
      for (const t of buffers.values()) t.dispose();
      buffers.clear();
    },
  };
}
