import type * as tf from '@tensorflow/tfjs-core';

/** PyTorch-style symmetric padding: one int for both axes, or [h, w]. */
export type TorchPadding = number | readonly [number, number];

/** Explicit NHWC pad array for tfjs conv/depthwise/max-pool ops. */
export type ExplicitPadding = tf.backend_util.ExplicitPadding;

function checkPad(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${what} must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * PyTorch `padding=p` (symmetric) as the explicit pad array tfjs ops accept:
 * `torchPadding(1)` → `[[0,0],[1,1],[1,1],[0,0]]`. TF `'same'` differs at stride 2 (it pads
 * bottom/right only), so ported weights need this form.
 */
export function torchPadding(padding: TorchPadding): ExplicitPadding {
  const [ph, pw] =
    typeof padding === 'number'
      ? [padding, padding]
      : Array.isArray(padding) && padding.length === 2
        ? padding
        : [Number.NaN, Number.NaN];
  if (Number.isNaN(ph) && Number.isNaN(pw)) {
    throw new Error(`padding must be a number or [h, w], got ${JSON.stringify(padding)}`);
  }
  checkPad(ph as number, 'padding[0] (height)');
  checkPad(pw as number, 'padding[1] (width)');
  return [
    [0, 0],
    [ph as number, ph as number],
    [pw as number, pw as number],
    [0, 0],
  ];
}
