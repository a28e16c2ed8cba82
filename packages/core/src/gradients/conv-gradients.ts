import * as tf from '@tensorflow/tfjs-core';

/**
 * Gradients for `Conv2D` and `DepthwiseConv2dNative` that replace tfjs-core's, which throw for
 * dilation > 1 (tfjs issue 7906). Dilation 1 (any stride, `same`/`valid`/explicit pads) goes to
 * the backend's backprop kernels as tfjs does. Dilation > 1 (stride 1, which the forward op
 * enforces) uses the atrous identity of TF's `atrous_conv2d`:
 * `conv(x, w, d) = batchToSpace(conv(spaceToBatch(pad(x)), w, 1), d)`, so the gradient is one
 * dilation-1 backprop on the space-to-batch tensors. The filter is never zero-inserted: a 3x3
 * filter at dilation 36 stays a 3x3 convolution.
 */

type Pair = [number, number];
type PadAttr = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type RoundingMode = 'floor' | 'round' | 'ceil' | undefined;
type ConvKind = 'conv2d' | 'depthwise';

function pair(v: unknown, fallback: number): Pair {
  if (v == null) return [fallback, fallback];
  if (typeof v === 'number') return [v, v];
  const a = v as number[];
  return [a[0] ?? fallback, a[1] ?? fallback];
}

interface ConvAttrs {
  strides: Pair;
  dilations: Pair;
  pad: PadAttr;
  dimRoundingMode: RoundingMode;
  dataFormat: string;
}

function readAttrs(attrs: tf.NamedAttrMap): ConvAttrs {
  return {
    strides: pair(attrs.strides, 1),
    dilations: pair(attrs.dilations, 1),
    pad: attrs.pad as PadAttr,
    dimRoundingMode: (attrs.dimRoundingMode ?? undefined) as RoundingMode,
    dataFormat: (attrs.dataFormat as string | undefined) ?? 'NHWC',
  };
}

function backpropInput(
  kind: ConvKind,
  inputShape: number[],
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  a: Pick<ConvAttrs, 'strides' | 'pad' | 'dimRoundingMode' | 'dataFormat'> & { dilations?: Pair },
): tf.Tensor4D {
  const dilations = a.dilations ?? [1, 1];
  if (kind === 'conv2d') {
    return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, {
      strides: a.strides,
      pad: a.pad,
      dataFormat: a.dataFormat,
      dimRoundingMode: a.dimRoundingMode,
      inputShape,
      // not a tfjs attribute: only facepar's dilation-aware kernels read it
      ...(dilations[0] > 1 || dilations[1] > 1 ? { dilations } : {}),
    } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }
  return tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter }, {
    strides: a.strides,
    pad: a.pad,
    dilations,
    dimRoundingMode: a.dimRoundingMode,
    inputShape,
  } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

function backpropFilter(
  kind: ConvKind,
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: number[],
  a: Pick<ConvAttrs, 'strides' | 'pad' | 'dimRoundingMode' | 'dataFormat'> & { dilations?: Pair },
): tf.Tensor4D {
  const dilations = a.dilations ?? [1, 1];
  if (kind === 'conv2d') {
    return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
      strides: a.strides,
      pad: a.pad,
      dataFormat: a.dataFormat,
      dimRoundingMode: a.dimRoundingMode,
      filterShape,
      ...(dilations[0] > 1 || dilations[1] > 1 ? { dilations } : {}),
    } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }
  return tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, {
    strides: a.strides,
    pad: a.pad,
    dilations,
    dimRoundingMode: a.dimRoundingMode,
    filterShape,
  } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

const DILATION_AWARE_BACKENDS = new Set<string>();

/**
 * Declares that `backendName`'s Conv2D/depthwise backprop kernels honour a `dilations`
 * attribute (facepar's wasm kernels do; tfjs's cpu kernels ignore it). Dilated gradients on
 * such a backend call the kernels directly (each one dilated convolution) instead of the
 * space-to-batch identity, whose 6-D transposes dominate on wasm.
 */
export function markDilationAwareBackprop(backendName: string): void {
  DILATION_AWARE_BACKENDS.add(backendName);
}

/** Pads (top, bottom, left, right) that the forward op used, for any pad attribute. */
export function convPadInfo(options: {
  xShape: number[];
  filterShape: number[];
  strides: Pair;
  dilations: Pair;
  pad: PadAttr;
  dimRoundingMode?: RoundingMode;
  depthwise: boolean;
}): { top: number; bottom: number; left: number; right: number } {
  const info = tf.backend_util.computeConv2DInfo(
    options.xShape as [number, number, number, number],
    options.filterShape as [number, number, number, number],
    options.strides,
    options.dilations,
    options.pad,
    options.dimRoundingMode,
    options.depthwise,
    'channelsLast',
  );
  const { top, bottom, left, right } = info.padInfo;
  return { top, bottom, left, right };
}

interface AtrousArgs {
  kind: ConvKind;
  x: tf.Tensor4D;
  filter: tf.Tensor4D;
  dy: tf.Tensor4D;
  dilations: Pair;
  pads: { top: number; bottom: number; left: number; right: number };
}

const ATROUS_ATTRS = {
  strides: [1, 1] as Pair,
  pad: 'valid' as const,
  dimRoundingMode: undefined,
  dataFormat: 'NHWC',
};

/** Space-to-batch paddings of x and dy; x's also make the padded size divisible by the rate. */
function atrousPads(args: AtrousArgs): { xPads: [Pair, Pair]; dyPads: [Pair, Pair] } {
  const { x, dilations, pads } = args;
  const [dh, dw] = dilations;
  const hp = x.shape[1] + pads.top + pads.bottom;
  const wp = x.shape[2] + pads.left + pads.right;
  const exH = (dh - (hp % dh)) % dh;
  const exW = (dw - (wp % dw)) % dw;
  return {
    xPads: [
      [pads.top, pads.bottom + exH],
      [pads.left, pads.right + exW],
    ],
    dyPads: [
      [0, exH],
      [0, exW],
    ],
  };
}

/** dx of a stride-1 dilated convolution via space-to-batch (caller owns the result). */
export function atrousBackpropInput(args: AtrousArgs): tf.Tensor4D {
  const { xPads, dyPads } = atrousPads(args);
  return tf.tidy(() => {
    const dys = tf.spaceToBatchND(args.dy, args.dilations, dyPads) as tf.Tensor4D;
    const [n, h, w, c] = args.x.shape;
    const [dh, dw] = args.dilations;
    const hs = (h + xPads[0][0] + xPads[0][1]) / dh;
    const ws = (w + xPads[1][0] + xPads[1][1]) / dw;
    const dxs = backpropInput(args.kind, [n * dh * dw, hs, ws, c], dys, args.filter, ATROUS_ATTRS);
    return tf.batchToSpaceND(dxs, args.dilations, xPads) as tf.Tensor4D;
  });
}

/** dfilter of a stride-1 dilated convolution via space-to-batch (caller owns the result). */
export function atrousBackpropFilter(args: AtrousArgs): tf.Tensor4D {
  const { xPads, dyPads } = atrousPads(args);
  return tf.tidy(() => {
    const xs = tf.spaceToBatchND(args.x, args.dilations, xPads) as tf.Tensor4D;
    const dys = tf.spaceToBatchND(args.dy, args.dilations, dyPads) as tf.Tensor4D;
    return backpropFilter(args.kind, xs, dys, args.filter.shape, ATROUS_ATTRS);
  });
}

function makeGradFunc(kind: ConvKind): tf.GradConfig['gradFunc'] {
  const opName = kind === 'conv2d' ? 'conv2d' : 'depthwiseConv2d';
  return (dy, saved, rawAttrs) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const dy4 = dy as tf.Tensor4D;
    const a = readAttrs(rawAttrs);
    const dilated = a.dilations[0] > 1 || a.dilations[1] > 1;
    if (!dilated) {
      return {
        x: () => backpropInput(kind, x.shape, dy4, filter, a),
        filter: () => backpropFilter(kind, x, dy4, filter.shape, a),
      };
    }
    if (a.strides[0] !== 1 || a.strides[1] !== 1) {
      throw new Error(
        `Gradient of ${opName}: dilation ${JSON.stringify(a.dilations)} needs strides [1, 1], got ${JSON.stringify(a.strides)}`,
      );
    }
    if (a.dataFormat !== 'NHWC') {
      throw new Error(
        `Gradient of dilated ${opName}: dataFormat '${a.dataFormat}' is not supported; allowed: 'NHWC'`,
      );
    }
    if (DILATION_AWARE_BACKENDS.has(tf.getBackend())) {
      return {
        x: () => backpropInput(kind, x.shape, dy4, filter, a),
        filter: () => backpropFilter(kind, x, dy4, filter.shape, a),
      };
    }
    const pads = convPadInfo({
      xShape: x.shape,
      filterShape: filter.shape,
      strides: a.strides,
      dilations: a.dilations,
      pad: a.pad,
      dimRoundingMode: a.dimRoundingMode,
      depthwise: kind === 'depthwise',
    });
    const args: AtrousArgs = { kind, x, filter, dy: dy4, dilations: a.dilations, pads };
    return {
      x: () => atrousBackpropInput(args),
      filter: () => atrousBackpropFilter(args),
    };
  };
}

export const conv2dGradConfig: tf.GradConfig = {
  kernelName: 'Conv2D',
  inputsToSave: ['x', 'filter'],
  gradFunc: makeGradFunc('conv2d'),
};

export const depthwiseConv2dGradConfig: tf.GradConfig = {
  kernelName: 'DepthwiseConv2dNative',
  inputsToSave: ['x', 'filter'],
  gradFunc: makeGradFunc('depthwise'),
};
