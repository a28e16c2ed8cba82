import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { hostBatchNormBackward, hostBatchNormForward } from './batch-norm-f64.js';
import { type Kwargs, type LayerArgs, nhwcShape, oneTensor, withoutTape } from './common.js';

export interface BatchNorm2dArgs extends LayerArgs {
  /** Added to the variance (PyTorch default 1e-5). */
  eps?: number;
  /** PyTorch convention: `running = (1 - momentum)·running + momentum·batch` (default 0.1). */
  momentum?: number;
  /** mmseg `norm_eval`: always normalise with the running statistics, never update them. */
  normEval?: boolean;
}

export const DEFAULT_BATCH_NORM2D_ARGS = { eps: 1e-5, momentum: 0.1, normEval: false } as const;

export interface ResolvedBatchNorm2dArgs {
  eps: number;
  momentum: number;
  normEval: boolean;
}

export function resolveBatchNorm2dArgs(args: BatchNorm2dArgs): ResolvedBatchNorm2dArgs {
  const layer = `BatchNorm2d ${args.name ?? ''}`.trim();
  const eps = args.eps ?? DEFAULT_BATCH_NORM2D_ARGS.eps;
  const momentum = args.momentum ?? DEFAULT_BATCH_NORM2D_ARGS.momentum;
  const normEval = args.normEval ?? DEFAULT_BATCH_NORM2D_ARGS.normEval;
  if (!(typeof eps === 'number' && eps > 0 && Number.isFinite(eps))) {
    throw new Error(`${layer}: eps must be a finite number > 0, got ${eps}`);
  }
  if (!(typeof momentum === 'number' && momentum >= 0 && momentum <= 1)) {
    throw new Error(`${layer}: momentum must be a number in [0, 1], got ${momentum}`);
  }
  if (typeof normEval !== 'boolean') {
    throw new Error(`${layer}: normEval must be true or false, got ${String(normEval)}`);
  }
  return { eps, momentum, normEval };
}

/**
 * PyTorch `BatchNorm2d` over NHWC channels. Training (`apply(x, { training: true })`)
 * normalises with the batch mean and biased variance and updates the running statistics with
 * the unbiased variance; eval (or `normEval`) uses the running statistics. Weights: `gamma`,
 * `beta` (trainable), `moving_mean`, `moving_variance` (not trainable).
 */
/**
 * Training-mode batch norm over N, H, W (biased batch variance), with the analytic gradient.
 * Keeps only x, mean, 1/std and gamma for the backward pass: `tf.moments` + `tf.batchNorm` tape
 * two more activation-sized tensors per layer (x − mean and its square), which dominated the
 * memory of a ResNet training step. `onMoments` receives the batch mean and biased variance
 * (for running statistics); they are disposed afterwards.
 */
function batchNormTraining(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
  onMoments: (mean: tf.Tensor1D, variance: tf.Tensor1D) => void,
): tf.Tensor4D {
  const count = x.shape[0] * x.shape[1] * x.shape[2];
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, g, b] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
    const save = args[3] as tf.GradSaveFunc;
    // wasm/cpu: float64 statistics and output on the host (batch-norm-f64.ts); else tfjs ops
    const host = hostBatchNormForward({ x: xIn, gamma: g, beta: b, eps });
    const { mean, variance } =
      host ?? (tf.moments(xIn, [0, 1, 2]) as { mean: tf.Tensor1D; variance: tf.Tensor1D });
    onMoments(mean, variance);
    const invStd = tf.rsqrt(tf.add(variance, eps));
    save([xIn, mean, invStd, g]);
    const value = host?.y ?? tf.batchNorm(xIn, mean, variance, b, g, eps);
    tf.dispose([mean, variance]);
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const d = dy as tf.Tensor4D;
          const [xs, m, r, gm] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
          const hostGrads =
            host === null
              ? null
              : hostBatchNormBackward({ dy: d, x: xs, gamma: gm, stats: host.exact });
          if (hostGrads !== null) return [hostGrads.dx, hostGrads.dGamma, hostGrads.dBeta];
          const xc = tf.sub(xs, m);
          const dBeta = tf.sum(d, [0, 1, 2]);
          // dgamma = Σ dy·x̂ with x̂ = (x − mean)·r
          const dGamma = tf.mul(tf.sum(tf.mul(d, xc), [0, 1, 2]), r);
          // dx = γr·(dy − Σdy/N − x̂·Σ(dy·x̂)/N) = k1·dy + k2·(x − mean) + k3, per channel k
          const k1 = tf.mul(gm, r);
          const k2 = tf.mul(tf.mul(k1, r), tf.div(tf.neg(dGamma), count));
          const k3 = tf.mul(k1, tf.div(tf.neg(dBeta), count));
          const dx = tf.add(tf.add(tf.mul(d, k1), tf.mul(xc, k2)), k3);
          return [dx, dGamma, dBeta];
        }),
    };
  });
  return f(x, gamma, beta) as tf.Tensor4D;
}

export class BatchNorm2d extends tfl.layers.Layer {
  static className = 'BatchNorm2d';
  readonly eps: number;
  readonly momentum: number;
  readonly normEval: boolean;
  gamma: tfl.LayerVariable | null = null;
  beta: tfl.LayerVariable | null = null;
  movingMean: tfl.LayerVariable | null = null;
  movingVariance: tfl.LayerVariable | null = null;

  constructor(args: BatchNorm2dArgs = {}) {
    super(args);
    const r = resolveBatchNorm2dArgs(args);
    this.eps = r.eps;
    this.momentum = r.momentum;
    this.normEval = r.normEval;
    this.supportsMasking = true;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const c = nhwcShape(inputShape, this.name)[3];
    if (c == null) throw new Error(`layer ${this.name}: the channel axis must be known`);
    const ones = tfl.initializers.ones();
    const zeros = tfl.initializers.zeros();
    this.gamma = this.addWeight('gamma', [c], 'float32', ones, undefined, true);
    this.beta = this.addWeight('beta', [c], 'float32', zeros, undefined, true);
    this.movingMean = this.addWeight('moving_mean', [c], 'float32', zeros, undefined, false);
    this.movingVariance = this.addWeight('moving_variance', [c], 'float32', ones, undefined, false);
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return nhwcShape(inputShape, this.name);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      const x = oneTensor(inputs, this.name) as tf.Tensor4D;
      const gamma = this.gamma!.read() as tf.Tensor1D;
      const beta = this.beta!.read() as tf.Tensor1D;
      const training = kwargs?.training === true && !this.normEval;
      if (!training) {
        return tf.batchNorm(
          x,
          this.movingMean!.read() as tf.Tensor1D,
          this.movingVariance!.read() as tf.Tensor1D,
          beta,
          gamma,
          this.eps,
        );
      }
      const [n, h, w] = x.shape;
      const count = n * h * w;
      if (count < 2) {
        throw new Error(
          `layer ${this.name}: training needs more than 1 value per channel, got input shape [${x.shape.join(', ')}]`,
        );
      }
      return batchNormTraining(x, gamma, beta, this.eps, (mean, variance) =>
        withoutTape(() => this.updateRunningStats(mean, variance, count)),
      );
    });
  }

  /** running ← (1 - m)·running + m·batch, with the unbiased batch variance (PyTorch). */
  private updateRunningStats(mean: tf.Tensor, biasedVariance: tf.Tensor, count: number): void {
    tf.tidy(() => {
      const m = this.momentum;
      const mm = this.movingMean!;
      const mv = this.movingVariance!;
      const unbiased = tf.mul(biasedVariance, count / (count - 1));
      mm.write(tf.add(tf.mul(mm.read(), 1 - m), tf.mul(mean, m)));
      mv.write(tf.add(tf.mul(mv.read(), 1 - m), tf.mul(unbiased, m)));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      eps: this.eps,
      momentum: this.momentum,
      normEval: this.normEval,
    };
  }
}
