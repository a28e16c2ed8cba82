import * as tf from '@tensorflow/tfjs-core';

// TODO(move to @facepar/core): replace with core's `createSgd` once it lands; this is the
// minimal PyTorch `torch.optim.SGD` the loop needs (L2 weight decay added to the gradient,
// momentum buffer initialised to the first gradient, no dampening).

export interface SgdOptions {
  momentum: number;
  weightDecay: number;
}

export interface SgdStepOptions {
  variables: readonly tf.Variable[];
  /** Gradients keyed by `variable.name`. */
  grads: tf.NamedTensorMap;
  lr: number;
}

/** Momentum SGD with state that can be saved and restored exactly (buffers by variable index). */
export class Sgd {
  readonly momentum: number;
  readonly weightDecay: number;
  private buffers: (tf.Variable | undefined)[] = [];

  constructor(options: SgdOptions) {
    const { momentum, weightDecay } = options;
    if (!(momentum >= 0 && momentum < 1)) {
      throw new Error(`momentum must be in [0, 1), got ${momentum}`);
    }
    if (!(weightDecay >= 0)) throw new Error(`weightDecay must be >= 0, got ${weightDecay}`);
    this.momentum = momentum;
    this.weightDecay = weightDecay;
  }

  step(options: SgdStepOptions): void {
    const { variables, grads, lr } = options;
    tf.tidy(() => {
      variables.forEach((v, i) => {
        const g0 = grads[v.name];
        if (!g0) return;
        const g = this.weightDecay > 0 ? tf.add(g0, tf.mul(v, this.weightDecay)) : g0;
        let update = g;
        if (this.momentum > 0) {
          const buf = this.buffers[i];
          if (buf === undefined) {
            this.buffers[i] = tf.variable(g, false);
          } else {
            buf.assign(tf.add(tf.mul(buf, this.momentum), g));
          }
          update = this.buffers[i]!;
        }
        v.assign(tf.sub(v, tf.mul(update, lr)));
      });
    });
  }

  /** Momentum buffers (`momentum.<index>`), read synchronously; the caller owns nothing. */
  stateTensors(): { name: string; tensor: tf.Tensor }[] {
    return this.buffers.flatMap((b, i) => (b ? [{ name: `momentum.${i}`, tensor: b }] : []));
  }

  /** Restores buffers saved by `stateTensors` (values are copied). */
  loadState(entries: readonly { name: string; tensor: tf.Tensor }[]): void {
    this.dispose();
    for (const { name, tensor } of entries) {
      const m = /^momentum\.(\d+)$/.exec(name);
      if (!m) throw new Error(`unexpected optimizer state entry '${name}'`);
      this.buffers[Number(m[1])] = tf.variable(tensor, false);
    }
  }

  dispose(): void {
    for (const b of this.buffers) b?.dispose();
    this.buffers = [];
  }
}
