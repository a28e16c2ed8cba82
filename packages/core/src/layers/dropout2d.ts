import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { type Kwargs, type LayerArgs, nhwcShape, oneTensor, tfjsSeed } from './common.js';

export interface Dropout2dArgs extends LayerArgs {
  /** Probability of zeroing a whole channel of one sample, in [0, 1). */
  rate: number;
  /** Makes the masks reproducible: call k uses seed `seed + k`. */
  seed?: number;
}

export function resolveDropout2dArgs(args: Dropout2dArgs): { rate: number } {
  const layer = `Dropout2d ${args.name ?? ''}`.trim();
  const rate = args.rate;
  if (!(typeof rate === 'number' && rate >= 0 && rate < 1)) {
    throw new Error(`${layer}: rate must be a number in [0, 1), got ${String(rate)}`);
  }
  return { rate };
}

/**
 * PyTorch `Dropout2d`: in training, zeroes whole channels (per sample) with probability `rate`
 * and scales the rest by `1 / (1 - rate)`; identity in eval.
 */
export class Dropout2d extends tfl.layers.Layer {
  static className = 'Dropout2d';
  readonly rate: number;
  readonly seed: number | undefined;
  /**
   * Training calls so far: call k draws its mask with seed `seed + step`. A trainer sets it
   * from the iteration so that a resumed run draws the same masks.
   */
  step = 0;

  constructor(args: Dropout2dArgs) {
    super(args);
    this.rate = resolveDropout2dArgs(args).rate;
    this.seed = args.seed ?? undefined;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return nhwcShape(inputShape, this.name);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      const x = oneTensor(inputs, this.name);
      if (kwargs?.training !== true || this.rate === 0) return tf.clone(x);
      const keep = 1 - this.rate;
      const seed = this.seed == null ? undefined : tfjsSeed(this.seed + this.step++);
      const u = tf.randomUniform([x.shape[0]!, 1, 1, x.shape[3]!], 0, 1, 'float32', seed);
      const mask = tf.div(tf.floor(tf.add(u, keep)), keep);
      return tf.mul(x, mask);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed ?? null };
  }
}
