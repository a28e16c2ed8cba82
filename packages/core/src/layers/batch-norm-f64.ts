import * as tf from '@tensorflow/tfjs-core';

/**
 * Training-mode BatchNorm arithmetic in float64 on the host, for the backends whose tensors live
 * in host memory (wasm: the wasm heap, cpu: JS arrays), read in place. PyTorch's CPU BatchNorm
 * accumulates its statistics and gradient sums in double; done with float32 tfjs ops instead,
 * the statistics are ~1e-6 off, and the backward formula, which cancels large terms (completely
 * for a BatchNorm over 2 values, like the ASPP image-pool branch at batch 2), loses a few more
 * digits: facepar's r50-d8 gradients were 4-5x farther from float64 than PyTorch's.
 * Per channel, statistics summed around the channel's first value (no cancellation):
 *   forward  mean, biased var, r = 1/√(var + eps), y = (x − mean)·γr + β
 *   backward dβ = Σdy, dγ = r·Σdy·(x − mean),
 *            dx = γr·(dy − Σdy/N − (x − mean)·r²·Σdy·(x − mean)/N), each element rounded once.
 * Other backends get `null` and use tfjs ops.
 */

interface WasmLike {
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}
interface CpuLike {
  readSync(dataId: tf.DataId): tf.backend_util.BackendValues;
}

/** The float32 values of `t` in host memory without a copy, or null on other backends. */
function hostValues(t: tf.Tensor): Float32Array | null {
  if (t.dtype !== 'float32') return null;
  const name = tf.getBackend();
  const backend = tf.backend() as unknown as Partial<WasmLike & CpuLike>;
  if (name === 'wasm' && typeof backend.typedArrayFromHeap === 'function') {
    return backend.typedArrayFromHeap(t);
  }
  if (name === 'cpu' && typeof backend.readSync === 'function') {
    const v = backend.readSync(t.dataId);
    return v instanceof Float32Array ? v : null;
  }
  return null;
}

/**
 * The host values of `tensors` (the first an NHWC activation), its channel count `c` and rows
 * `n` = N·H·W; null if any tensor is not on a host backend.
 */
function hostChannels(tensors: tf.Tensor[]): { v: Float32Array[]; c: number; n: number } | null {
  const v: Float32Array[] = [];
  for (const t of tensors) {
    const values = hostValues(t);
    if (values === null) return null;
    v.push(values);
  }
  const c = (tensors[0] as tf.Tensor).shape[3] as number;
  return { v, c, n: (v[0] as Float32Array).length / c };
}

/** Per-channel Σ(x − x₀) and Σ(x − x₀)² of [rows, C] values, x₀ the channel's first value. */
function shiftedSums(
  v: Float32Array,
  c: number,
): { shift: Float64Array; s1: Float64Array; s2: Float64Array } {
  const rows = v.length / c;
  const shift = Float64Array.from(v.subarray(0, c));
  const s1 = new Float64Array(c);
  const s2 = new Float64Array(c);
  let i = 0;
  // four rows at a time: a quarter of the accumulator traffic (2x faster in V8)
  for (; i + 4 <= rows; i += 4) {
    const o = i * c;
    for (let j = 0; j < c; j++) {
      const x0 = shift[j] as number;
      const a = (v[o + j] as number) - x0;
      const b = (v[o + c + j] as number) - x0;
      const e = (v[o + 2 * c + j] as number) - x0;
      const f = (v[o + 3 * c + j] as number) - x0;
      s1[j] = (s1[j] as number) + (a + b + (e + f));
      s2[j] = (s2[j] as number) + (a * a + b * b + (e * e + f * f));
    }
  }
  for (; i < rows; i++) {
    const o = i * c;
    for (let j = 0; j < c; j++) {
      const d = (v[o + j] as number) - (shift[j] as number);
      s1[j] = (s1[j] as number) + d;
      s2[j] = (s2[j] as number) + d * d;
    }
  }
  return { shift, s1, s2 };
}

export interface HostBatchNormForward {
  y: tf.Tensor4D;
  /** Batch mean and biased variance (float32), for the running statistics. */
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
  /** The same statistics in float64, and 1/√(var + eps), for the backward pass. */
  exact: HostBatchNormStats;
}

/** Exact per-channel batch statistics (kept by the layer between forward and backward). */
export interface HostBatchNormStats {
  mean: Float64Array;
  invStd: Float64Array;
}

/** Training-mode forward (batch statistics) in float64; null where the host path is unavailable. */
export function hostBatchNormForward(options: {
  x: tf.Tensor4D;
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
  eps: number;
}): HostBatchNormForward | null {
  const { x, eps } = options;
  const host = hostChannels([x, options.gamma, options.beta]);
  if (host === null) return null;
  const { c, n } = host;
  const [xv, gv, bv] = host.v as [Float32Array, Float32Array, Float32Array];
  const { shift, s1, s2 } = shiftedSums(xv, c);
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  const scale = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    const m1 = (s1[j] as number) / n;
    const v = Math.max((s2[j] as number) / n - m1 * m1, 0);
    mean[j] = (shift[j] as number) + m1;
    variance[j] = v;
    scale[j] = (gv[j] as number) / Math.sqrt(v + eps);
  }
  const mean32 = tf.tensor1d(Float32Array.from(mean));
  const var32 = tf.tensor1d(Float32Array.from(variance));
  // y in float64, rounded once: tf.batchNorm's float32 arithmetic (rsqrt, scale, offset) costs
  // 5x in the early layers' gradients through the ReLU masks it moves
  const out = new Float32Array(xv.length);
  for (let i = 0; i < n; i++) {
    const o = i * c;
    for (let j = 0; j < c; j++) {
      out[o + j] =
        ((xv[o + j] as number) - (mean[j] as number)) * (scale[j] as number) + (bv[j] as number);
    }
  }
  const y = tf.tensor4d(out, x.shape);
  const invStd = Float64Array.from(variance, (v) => 1 / Math.sqrt(v + eps));
  return { y, mean: mean32, variance: var32, exact: { mean, invStd } };
}

export interface HostBatchNormGrads {
  dx: tf.Tensor4D;
  dGamma: tf.Tensor1D;
  dBeta: tf.Tensor1D;
}

/**
 * Training-mode backward in float64 with the forward's exact statistics (the float32 rounding of
 * the mean alone, against Σdy·(x − mean), cost 5x in the gradients of early layers). Null where
 * the host path is unavailable.
 */
export function hostBatchNormBackward(options: {
  dy: tf.Tensor4D;
  x: tf.Tensor4D;
  gamma: tf.Tensor1D;
  /** The forward's `exact` statistics. */
  stats: HostBatchNormStats;
}): HostBatchNormGrads | null {
  const host = hostChannels([options.dy, options.x, options.gamma]);
  if (host === null) return null;
  const { c, n } = host;
  const [dv, xv, gv] = host.v as [Float32Array, Float32Array, Float32Array];
  const { mean, invStd: r } = options.stats;
  const sd = new Float64Array(c); // Σdy
  const sdx = new Float64Array(c); // Σdy·(x − mean)
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = i * c;
    for (let j = 0; j < c; j++) {
      const m = mean[j] as number;
      const g0 = dv[o + j] as number;
      const g1 = dv[o + c + j] as number;
      const g2 = dv[o + 2 * c + j] as number;
      const g3 = dv[o + 3 * c + j] as number;
      sd[j] = (sd[j] as number) + (g0 + g1 + (g2 + g3));
      sdx[j] =
        (sdx[j] as number) +
        (g0 * ((xv[o + j] as number) - m) +
          g1 * ((xv[o + c + j] as number) - m) +
          (g2 * ((xv[o + 2 * c + j] as number) - m) + g3 * ((xv[o + 3 * c + j] as number) - m)));
    }
  }
  for (; i < n; i++) {
    const o = i * c;
    for (let j = 0; j < c; j++) {
      const g = dv[o + j] as number;
      sd[j] = (sd[j] as number) + g;
      sdx[j] = (sdx[j] as number) + g * ((xv[o + j] as number) - (mean[j] as number));
    }
  }
  const k1 = new Float64Array(c); // γr
  const kx = new Float64Array(c); // γr · r² · Σdy(x − mean)/N
  const k0 = new Float64Array(c); // γr · Σdy/N
  const dGamma = new Float32Array(c);
  for (let j = 0; j < c; j++) {
    const rj = r[j] as number;
    k1[j] = (gv[j] as number) * rj;
    kx[j] = (k1[j] as number) * rj * rj * ((sdx[j] as number) / n);
    k0[j] = (k1[j] as number) * ((sd[j] as number) / n);
    dGamma[j] = rj * (sdx[j] as number);
  }
  // dx = k1·dy − kx·(x − mean) − k0, evaluated in float64, rounded once
  const dx = new Float32Array(xv.length);
  for (let i = 0; i < n; i++) {
    const o = i * c;
    for (let j = 0; j < c; j++) {
      dx[o + j] =
        (k1[j] as number) * (dv[o + j] as number) -
        (kx[j] as number) * ((xv[o + j] as number) - (mean[j] as number)) -
        (k0[j] as number);
    }
  }
  return {
    dx: tf.tensor4d(dx, options.x.shape),
    dGamma: tf.tensor1d(dGamma),
    dBeta: tf.tensor1d(Float32Array.from(sd)),
  };
}
