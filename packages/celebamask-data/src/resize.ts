import { rescaleSize, resizeImageBilinear } from '@facepar/image';
import { CELEBAMASK_FLIP_PAIRS, flipLabelTable } from '@facepar/metrics';
import type { CropBox } from './crop.js';
import type { FlipOptions } from './flip.js';
import type { Rng } from './rng.js';
import type { SegSample } from './sample.js';

// mmseg `RandomResize` and the label side of resizing (image bytes: @facepar/image).

export interface RandomResizeOptions {
  /** mmseg `scale` (long, short) before the ratio. */
  scale?: readonly [number, number];
  ratioRange?: readonly [number, number];
}

export const DEFAULT_RANDOM_RESIZE_OPTIONS = {
  scale: [2048, 512] as readonly [number, number],
  ratioRange: [0.5, 2.0] as readonly [number, number],
} as const;

/** Throws unless `r` is `[lo, hi]` with 0 < lo <= hi (finite). */
export function checkRange(name: string, r: readonly number[], allowed: string): void {
  if (r.length !== 2 || !(r[0]! > 0) || !(r[1]! >= r[0]!) || !Number.isFinite(r[1]!)) {
    throw new Error(`${name} [${r.join(', ')}] must be [lo, hi] with ${allowed}`);
  }
}

/** mmseg `RandomResize(scale, ratio_range, keep_ratio=True)`: the output size for one draw. */
export function randomResizeSize(
  options: { width: number; height: number; rng: Rng } & RandomResizeOptions,
): { width: number; height: number } {
  const scale = options.scale ?? DEFAULT_RANDOM_RESIZE_OPTIONS.scale;
  const ratioRange = options.ratioRange ?? DEFAULT_RANDOM_RESIZE_OPTIONS.ratioRange;
  checkRange('randomResize: ratioRange', ratioRange, '0 < lo <= hi');
  const ratio = options.rng.uniform(ratioRange[0], ratioRange[1]);
  return rescaleSize({
    width: options.width,
    height: options.height,
    scale: [scale[0] * ratio, scale[1] * ratio],
  });
}

/**
 * Nearest resize of labels sampling at pixel centres (cv2 INTER_NEAREST_EXACT, PIL NEAREST), so
 * labels stay aligned with the half-pixel-centred bilinear image resize. (mmcv's cv2
 * INTER_NEAREST samples at floor(dst * in / out), up to half a source pixel off.)
 */
export function resizeLabelsCentred(options: {
  labels: Uint8Array;
  width: number;
  height: number;
  outWidth: number;
  outHeight: number;
}): Uint8Array {
  const box = { x: 0, y: 0, width: options.outWidth, height: options.outHeight };
  return cropLazyLabels({ labels: lazyResizeLabels(options), box });
}

/**
 * A centre-aligned nearest resize of labels that is not materialised: `xs`/`ys` map output
 * columns/rows to source ones. The crop search reads through it and only the chosen crop is
 * copied out (a 2x resize of a 512² map would otherwise write 1M labels per sample).
 */
export interface LazyResizedLabels {
  source: Uint8Array;
  sourceWidth: number;
  width: number;
  height: number;
  xs: Int32Array;
  ys: Int32Array;
}

export function lazyResizeLabels(options: {
  labels: Uint8Array;
  width: number;
  height: number;
  outWidth: number;
  outHeight: number;
}): LazyResizedLabels {
  const { labels, width: w, height: h, outWidth: ow, outHeight: oh } = options;
  const xs = new Int32Array(ow);
  const ys = new Int32Array(oh);
  for (let x = 0; x < ow; x++) xs[x] = Math.min(w - 1, Math.floor(((x + 0.5) * w) / ow));
  for (let y = 0; y < oh; y++) ys[y] = Math.min(h - 1, Math.floor(((y + 0.5) * h) / oh)) * w;
  return { source: labels, sourceWidth: w, width: ow, height: oh, xs, ys };
}

/**
 * The labels of `box` from a lazily resized map; with `flip`, mirrored with the L/R pairs
 * swapped (the same bytes as `flipLabels` on the crop, in the same pass). Output rows that
 * repeat a source row (upscaling) are copied instead of gathered again.
 */
export function cropLazyLabels(
  options: { labels: LazyResizedLabels; box: CropBox; flip?: boolean } & FlipOptions,
): Uint8Array {
  const { labels: l, box } = options;
  const bw = box.width;
  const out = new Uint8Array(bw * box.height);
  const { source, ys } = l;
  const cols = l.xs.subarray(box.x, box.x + bw);
  const table = options.flip
    ? flipLabelTable({ pairs: options.pairs ?? CELEBAMASK_FLIP_PAIRS })
    : null;
  let prevRow = -1;
  for (let y = 0; y < box.height; y++) {
    const row = ys[box.y + y]!;
    const o = y * bw;
    if (row === prevRow) {
      out.copyWithin(o, o - bw, o);
      continue;
    }
    prevRow = row;
    if (table === null) for (let x = 0; x < bw; x++) out[o + x] = source[row + cols[x]!]!;
    else {
      const end = o + bw - 1;
      for (let x = 0; x < bw; x++) out[end - x] = table[source[row + cols[x]!]!]!;
    }
  }
  return out;
}

/** Resizes image (bilinear) and labels (nearest) together. */
export function resizeSample(options: {
  sample: SegSample;
  width: number;
  height: number;
}): SegSample {
  const { sample, width, height } = options;
  if (width === sample.width && height === sample.height) return sample;
  return {
    image: resizeImageBilinear({
      image: sample.image,
      width: sample.width,
      height: sample.height,
      outWidth: width,
      outHeight: height,
    }),
    labels: resizeLabelsCentred({
      labels: sample.labels,
      width: sample.width,
      height: sample.height,
      outWidth: width,
      outHeight: height,
    }),
    width,
    height,
  };
}
