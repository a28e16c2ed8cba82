// The seeded full-width training step of scripts/gen_train_step_f64.py, reproduced bit for bit:
// weights, input and labels from the same counter hash, and the same CountSketch of a gradient.
// Test helper only.
import type { TensorEntry } from '@facepar/core';
import type * as tfl from '@tensorflow/tfjs-layers';

export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

function mix(v: number): number {
  let x = v >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

/** bits(key, j) of the generator: mix(j · 0x9e3779b9 + fnv1a(key)) (uint32). */
export function hashBits(seed: number, j: number): number {
  return mix((Math.imul(j, 0x9e3779b9) + seed) >>> 0);
}

/** uniform(key, j) = 2·(bits >> 8)/2²⁴ − 1, exact in float32. */
export function uniform(key: string, n: number): Float32Array {
  const seed = fnv1a(key);
  const out = new Float32Array(n);
  for (let j = 0; j < n; j++) out[j] = (2 * (hashBits(seed, j) >>> 8)) / 16777216 - 1;
  return out;
}

/** The generator's seeded state dict for the model's PyTorch keys (layouts from `keys`). */
export function seededState(
  model: tfl.LayersModel,
  keys: Map<string, { shape: number[] }>,
): Map<string, TensorEntry> {
  const out = new Map<string, TensorEntry>();
  for (const [key, { shape }] of keys) {
    const n = shape.reduce((a, b) => a * b, 1);
    const layer = model.getLayer(key.slice(0, key.lastIndexOf('.')));
    if (key.endsWith('num_batches_tracked')) {
      out.set(key, { dtype: 'I64', shape, data: new BigInt64Array(n) });
      continue;
    }
    let v: Float32Array;
    if (key.endsWith('running_mean')) v = new Float32Array(n);
    else if (key.endsWith('running_var')) v = new Float32Array(n).fill(1);
    else if (layer.getClassName() === 'BatchNorm2d') {
      const u = uniform(key, n);
      const f = key.endsWith('bias')
        ? (x: number) => 0.5 * x
        : key.includes('.bn3.')
          ? (x: number) => 0.1 + 0.05 * x
          : (x: number) => 0.9 + 0.3 * x;
      v = Float32Array.from(u, f);
    } else if (key.endsWith('bias')) v = new Float32Array(n);
    else {
      const fanOut = (shape[0] as number) * (shape[2] as number) * (shape[3] as number);
      const std = key.endsWith('conv_seg.weight') ? 0.01 : Math.sqrt(2 / fanOut);
      const scale = Math.fround(Math.sqrt(3) * std);
      v = uniform(key, n).map((x) => x * scale);
    }
    out.set(key, { dtype: 'F32', shape, data: v });
  }
  return out;
}

/** The generator's input [B, 3, size, size] (NCHW) and labels [B, size, size]. */
export function seededBatch(
  batch: number,
  size: number,
  numClasses: number,
): { nchw: Float32Array; labels: Int32Array } {
  const low = uniform('input-low', batch * 3 * 64);
  const fine = uniform('input', batch * 3 * size * size);
  const taps = Array.from({ length: size }, (_, i) => {
    const s = Math.max((i + 0.5) * (8 / size) - 0.5, 0);
    const i0 = Math.floor(s);
    return [i0, Math.min(i0 + 1, 7), s - i0] as const;
  });
  const nchw = new Float32Array(batch * 3 * size * size);
  for (let p = 0; p < batch * 3; p++) {
    const at = (a: number, b: number) => low[p * 64 + a * 8 + b] as number;
    for (let i = 0; i < size; i++) {
      const [y0, y1, ty] = taps[i] as readonly [number, number, number];
      for (let j = 0; j < size; j++) {
        const [x0, x1, tx] = taps[j] as readonly [number, number, number];
        const smooth =
          (1 - ty) * ((1 - tx) * at(y0, x0) + tx * at(y0, x1)) +
          ty * ((1 - tx) * at(y1, x0) + tx * at(y1, x1));
        const o = (p * size + i) * size + j;
        nchw[o] = 1.5 * smooth + 0.2 * (fine[o] as number);
      }
    }
  }
  const labels = new Int32Array(batch * size * size);
  const sl = fnv1a('labels');
  const si = fnv1a('labels-ignore');
  for (let j = 0; j < labels.length; j++) {
    labels[j] = hashBits(si, j) >>> 24 < 5 ? 255 : hashBits(sl, j) % numClasses;
  }
  return { nchw, labels };
}

/** The generator's CountSketch of a flat gradient (itself when it has <= k elements). */
export function countSketch(key: string, g: ArrayLike<number>, k: number): Float64Array {
  if (g.length <= k) return Float64Array.from(g);
  const out = new Float64Array(k);
  const sb = fnv1a(`bucket:${key}`);
  const ss = fnv1a(`sign:${key}`);
  for (let j = 0; j < g.length; j++) {
    const b = hashBits(sb, j) & (k - 1);
    const v = g[j] as number;
    out[b] = (out[b] as number) + (hashBits(ss, j) >>> 31 === 0 ? v : -v);
  }
  return out;
}
