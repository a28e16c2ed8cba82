import * as tf from '@tensorflow/tfjs-core';
import { padOrCrop } from './kernel-utils.js';

/**
 * Convolution gradients for the wasm backend, arranged so that the heavy work runs in XNNPACK's
 * fast paths and nothing is computed on inserted zeros:
 * - tfjs-wasm's `BatchMatMul` is fast only without transposes (`A [m, k] · B [k, n]`, B packed
 *   once and cached by tensor id); its transposed paths are a scalar loop;
 * - its `Conv2D` transposes and packs the filter whenever the filter tensor is new, so a large
 *   activation passed as the filter (the channels-as-batch identity) costs two extra passes.
 *
 * Filter gradient, dW[ky, kx] = Σ_m x_tap(ky, kx)[m, ci] · dy[m, co] over m = (n, oy, ox):
 * - 1x1: one matmul with the smaller of x and dy transposed;
 * - k×k at stride 1 (any dilation): x is transposed once to [Ci, N, H, W]; each tap is a slice of
 *   it times dy, and dy is packed once for all taps (the same B tensor).
 * Input gradient:
 * - 1x1: dy · Wᵀ at the output resolution, then placed at the strided positions;
 * - k×k: the sub-pixel decomposition. Input row ix = s·p + r receives dy[p + o] · W[ky] for the
 *   taps with (r + padTop − ky·d) ≡ 0 (mod s), o = (r + padTop − ky·d) / s: each of the s×s
 *   phases is one valid convolution of dy with its taps, and the phases interleave by
 *   depth-to-space. At stride 1 this is the usual flipped-filter convolution; at stride s it does
 *   the forward's FLOPs instead of s² times them on a zero-upsampled dy.
 */

type Info = tf.backend_util.Conv2DInfo;

/** dW of a 1×1 convolution (any stride and padding). */
function pointwiseFilterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, info: Info): tf.Tensor4D {
  const { padInfo, strideHeight: sh, strideWidth: sw } = info;
  const [n, ho, wo, co] = dy.shape;
  const ci = x.shape[3];
  // Rows read: oy·s − top for oy < ho (pad with zeros where that leaves x).
  let xs = padOrCrop(x, [
    padInfo.top,
    (ho - 1) * sh + 1 - x.shape[1] - padInfo.top,
    padInfo.left,
    (wo - 1) * sw + 1 - x.shape[2] - padInfo.left,
  ]);
  if (sh > 1 || sw > 1) xs = subsample(xs, [sh, sw]);
  const m = n * ho * wo;
  const x2 = tf.reshape(xs, [m, ci]) as tf.Tensor2D;
  const d2 = tf.reshape(dy, [m, co]) as tf.Tensor2D;
  const w2 =
    ci <= co ? tf.matMul(tf.transpose(x2), d2) : tf.transpose(tf.matMul(tf.transpose(d2), x2));
  return tf.reshape(w2, [1, 1, ci, co]);
}

/**
 * Every s-th row and column (starting at 0) of an NHWC tensor, exactly: a 1×1 depthwise
 * convolution with a filter of ones at stride s copies its input.
 */
function subsample(x: tf.Tensor4D, strides: [number, number]): tf.Tensor4D {
  const c = x.shape[3];
  return tf.depthwiseConv2d(x, tf.ones([1, 1, c, 1]) as tf.Tensor4D, strides, 'valid');
}

/** dW of a k×k stride-1 convolution (any dilation and padding): one matmul per tap. */
function tapFilterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, info: Info): tf.Tensor4D {
  const { padInfo, dilationHeight: dh, dilationWidth: dw } = info;
  const { filterHeight: kh, filterWidth: kw } = info;
  const [n, ho, wo, co] = dy.shape;
  const ci = x.shape[3];
  const needH = ho + (kh - 1) * dh;
  const needW = wo + (kw - 1) * dw;
  const xp = padOrCrop(x, [
    padInfo.top,
    Math.max(needH - x.shape[1] - padInfo.top, 0),
    padInfo.left,
    Math.max(needW - x.shape[2] - padInfo.left, 0),
  ]);
  const xt = tf.transpose(xp, [3, 0, 1, 2]); // [Ci, N, Hp, Wp]
  const m = n * ho * wo;
  const d2 = tf.reshape(dy, [m, co]) as tf.Tensor2D;
  const parts: tf.Tensor2D[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const tap = tf.slice(xt, [0, 0, i * dh, j * dw], [ci, n, ho, wo]);
      const a = tf.reshape(tap, [ci, m]) as tf.Tensor2D;
      parts.push(tf.matMul(a, d2));
      tf.dispose([tap, a]);
    }
  }
  return tf.reshape(tf.concat(parts, 0), [kh, kw, ci, co]);
}

/** The conv-as-filter identity (channels as batch), for strided k×k convolutions. */
function convTrickFilterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, info: Info): tf.Tensor4D {
  const { padInfo, strideHeight: sh, strideWidth: sw } = info;
  const { dilationHeight: dh, dilationWidth: dw } = info;
  const { filterHeight: kh, filterWidth: kw } = info;
  const [ho, wo] = [dy.shape[1], dy.shape[2]];
  const needH = (ho - 1) * sh + (kh - 1) * dh + 1;
  const needW = (wo - 1) * sw + (kw - 1) * dw + 1;
  const [, h, w] = x.shape;
  // Pad only: rows the forward never read (floor division) would need a slow wasm Slice of x;
  // they only enlarge the small output, which is sliced instead.
  const xp = padOrCrop(x, [
    padInfo.top,
    Math.max(needH - h - padInfo.top, 0),
    padInfo.left,
    Math.max(needW - w - padInfo.left, 0),
  ]);
  // [Ci, Hp, Wp, N] * [Ho, Wo, N, Co], stride = forward dilation, dilation = forward stride.
  const xt = tf.transpose(xp, [3, 1, 2, 0]);
  const dyt = tf.transpose(dy, [1, 2, 0, 3]);
  let out =
    dh > 1 || dw > 1
      ? tf.conv2d(xt, dyt, [dh, dw], 'valid')
      : tf.conv2d(xt, dyt, 1, 'valid', 'NHWC', [sh, sw]);
  if (out.shape[1] !== kh || out.shape[2] !== kw) {
    out = tf.slice(out, [0, 0, 0, 0], [xt.shape[0], kh, kw, dy.shape[3]]);
  }
  return tf.transpose(out, [1, 2, 0, 3]);
}

/** dW[kh,kw,ci,co] = Σ xpad[n, oy·s + kh·d, ox·s + kw·d, ci] · dy[n, oy, ox, co]. */
export function conv2dFilterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, info: Info): tf.Tensor4D {
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  if ((dh > 1 || dw > 1) && (sh > 1 || sw > 1)) {
    throw new Error(
      'Conv2DBackpropFilter (facepar wasm): strides and dilations > 1 together are not supported',
    );
  }
  if (info.filterHeight === 1 && info.filterWidth === 1) {
    return pointwiseFilterGradient(x, dy, info);
  }
  if (sh === 1 && sw === 1) return tapFilterGradient(x, dy, info);
  return convTrickFilterGradient(x, dy, info);
}

/** What an input gradient needs: dy, the filter, the forward's geometry and input size. */
interface InputGradient {
  dy: tf.Tensor4D;
  filter: tf.Tensor4D;
  info: Info;
  /** Input height and width. */
  h: number;
  w: number;
}

/** dX of a 1×1 convolution: dy · Wᵀ, placed at rows oy·s − top of the input. */
function pointwiseInputGradient(a: InputGradient): tf.Tensor4D {
  const { dy, filter, h, w } = a;
  const { padInfo, strideHeight: sh, strideWidth: sw } = a.info;
  const [n, ho, wo, co] = dy.shape;
  const ci = filter.shape[2];
  const wt = tf.transpose(tf.reshape(filter, [ci, co]) as tf.Tensor2D);
  const g = tf.reshape(tf.matMul(tf.reshape(dy, [n * ho * wo, co]) as tf.Tensor2D, wt), [
    n,
    ho,
    wo,
    ci,
  ]) as tf.Tensor4D;
  let up = g;
  if (sh > 1 || sw > 1) {
    const zeros = tf.zerosLike(g);
    up = interleavePhases(
      Array.from({ length: sh * sw }, (_, i) => (i === 0 ? g : zeros)),
      [sh, sw],
    );
  }
  return padOrCrop(up, [
    -padInfo.top,
    h + padInfo.top - up.shape[1],
    -padInfo.left,
    w + padInfo.left - up.shape[2],
  ]);
}

/**
 * Rows `idx` of a row-major matrix with rows of `width`, copied in JS: wasm's Gather and Slice
 * kernels copy their whole input per call (readSync), 10-30x slower than a copy for big filters.
 */
function gatherRows(data: Float32Array, width: number, idx: readonly number[]): Float32Array {
  const out = new Float32Array(idx.length * width);
  idx.forEach((r, i) => {
    out.set(data.subarray(r * width, (r + 1) * width), i * width);
  });
  return out;
}

/** Taps of one sub-pixel phase along one axis. */
interface PhaseTaps {
  /** Tap indices in the order the phase's valid convolution reads them. */
  taps: number[];
  /** dy offset of the first tap (dX row p reads dy row p + first). */
  first: number;
  /** Rows of dX in this phase. */
  rows: number;
}

function phaseTaps(
  r: number,
  k: number,
  s: number,
  d: number,
  pad: number,
  size: number,
): PhaseTaps {
  // Tap t reads dy row (r + pad − t·d) / s when divisible; the convolution reads them with
  // ascending offsets, i.e. descending t.
  const taps: number[] = [];
  for (let t = k - 1; t >= 0; t--) {
    if ((((r + pad - t * d) % s) + s) % s === 0) taps.push(t);
  }
  const first = taps.length > 0 ? (r + pad - (taps[0] as number) * d) / s : 0;
  return { taps, first, rows: Math.ceil((size - r) / s) };
}

/** dX of a k×k convolution by the sub-pixel decomposition (see the file comment). */
function subPixelInputGradient(a: InputGradient): tf.Tensor4D {
  const { dy, filter, h, w } = a;
  const { padInfo, strideHeight: sh, strideWidth: sw } = a.info;
  const { dilationHeight: dh, dilationWidth: dw } = a.info;
  const [kh, kw, ci, co] = filter.shape;
  const [n, ho, wo] = dy.shape;
  // Inside a phase consecutive taps are s apart in the filter and one dy row apart (d = 1), or
  // (stride 1) adjacent in the filter and d dy rows apart: the phase conv's dilation.
  const cdh = sh === 1 ? dh : 1;
  const cdw = sw === 1 ? dw : 1;
  // Each tap's Wᵀ [Co, Ci] as one row of [kh·kw, Co·Ci], read once for the phases' gathers.
  const ft = tf.transpose(tf.reshape(filter, [kh * kw, ci, co]), [0, 2, 1]);
  const taps = ft.dataSync() as Float32Array;
  ft.dispose();
  const rowsMax = Math.ceil(h / sh);
  const colsMax = Math.ceil(w / sw);
  const phases: tf.Tensor4D[] = [];
  for (let ry = 0; ry < sh; ry++) {
    const py = phaseTaps(ry, kh, sh, dh, padInfo.top, h);
    for (let rx = 0; rx < sw; rx++) {
      const px = phaseTaps(rx, kw, sw, dw, padInfo.left, w);
      if (py.taps.length === 0 || px.taps.length === 0 || py.rows <= 0 || px.rows <= 0) {
        phases.push(tf.zeros([n, rowsMax, colsMax, ci]));
        continue;
      }
      const ly = py.taps.length;
      const lx = px.taps.length;
      const idx: number[] = [];
      for (const ty of py.taps) for (const tx of px.taps) idx.push(ty * kw + tx);
      const sub = tf.tensor4d(gatherRows(taps, co * ci, idx), [ly, lx, co, ci]);
      // dy rows first .. rows − 1 + first + (ly − 1)·cdh, zero outside dy.
      const lastY = py.rows - 1 + py.first + (ly - 1) * cdh;
      const lastX = px.rows - 1 + px.first + (lx - 1) * cdw;
      const dyp = padOrCrop(dy, [-py.first, lastY - (ho - 1), -px.first, lastX - (wo - 1)]);
      const out = tf.conv2d(dyp, sub, 1, 'valid', 'NHWC', [cdh, cdw]);
      phases.push(
        sh * sw === 1 ? out : padOrCrop(out, [0, rowsMax - py.rows, 0, colsMax - px.rows]),
      );
    }
  }
  if (sh * sw === 1) return phases[0] as tf.Tensor4D;
  const full = interleavePhases(phases, [sh, sw]);
  return padOrCrop(full, [0, h - full.shape[1], 0, w - full.shape[2]]);
}

/**
 * full[n, s·p + ry, s·q + rx] = phases[ry·sw + rx][n, p, q]: two concats of reshaped phases
 * (wasm's DepthToSpace and BatchToSpaceND are element loops, several times slower).
 */
function interleavePhases(phases: tf.Tensor4D[], strides: [number, number]): tf.Tensor4D {
  const [sh, sw] = strides;
  const [n, p, q, c] = (phases[0] as tf.Tensor4D).shape;
  const rows: tf.Tensor[] = [];
  for (let ry = 0; ry < sh; ry++) {
    const cols = phases.slice(ry * sw, (ry + 1) * sw).map((t) => tf.reshape(t, [n, p, q, 1, c]));
    rows.push(tf.reshape(tf.concat(cols, 3), [n, p, 1, q * sw, c]));
  }
  return tf.reshape(tf.concat(rows, 2), [n, p * sh, q * sw, c]);
}

/** dX of a convolution with filter [kh, kw, Ci, Co] for an input of `inShape`. */
export function conv2dInputGradient(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  info: Info,
  inShape: number[],
): tf.Tensor4D {
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  if ((dh > 1 || dw > 1) && (sh > 1 || sw > 1)) {
    throw new Error(
      'Conv2DBackpropInput (facepar wasm): strides and dilations > 1 together are not supported',
    );
  }
  const a: InputGradient = { dy, filter, info, h: inShape[1] as number, w: inShape[2] as number };
  if (filter.shape[0] === 1 && filter.shape[1] === 1) return pointwiseInputGradient(a);
  return subPixelInputGradient(a);
}
