import * as tf from '@tensorflow/tfjs-core';

/**
 * `FusedBatchNorm` gradient, the same formulas as tfjs-core's but without its `tile` of the
 * per-channel factor to the full activation shape (broadcasting does that). On wasm the tile
 * alone cost about a fifth of a ResNet training step (the generic Tile kernel is slow).
 */
export const batchNormGradConfig: tf.GradConfig = {
  kernelName: 'FusedBatchNorm',
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy, saved, attrs) => {
    const [x, mean, variance, scale] = saved as [
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
      tf.Tensor | undefined,
    ];
    const eps = attrs.varianceEpsilon as number;
    const d = dy as tf.Tensor;
    const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
    const reduce = (t: tf.Tensor) => tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, mean.shape);
    const rsqrt = () => tf.rsqrt(tf.add(variance, eps));
    const scaled = () => (scale == null ? d : tf.mul(d, scale));
    return {
      x: () => tf.reshape(tf.mul(d, scale == null ? rsqrt() : tf.mul(rsqrt(), scale)), x.shape),
      mean: () => reduce(tf.mul(scaled(), tf.neg(rsqrt()))),
      variance: () => {
        const r = rsqrt();
        const minusHalfRCube = tf.mul(tf.mul(tf.mul(r, r), r), -0.5);
        return reduce(tf.mul(tf.mul(scaled(), tf.sub(x, mean)), minusHalfRCube));
      },
      scale: () => reduce(tf.mul(d, tf.mul(tf.sub(x, mean), rsqrt()))),
      offset: () => reduce(d),
    };
  },
};
