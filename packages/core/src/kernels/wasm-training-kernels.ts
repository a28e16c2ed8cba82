import * as tf from '@tensorflow/tfjs-core';
import { markDilationAwareBackprop } from '../gradients/conv-gradients.js';
import { conv2dFilterGradient, conv2dInputGradient } from './conv-backprop.js';
import { asTensor, flipSpatial, pair, padOrCrop, zeroUpsample } from './kernel-utils.js';
import { conv2dChannelSplit } from './conv-split.js';
import { meanF64, sumF64 } from './reduce-f64.js';
import { rememberReplacedKernel } from './replaced-kernels.js';

/**
 * Training kernels for the tfjs wasm backend, which in 4.22 lacks the filter/input gradients of
 * convolutions and UnsortedSegmentSum (gather's gradient). Each is built from wasm-backed ops so
 * the heavy work runs in XNNPACK:
 * - Conv2DBackpropFilter / Conv2DBackpropInput: matmuls and sub-pixel convolutions at the
 *   forward's FLOPs (`conv-backprop.ts`); the input kernel replaces wasm's native one, which is
 *   several times slower than its forward conv.
 * - DepthwiseConv2dNativeBackpropFilter: a depthwise convolution of the padded input (channels
 *   and batch as channels) with dy as the filter, dilated by the stride.
 * - DepthwiseConv2dNativeBackpropInput: dy zero-upsampled by the stride, convolved with the
 *   flipped filter.
 * - UnsortedSegmentSum: ScatterNd, which sums duplicate indices.
 * - Sum / Mean over contiguous axes: float64 accumulation in place (`reduce-f64.ts`); wasm's
 *   float32 running sums made BatchNorm statistics ~1e-6 off.
 * - Conv2D: inputs larger than the caches split along their channels (`conv-split.ts`).
 * - MaxPoolGrad: replaces wasm's, which sends the gradient of an all-negative window to its
 *   first cell and of a tied window to its last (PyTorch: the first maximum). Each window tap is
 *   copied out by a depthwise conv with a one-hot filter (exact); the first tap equal to the
 *   pooled output takes dy, and the taps go back through pads and one batchToSpace.
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

const conv2dBackpropFilter: tf.KernelFunc = ({ inputs, attrs }) => {
  checkNhwc('Conv2DBackpropFilter', attrs as tf.NamedAttrMap);
  return tf.tidy(() => {
    const x = asTensor<tf.Tensor4D>(inputs.x as tf.TensorInfo);
    const dy = asTensor<tf.Tensor4D>(inputs.dy as tf.TensorInfo);
    const filterShape = (attrs as tf.NamedAttrMap).filterShape as number[];
    const info = convInfo(x.shape, filterShape, attrs as tf.NamedAttrMap, false);
    return conv2dFilterGradient(x, dy, info);
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
    return conv2dInputGradient(dy, filter, info, inShape);
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
    const xp: tf.Tensor4D = padOrCrop(x, [
      padInfo.top,
      Math.max(needH - h - padInfo.top, 0),
      padInfo.left,
      Math.max(needW - w - padInfo.left, 0),
    ]);
    const [hp, wp] = [xp.shape[1], xp.shape[2]];
    // (c, n) pairs become depthwise channels: x as [1, Hp, Wp, C·N], dy as the [Ho, Wo, C·N, 1] filter.
    const xt = tf.reshape(tf.transpose(xp, [1, 2, 3, 0]), [1, hp, wp, c * n]) as tf.Tensor4D;
    const parts: tf.Tensor[] = [];
    for (let m = 0; m < mult; m++) {
      const dym = multiplierSlice(dy, mult, m);
      const f = tf.reshape(tf.transpose(dym, [1, 2, 3, 0]), [ho, wo, c * n, 1]) as tf.Tensor4D;
      let out =
        dh > 1 || dw > 1
          ? tf.depthwiseConv2d(xt, f, [dh, dw], 'valid')
          : tf.depthwiseConv2d(xt, f, 1, 'valid', 'NHWC', [sh, sw]);
      if (out.shape[1] !== kh || out.shape[2] !== kw) {
        out = tf.slice(out, [0, 0, 0, 0], [1, kh, kw, c * n]);
      }
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
    const flipped = tf.reshape(flipSpatial(filter), [kh, kw, c * mult, 1]) as tf.Tensor4D;
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

/** One-hot depthwise filter [kh, kw, C, 1] that copies tap (i, j) of every channel. */
function tapFilter(kh: number, kw: number, c: number, i: number, j: number): tf.Tensor4D {
  const data = new Float32Array(kh * kw * c);
  data.fill(1, (i * kw + j) * c, (i * kw + j + 1) * c);
  return tf.tensor4d(data, [kh, kw, c, 1]);
}

/** Lowest finite float32: pads windows without creating NaN (0·-inf) in the tap copies. */
const LOWEST_FLOAT32 = -3.4028234663852886e38;

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
    const [, h, w, c] = x.shape;
    const [n, ho, wo] = dy.shape;
    const needH = (ho - 1) * sh + kh;
    const needW = (wo - 1) * sw + kw;
    const bottom = needH - h - padInfo.top;
    const right = needW - w - padInfo.left;
    const xp: tf.Tensor4D = padOrCrop(
      tf.pad(
        x,
        [
          [0, 0],
          [padInfo.top, Math.max(bottom, 0)],
          [padInfo.left, Math.max(right, 0)],
          [0, 0],
        ],
        LOWEST_FLOAT32,
      ),
      [0, Math.min(bottom, 0), 0, Math.min(right, 0)],
    );
    // Taps in PyTorch's scan order; the first equal to the pooled maximum takes dy. Tap (i, j)
    // of output (oy, ox) lands on padded row oy·s + i = s·(oy + ⌊i/s⌋) + i mod s: phase
    // (i mod s, j mod s), shifted by (⌊i/s⌋, ⌊j/s⌋); batchToSpace interleaves the phases.
    const qh = Math.ceil(kh / sh);
    const qw = Math.ceil(kw / sw);
    const phases: tf.Tensor4D[][] = Array.from({ length: sh * sw }, () => []);
    let free: tf.Tensor | undefined; // 1 where the window's maximum is not yet claimed
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const tap = tf.depthwiseConv2d(xp, tapFilter(kh, kw, c, i, j), [sh, sw], 'valid');
        const eq = tf.cast(tf.equal(tap, y), 'float32');
        const hit = free === undefined ? eq : tf.mul(eq, free);
        free = free === undefined ? tf.sub(1, eq) : tf.sub(free, hit);
        const g = tf.mul(hit, dy) as tf.Tensor4D;
        const qi = Math.floor(i / sh);
        const qj = Math.floor(j / sw);
        const shifted =
          qh === 1 && qw === 1
            ? g
            : tf.pad(g, [
                [0, 0],
                [qi, qh - 1 - qi],
                [qj, qw - 1 - qj],
                [0, 0],
              ]);
        (phases[(i % sh) * sw + (j % sw)] as tf.Tensor4D[]).push(shifted);
      }
    }
    const phaseSums = phases.map((terms) =>
      terms.length === 0
        ? tf.zeros([n, ho + qh - 1, wo + qw - 1, c])
        : terms.length === 1
          ? (terms[0] as tf.Tensor4D)
          : tf.addN(terms),
    );
    let full: tf.Tensor4D;
    if (sh * sw === 1) full = phaseSums[0] as tf.Tensor4D;
    else if (sh === sw) full = tf.depthToSpace(tf.concat(phaseSums, 3) as tf.Tensor4D, sh);
    else
      full = tf.batchToSpaceND(
        tf.concat(phaseSums, 0),
        [sh, sw],
        [
          [0, 0],
          [0, 0],
        ],
      ) as tf.Tensor4D;
    return padOrCrop(full, [
      -padInfo.top,
      h + padInfo.top - full.shape[1],
      -padInfo.left,
      w + padInfo.left - full.shape[2],
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
  { kernelName: 'Sum', kernelFunc: sumF64, replaces: true },
  { kernelName: 'Mean', kernelFunc: meanF64, replaces: true },
  { kernelName: 'Conv2D', kernelFunc: conv2dChannelSplit, replaces: true },
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
      rememberReplacedKernel(backendName, existing);
      tf.unregisterKernel(k.kernelName, backendName);
    }
    // keep the replaced kernel's setup (it binds its wasm function, which Sum/Mean delegate to)
    const setupFunc = existing?.setupFunc;
    tf.registerKernel({
      kernelName: k.kernelName,
      backendName,
      kernelFunc: k.kernelFunc,
      ...(setupFunc ? { setupFunc } : {}),
    });
    registered.add(key);
    done.push(k.kernelName);
  }
  // The four conv backprop kernels here read a `dilations` attribute: dilated gradients may
  // call them directly, but only if all four are ours on this backend.
  const convKernels = WASM_TRAINING_KERNELS.filter((k) =>
    /^(Conv2D|DepthwiseConv2dNative)Backprop/.test(k.kernelName),
  );
  if (
    convKernels.every((k) => tf.getKernel(k.kernelName, backendName)?.kernelFunc === k.kernelFunc)
  ) {
    markDilationAwareBackprop(backendName);
  }
  return done;
}
