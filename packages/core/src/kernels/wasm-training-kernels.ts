import * as tf from '@tensorflow/tfjs-core';
import { asTensor, pair, padOrCrop, zeroUpsample } from './kernel-utils.js';

/**
 * Training kernels for the tfjs wasm backend, which in 4.22 lacks the filter/input gradients of
 * convolutions and UnsortedSegmentSum (gather's gradient). Each is built from wasm-backed ops so
 * the heavy work runs as one XNNPACK convolution:
 * - Conv2DBackpropFilter: the filter gradient is itself a convolution of the padded input
 *   (channels as batch, batch as channels) with dy as the filter, dilated by the stride.
 * - Conv2DBackpropInput: dy zero-upsampled by the stride, convolved with the flipped filter
 *   (replaces wasm's native kernel, which is several times slower than its forward conv).
 * - DepthwiseConv2dNativeBackpropFilter / BackpropInput: the same two identities, depthwise.
 * - UnsortedSegmentSum: ScatterNd, which sums duplicate indices.
 * - MaxPoolGrad: replaces wasm's, which returns wrong gradients when every value in a window is
 *   negative (it also breaks MaxPoolWithArgmax). Each window tap is compared with the pooled
 *   output; the first tap equal to the maximum takes dy (PyTorch's first-max rule), and taps are
 *   placed back by zero-upsampling and shifting.
 */

function convInfo(
  xShape: number[],
  filterShape: number[],
  attrs: tf.NamedAttrMap,
  depthwise: boolean,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    pair(attrs.strides),
    pair(attrs.dilations),
    attrs.pad as 'same' | 'valid' | number | tf.backend_util.ExplicitPadding,
    (attrs.dimRoundingMode ?? undefined) as 'floor' | 'round' | 'ceil' | undefined,
    depthwise,
    'channelsLast',
  );
}

function checkNhwc(kernel: string, attrs: tf.NamedAttrMap): void {
  const format = attrs.dataFormat as string | undefined;
  if (format != null && format !== 'NHWC') {
    throw new Error(
      `${kernel} (facepar wasm): dataFormat '${format}' is not supported; allowed: 'NHWC'`,
    );
  }
}

/** dW[kh,kw,ci,co] = Σ xpad[n, oy·s + kh·d, ox·s + kw·d, ci] · dy[n, oy, ox, co]. */
function filterGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  info: tf.backend_util.Conv2DInfo,
): tf.Tensor4D {
  const {
    padInfo,
    strideHeight: sh,
    strideWidth: sw,
    dilationHeight: dh,
    dilationWidth: dw,
  } = info;
  const { filterHeight: kh, filterWidth: kw } = info;
  const [ho, wo] = [dy.shape[1], dy.shape[2]];
  // Rows actually read by the forward pass: (ho-1)·s + (kh-1)·d + 1.
  const needH = (ho - 1) * sh + (kh - 1) * dh + 1;
  const needW = (wo - 1) * sw + (kw - 1) * dw + 1;
  const [, h, w] = x.shape;
  const xp = padOrCrop(x, [
    padInfo.top,
    needH - h - padInfo.top,
    padInfo.left,
    needW - w - padInfo.left,
  ]);
  // [Ci, Hp, Wp, N] * [Ho, Wo, N, Co], stride = forward dilation, dilation = forward stride.
  const xt = tf.transpose(xp, [3, 1, 2, 0]);
  const dyt = tf.transpose(dy, [1, 2, 0, 3]);
  if (dh > 1 || dw > 1) {
    if (sh > 1 || sw > 1) {
      throw new Error(
        'Conv2DBackpropFilter (facepar wasm): strides and dilations > 1 together are not supported',
      );
    }
    // out[ci, i, j, co] at i = kh·d: stride d, dilation 1.
    const out = tf.conv2d(xt, dyt, [dh, dw], 'valid');
    return tf.transpose(
      tf.slice(out, [0, 0, 0, 0], [xt.shape[0], kh, kw, dy.shape[3]]),
      [1, 2, 0, 3],
    );
  }
  const out = tf.conv2d(xt, dyt, 1, 'valid', 'NHWC', [sh, sw]);
  return tf.transpose(out, [1, 2, 0, 3]);
}

const conv2dBackpropFilter: tf.KernelFunc = ({ inputs, attrs }) => {
  checkNhwc('Conv2DBackpropFilter', attrs as tf.NamedAttrMap);
  return tf.tidy(() => {
    const x = asTensor<tf.Tensor4D>(inputs.x as tf.TensorInfo);
    const dy = asTensor<tf.Tensor4D>(inputs.dy as tf.TensorInfo);
    const filterShape = (attrs as tf.NamedAttrMap).filterShape as number[];
    const info = convInfo(x.shape, filterShape, attrs as tf.NamedAttrMap, false);
    return filterGradient(x, dy, info);
  });
};

/** dy zero-upsampled by the stride and padded so a valid stride-1 conv yields [N,H,W,·]. */
function fullPadDy(
  dy: tf.Tensor4D,
  info: tf.backend_util.Conv2DInfo,
  inShape: number[],
): tf.Tensor4D {
  const { padInfo, strideHeight: sh, strideWidth: sw } = info;
  const effH = info.effectiveFilterHeight;
  const effW = info.effectiveFilterWidth;
  const up = zeroUpsample(dy, [sh, sw]);
  const [h, w] = [inShape[1] as number, inShape[2] as number];
  const top = effH - 1 - padInfo.top;
  const left = effW - 1 - padInfo.left;
  return padOrCrop(up, [
    top,
    h + effH - 1 - top - up.shape[1],
    left,
    w + effW - 1 - left - up.shape[2],
  ]);
}

const conv2dBackpropInput: tf.KernelFunc = ({ inputs, attrs }) => {
  checkNhwc('Conv2DBackpropInput', attrs as tf.NamedAttrMap);
  return tf.tidy(() => {
    const dy = asTensor<tf.Tensor4D>(inputs.dy as tf.TensorInfo);
    const filter = asTensor<tf.Tensor4D>(inputs.filter as tf.TensorInfo);
    const inShape = (attrs as tf.NamedAttrMap).inputShape as number[];
    const info = convInfo(inShape, filter.shape, attrs as tf.NamedAttrMap, false);
    const dyp = fullPadDy(dy, info, inShape);
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]);
    return tf.conv2d(dyp, flipped, 1, 'valid');
  });
};

/** Channel m of every group: dy[..., c·mult + m] for c < C, as [N, Ho, Wo, C]. */
function multiplierSlice(dy: tf.Tensor4D, mult: number, m: number): tf.Tensor4D {
  if (mult === 1) return dy;
  const c = dy.shape[3] / mult;
  const idx = tf.tensor1d(
    Int32Array.from({ length: c }, (_, i) => i * mult + m),
    'int32',
  );
  return tf.gather(dy, idx, 3);
}

const depthwiseBackpropFilter: tf.KernelFunc = ({ inputs, attrs }) => {
  return tf.tidy(() => {
    const x = asTensor<tf.Tensor4D>(inputs.x as tf.TensorInfo);
    const dy = asTensor<tf.Tensor4D>(inputs.dy as tf.TensorInfo);
    const filterShape = (attrs as tf.NamedAttrMap).filterShape as number[];
    const info = convInfo(x.shape, filterShape, attrs as tf.NamedAttrMap, true);
    const {
      padInfo,
      strideHeight: sh,
      strideWidth: sw,
      dilationHeight: dh,
      dilationWidth: dw,
    } = info;
    const [kh, kw, c, mult] = filterShape as [number, number, number, number];
    const [n, h, w] = x.shape;
    const [ho, wo] = [dy.shape[1], dy.shape[2]];
    if ((dh > 1 || dw > 1) && (sh > 1 || sw > 1)) {
      throw new Error(
        'DepthwiseConv2dNativeBackpropFilter (facepar wasm): strides and dilations > 1 together are not supported',
      );
    }
    const needH = (ho - 1) * sh + (kh - 1) * dh + 1;
    const needW = (wo - 1) * sw + (kw - 1) * dw + 1;
    const xp = padOrCrop(x, [
      padInfo.top,
      needH - h - padInfo.top,
      padInfo.left,
      needW - w - padInfo.left,
    ]);
    // (c, n) pairs become depthwise channels: x as [1, Hp, Wp, C·N], dy as the [Ho, Wo, C·N, 1] filter.
    const xt = tf.reshape(tf.transpose(xp, [1, 2, 3, 0]), [1, needH, needW, c * n]) as tf.Tensor4D;
    const parts: tf.Tensor[] = [];
    for (let m = 0; m < mult; m++) {
      const dym = multiplierSlice(dy, mult, m);
      const f = tf.reshape(tf.transpose(dym, [1, 2, 3, 0]), [ho, wo, c * n, 1]) as tf.Tensor4D;
      const out =
        dh > 1 || dw > 1
          ? tf.slice(tf.depthwiseConv2d(xt, f, [dh, dw], 'valid'), [0, 0, 0, 0], [1, kh, kw, c * n])
          : tf.depthwiseConv2d(xt, f, 1, 'valid', 'NHWC', [sh, sw]);
      parts.push(tf.sum(tf.reshape(out, [kh, kw, c, n]), 3));
    }
    return tf.stack(parts, 3);
  });
};

const depthwiseBackpropInput: tf.KernelFunc = ({ inputs, attrs }) => {
  return tf.tidy(() => {
    const dy = asTensor<tf.Tensor4D>(inputs.dy as tf.TensorInfo);
    const filter = asTensor<tf.Tensor4D>(inputs.filter as tf.TensorInfo);
    const inShape = (attrs as tf.NamedAttrMap).inputShape as number[];
    const info = convInfo(inShape, filter.shape, attrs as tf.NamedAttrMap, true);
    const [kh, kw, c, mult] = filter.shape;
    const dyp = fullPadDy(dy, info, inShape);
    // Every dy channel c·mult+m convolved with its own flipped filter tap set, then summed over m.
    const flipped = tf.reshape(tf.reverse(filter, [0, 1]), [kh, kw, c * mult, 1]) as tf.Tensor4D;
    const out = tf.depthwiseConv2d(dyp, flipped, 1, 'valid', 'NHWC', [
      info.dilationHeight,
      info.dilationWidth,
    ]);
    if (mult === 1) return out;
    const [n, h, w] = out.shape;
    return tf.reshape(tf.sum(tf.reshape(out, [n * h * w * c, mult]), 1), [n, h, w, c]);
  });
};

const unsortedSegmentSum: tf.KernelFunc = ({ inputs, attrs }) => {
  return tf.tidy(() => {
    const x = asTensor(inputs.x as tf.TensorInfo);
    const ids = asTensor(inputs.segmentIds as tf.TensorInfo);
    const numSegments = (attrs as tf.NamedAttrMap).numSegments as number;
    if (ids.rank !== 1) {
      throw new Error(
        `UnsortedSegmentSum (facepar wasm): segmentIds must be rank 1, got rank ${ids.rank}`,
      );
    }
    const shape = [numSegments, ...x.shape.slice(1)];
    return tf.scatterND(tf.reshape(tf.cast(ids, 'int32'), [-1, 1]), x, shape);
  });
};

const maxPoolGrad: tf.KernelFunc = ({ inputs, attrs }) => {
  return tf.tidy(() => {
    const dy = asTensor<tf.Tensor4D>(inputs.dy as tf.TensorInfo);
    const x = asTensor<tf.Tensor4D>(inputs.input as tf.TensorInfo);
    const y = asTensor<tf.Tensor4D>(inputs.output as tf.TensorInfo);
    const a = attrs as tf.NamedAttrMap;
    const info = tf.backend_util.computePool2DInfo(
      x.shape,
      a.filterSize as [number, number] | number,
      a.strides as [number, number] | number,
      1,
      a.pad as 'same' | 'valid' | number | tf.backend_util.ExplicitPadding,
      (a.dimRoundingMode ?? undefined) as 'floor' | 'round' | 'ceil' | undefined,
    );
    const { padInfo, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
    const [n, h, w, c] = x.shape;
    const [ho, wo] = [dy.shape[1], dy.shape[2]];
    const needH = (ho - 1) * sh + kh;
    const needW = (wo - 1) * sw + kw;
    // -inf padding: padded cells never equal the maximum of a window that has a real cell.
    const xp = tf.pad(
      x,
      [
        [0, 0],
        [padInfo.top, Math.max(needH - h - padInfo.top, 0)],
        [padInfo.left, Math.max(needW - w - padInfo.left, 0)],
        [0, 0],
      ],
      Number.NEGATIVE_INFINITY,
    );
    let taken = tf.zeros([n, ho, wo, c], 'bool');
    let acc: tf.Tensor4D | undefined;
    const zeros = tf.zerosLike(dy);
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const tap = tf.stridedSlice(
          xp,
          [0, i, j, 0],
          [n, i + (ho - 1) * sh + 1, j + (wo - 1) * sw + 1, c],
          [1, sh, sw, 1],
        );
        const hit = tf.logicalAnd(tf.equal(tap, y), tf.logicalNot(taken));
        taken = tf.logicalOr(taken, hit);
        const placed = padOrCrop(zeroUpsample(tf.where(hit, dy, zeros), [sh, sw]), [
          i,
          needH - i - ho * sh,
          j,
          needW - j - wo * sw,
        ]);
        acc = acc === undefined ? placed : tf.add(acc, placed);
      }
    }
    return padOrCrop(acc as tf.Tensor4D, [
      -padInfo.top,
      h + padInfo.top - needH,
      -padInfo.left,
      w + padInfo.left - needW,
    ]);
  });
};

/** Kernels facepar registers for `wasm`, in registration order. */
export const WASM_TRAINING_KERNELS: readonly {
  kernelName: string;
  kernelFunc: tf.KernelFunc;
  replaces: boolean;
}[] = [
  { kernelName: 'Conv2DBackpropFilter', kernelFunc: conv2dBackpropFilter, replaces: false },
  { kernelName: 'Conv2DBackpropInput', kernelFunc: conv2dBackpropInput, replaces: true },
  {
    kernelName: 'DepthwiseConv2dNativeBackpropFilter',
    kernelFunc: depthwiseBackpropFilter,
    replaces: false,
  },
  {
    kernelName: 'DepthwiseConv2dNativeBackpropInput',
    kernelFunc: depthwiseBackpropInput,
    replaces: false,
  },
  { kernelName: 'UnsortedSegmentSum', kernelFunc: unsortedSegmentSum, replaces: false },
  { kernelName: 'MaxPoolGrad', kernelFunc: maxPoolGrad, replaces: true },
];

const registered = new Set<string>();

/**
 * Registers facepar's training kernels for the wasm backend (idempotent). Call after
 * `@tensorflow/tfjs-backend-wasm` is imported, so the kernels it ships are replaced, not the
 * other way round; `initBackend({ backend: 'wasm' })` does this.
 */
export function registerWasmTrainingKernels(options: { backendName?: string } = {}): string[] {
  const backendName = options.backendName ?? 'wasm';
  const done: string[] = [];
  for (const k of WASM_TRAINING_KERNELS) {
    const key = `${backendName}/${k.kernelName}`;
    if (registered.has(key)) continue;
    const existing = tf.getKernel(k.kernelName, backendName);
    if (existing !== undefined) {
      if (!k.replaces) continue;
      tf.unregisterKernel(k.kernelName, backendName);
    }
    tf.registerKernel({ kernelName: k.kernelName, backendName, kernelFunc: k.kernelFunc });
    registered.add(key);
    done.push(k.kernelName);
  }
  return done;
}
