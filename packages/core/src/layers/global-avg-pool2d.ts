import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { type Kwargs, type LayerArgs, nhwcShape, oneTensor } from './common.js';

export type GlobalAvgPool2dArgs = LayerArgs;

/** PyTorch `AdaptiveAvgPool2d(1)` over NHWC: `[N, H, W, C] -> [N, 1, 1, C]` (dims kept). */
export class GlobalAvgPool2d extends tfl.layers.Layer {
  static className = 'GlobalAvgPool2d';

  constructor(args: GlobalAvgPool2dArgs = {}) {
    super(args);
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [n, , , c] = nhwcShape(inputShape, this.name);
    return [n ?? null, 1, 1, c ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      return tf.mean(oneTensor(inputs, this.name), [1, 2], true);
    });
  }
}
