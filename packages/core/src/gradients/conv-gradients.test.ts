import '../register.js';
import { expectNoTensorLeak } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_BACKENDS, useBackend } from '../backend/test-backends.test-helper.js';
import {
  conv2dReference,
  depthwiseReference,
  type Pads,
  randomArray,
  referencePads,
  relativeError,
} from './reference.test-helper.js';

type Pair = [number, number];
type PadCase = 'same' | 'valid' | Pads;

interface ConvCase {
  xShape: [number, number, number, number];
  kernel: Pair;
  strides: Pair;
  dilations: Pair;
  pad: PadCase;
  /** cout for conv2d, multiplier for depthwise. */
  channels: number;
}

const TOL = 1e-4;

function f32(a: Float64Array): Float64Array {
  return Float64Array.from(Float32Array.from(a));
}

function tfPad(pad: PadCase): 'same' | 'valid' | tf.backend_util.ExplicitPadding {
  if (pad === 'same' || pad === 'valid') return pad;
  return [
    [0, 0],
    [pad.top, pad.bottom],
    [pad.left, pad.right],
    [0, 0],
  ];
}

function label(kind: string, c: ConvCase): string {
  const pad =
    typeof c.pad === 'string'
      ? c.pad
      : `[${c.pad.top},${c.pad.bottom},${c.pad.left},${c.pad.right}]`;
  return `${kind} x${c.xShape.join('x')} k${c.kernel.join('x')} s${c.strides.join(',')} d${c.dilations.join(',')} ${pad} ch${c.channels}`;
}

const CONV_CASES: ConvCase[] = [];
for (const k of [1, 3]) {
  for (const s of [
    [1, 1],
    [2, 2],
    [2, 1],
  ] as Pair[]) {
    for (const pad of ['same', 'valid', { top: 1, bottom: 1, left: 1, right: 0 }] as PadCase[]) {
      CONV_CASES.push({
        xShape: [2, 7, 6, 3],
        kernel: [k, k],
        strides: s,
        dilations: [1, 1],
        pad,
        channels: 4,
      });
    }
  }
}
for (const d of [
  [2, 2],
  [2, 1],
  [3, 3],
] as Pair[]) {
  for (const pad of ['same', 'valid', { top: 2, bottom: 2, left: 2, right: 2 }] as PadCase[]) {
    CONV_CASES.push({
      xShape: [2, 7, 8, 3],
      kernel: [3, 3],
      strides: [1, 1],
      dilations: d,
      pad,
      channels: 4,
    });
  }
}
// ASPP-like: rate larger than the feature map, explicit symmetric padding = rate.
CONV_CASES.push({
  xShape: [1, 9, 10, 2],
  kernel: [3, 3],
  strides: [1, 1],
  dilations: [12, 12],
  pad: { top: 12, bottom: 12, left: 12, right: 12 },
  channels: 3,
});
CONV_CASES.push({
  xShape: [1, 8, 9, 2],
  kernel: [2, 3],
  strides: [1, 1],
  dilations: [2, 3],
  pad: 'same',
  channels: 2,
});

const DEPTHWISE_CASES: ConvCase[] = [];
for (const mult of [1, 2]) {
  for (const d of [1, 2, 3]) {
    for (const pad of ['same', 'valid', { top: d, bottom: d, left: d, right: d }] as PadCase[]) {
      DEPTHWISE_CASES.push({
        xShape: [2, 7, 8, 3],
        kernel: [3, 3],
        strides: [1, 1],
        dilations: [d, d],
        pad,
        channels: mult,
      });
    }
  }
  for (const s of [
    [2, 2],
    [2, 1],
  ] as Pair[]) {
    for (const pad of ['same', 'valid', { top: 1, bottom: 1, left: 1, right: 1 }] as PadCase[]) {
      DEPTHWISE_CASES.push({
        xShape: [2, 7, 8, 3],
        kernel: [3, 3],
        strides: s,
        dilations: [1, 1],
        pad,
        channels: mult,
      });
    }
  }
}
DEPTHWISE_CASES.push({
  xShape: [1, 6, 7, 4],
  kernel: [3, 3],
  strides: [1, 1],
  dilations: [12, 12],
  pad: { top: 12, bottom: 12, left: 12, right: 12 },
  channels: 1,
});

type Kind = 'conv2d' | 'depthwise';

function setup(kind: Kind, c: ConvCase, seed: number) {
  const [, h, w, cin] = c.xShape;
  const fShape: [number, number, number, number] = [c.kernel[0], c.kernel[1], cin, c.channels];
  const xv = f32(
    randomArray(
      c.xShape.reduce((a, b) => a * b),
      seed,
    ),
  );
  const fv = f32(
    randomArray(
      fShape.reduce((a, b) => a * b),
      seed + 1,
    ),
  );
  const pads = referencePads({
    size: [h, w],
    kernel: c.kernel,
    strides: c.strides,
    dilations: c.dilations,
    pad: c.pad,
  });
  const geometry = {
    xShape: c.xShape,
    kernel: c.kernel,
    strides: c.strides,
    dilations: c.dilations,
    pads,
  };
  const probe = kind === 'conv2d' ? conv2dReference : depthwiseReference;
  const shape = probe(geometry, xv, fv, c.channels, new Float64Array(0)).yShape;
  const rv = f32(
    randomArray(
      shape.reduce((a, b) => a * b),
      seed + 2,
    ),
  );
  const ref = probe(geometry, xv, fv, c.channels, rv);
  const op = (x: tf.Tensor4D, f: tf.Tensor4D) =>
    kind === 'conv2d'
      ? tf.conv2d(x, f, c.strides, tfPad(c.pad), 'NHWC', c.dilations)
      : tf.depthwiseConv2d(x, f, c.strides, tfPad(c.pad), 'NHWC', c.dilations);
  return { xv, fv, rv, fShape, ref, op };
}

async function checkCase(kind: Kind, c: ConvCase, seed: number) {
  const { xv, fv, rv, fShape, ref, op } = setup(kind, c, seed);
  const x = tf.tensor4d(Float32Array.from(xv), c.xShape);
  const f = tf.tensor4d(Float32Array.from(fv), fShape);
  const r = tf.tensor(Float32Array.from(rv), ref.yShape);
  const y = op(x, f);
  const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(op(a as tf.Tensor4D, b as tf.Tensor4D), r)),
  )([x, f]);
  expect(y.shape).toEqual(ref.yShape);
  expect(dx?.shape).toEqual(c.xShape);
  expect(df?.shape).toEqual(fShape);
  const errors = {
    y: relativeError(await y.data(), ref.y),
    dx: relativeError(await (dx as tf.Tensor).data(), ref.dx),
    dfilter: relativeError(await (df as tf.Tensor).data(), ref.dfilter),
  };
  tf.dispose([x, f, r, y, dx as tf.Tensor, df as tf.Tensor]);
  expect(errors.y).toBeLessThanOrEqual(TOL);
  expect(errors.dx).toBeLessThanOrEqual(TOL);
  expect(errors.dfilter).toBeLessThanOrEqual(TOL);
}

describe.each(TEST_BACKENDS)('conv gradients on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each(CONV_CASES.map((c, i) => [label('conv2d', c), c, i] as const))(
    '%s matches the float64 reference',
    async (_name, c, i) => {
      await checkCase('conv2d', c, 100 + i * 7);
    },
  );

  it.each(DEPTHWISE_CASES.map((c, i) => [label('depthwise', c), c, i] as const))(
    '%s matches the float64 reference',
    async (_name, c, i) => {
      await checkCase('depthwise', c, 500 + i * 7);
    },
  );

  it('dilated gradients leak no tensors', async () => {
    const x = tf.randomNormal([1, 6, 6, 2]) as tf.Tensor4D;
    const f = tf.randomNormal([3, 3, 2, 2]) as tf.Tensor4D;
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.add(
        tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same', 'NHWC', 2)),
        tf.sum(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same', 'NHWC', 3)),
      ),
    );
    await expectNoTensorLeak(() => g([x, f]), { label: 'dilated conv gradients' });
    tf.dispose([x, f]);
  });
});
