import { readTensor, readTensorSync } from '@facepar/core';
import * as tf from '@tensorflow/tfjs-core';

export type ArrayLayout = 'NCHW' | 'NHWC';

/**
 * Reads the layout of an image array from its shape: rank 3 (`[C,H,W]`/`[H,W,C]`) or rank 4.
 * The side with `channels` wins; when both sides have it, PyTorch's NCHW is assumed.
 */
export function detectArrayLayout(options: {
  shape: readonly number[];
  channels?: number;
}): ArrayLayout {
  const { shape } = options;
  const c = options.channels ?? 3;
  if (shape.length !== 3 && shape.length !== 4) {
    throw new Error(
      `image array must have rank 3 or 4 ([C,H,W], [H,W,C], [N,C,H,W] or [N,H,W,C]), got shape [${shape.join(', ')}]`,
    );
  }
  const first = shape[shape.length - 3]!;
  const last = shape[shape.length - 1]!;
  if (first === c) return 'NCHW';
  if (last === c) return 'NHWC';
  throw new Error(
    `image array shape [${shape.join(', ')}] has no ${c}-channel axis (expected NCHW or NHWC)`,
  );
}

/** An image array (NCHW or NHWC, rank 3 or 4) as an NHWC batch; the caller owns the tensor. */
export function arrayToNhwc(options: {
  data: Float32Array;
  shape: readonly number[];
  channels?: number;
}): tf.Tensor4D {
  const layout = detectArrayLayout(options);
  const shape = options.shape.length === 3 ? [1, ...options.shape] : [...options.shape];
  return tf.tidy(() => {
    const t = tf.tensor4d(options.data, shape as [number, number, number, number]);
    return layout === 'NCHW' ? tf.transpose(t, [0, 2, 3, 1]) : t;
  });
}

/** Runs `read` on the NCHW transpose of `t` and frees the transpose afterwards. */
function withNchw<R>(t: tf.Tensor4D, read: (nchw: tf.Tensor4D) => R): R {
  const nchw = tf.tidy(() => tf.transpose(t, [0, 3, 1, 2]));
  const done = () => nchw.dispose();
  try {
    const r = read(nchw);
    if (r instanceof Promise) return r.finally(done) as R;
    done();
    return r;
  } catch (e) {
    done();
    throw e;
  }
}

/**
 * NHWC tensor to NCHW data (PyTorch layout), e.g. for `.npy` logits. Reads synchronously: cpu,
 * wasm and tensorflow backends only (throws on webgpu; use `nhwcToNchwDataAsync`).
 */
export function nhwcToNchwData(t: tf.Tensor4D): { data: Float32Array; shape: number[] } {
  return withNchw(t, (nchw) => ({
    data: Float32Array.from(
      readTensorSync<'float32'>(nchw, {
        caller: 'nhwcToNchwData()',
        asyncAlternative: 'await nhwcToNchwDataAsync()',
      }),
    ),
    shape: nchw.shape,
  }));
}

/** `nhwcToNchwData`, read asynchronously: works on every backend (webgpu included). */
export function nhwcToNchwDataAsync(
  t: tf.Tensor4D,
): Promise<{ data: Float32Array; shape: number[] }> {
  return withNchw(t, async (nchw) => ({
    data: Float32Array.from(await readTensor<'float32'>(nchw)),
    shape: nchw.shape,
  }));
}

/** Blends palette colours of `labels` over an RGB image: `(1 - alpha)·image + alpha·colour`. */
export function overlayLabels(options: {
  rgb: Uint8Array;
  labels: Uint8Array;
  palette: ArrayLike<number>;
  alpha?: number;
}): Uint8Array {
  const { rgb, labels, palette } = options;
  const alpha = options.alpha ?? 0.5;
  if (rgb.length !== labels.length * 3) {
    throw new Error(`overlayLabels: ${rgb.length} RGB bytes do not match ${labels.length} labels`);
  }
  const out = new Uint8Array(rgb.length);
  for (let p = 0; p < labels.length; p++) {
    for (let k = 0; k < 3; k++) {
      const colour = palette[labels[p]! * 3 + k] ?? 0;
      out[p * 3 + k] = Math.round((1 - alpha) * rgb[p * 3 + k]! + alpha * colour);
    }
  }
  return out;
}
