import { CELEBAMASK_FLIP_PAIRS, CELEBAMASK_IGNORE_INDEX, flipLabelTable } from '@facepar/metrics';
import type { Rng } from './rng.js';

/**
 * A sample on typed arrays (no tfjs): RGB HWC bytes and one label per pixel. Every transform
 * is a plain function of the sample and a seeded `Rng`, so it runs in worker threads and two
 * runs with the same RNG state give the same bytes. Geometry is always applied to image and
 * labels together (bilinear for the image, nearest for labels).
 */
export interface SegSample {
  image: Uint8Array;
  labels: Uint8Array;
  width: number;
  height: number;
}

/** mmcv `rescale_size`: the size that fits `scale` = [long, short] keeping the aspect ratio. */
export function rescaleSize(options: {
  width: number;
  height: number;
  scale: readonly [number, number];
}): {
  width: number;
  height: number;
} {
  const { width, height } = options;
  const long = Math.max(...options.scale);
  const short = Math.min(...options.scale);
  const f = Math.min(long / Math.max(width, height), short / Math.min(width, height));
  return { width: Math.floor(width * f + 0.5), height: Math.floor(height * f + 0.5) };
}

export interface RandomResizeOptions {
  /** mmseg `scale` (long, short) before the ratio. */
  scale?: readonly [number, number];
  ratioRange?: readonly [number, number];
}

export const DEFAULT_RANDOM_RESIZE_OPTIONS = {
  scale: [2048, 512] as readonly [number, number],
  ratioRange: [0.5, 2.0] as readonly [number, number],
} as const;

function checkRange(name: string, r: readonly number[], allowed: string): void {
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
 * Bilinear resize of an RGB HWC image: half-pixel centres and two taps per axis like cv2
 * INTER_LINEAR (mmcv's `imresize`, which mmseg uses), with its 11-bit fixed-point weights.
 */
export function resizeImageBilinear(options: {
  image: Uint8Array;
  width: number;
  height: number;
  outWidth: number;
  outHeight: number;
}): Uint8Array {
  const { outWidth: ow, outHeight: oh } = options;
  return resizeCropBilinear({ ...options, box: { x: 0, y: 0, width: ow, height: oh } });
}

/** Fixed-point weights: 2^11 steps, as cv2's INTER_RESIZE_COEF_BITS. */
const COEF_BITS = 11;
const COEF_ONE = 1 << COEF_BITS;

/** Per output position: source index of the first tap (clamped) and the second tap's weight. */
function bilinearTaps(out: number, start: number, size: number, scale: number) {
  const i0 = new Int32Array(out);
  const i1 = new Int32Array(out);
  const wt = new Int32Array(out);
  for (let j = 0; j < out; j++) {
    let f = (start + j + 0.5) * scale - 0.5;
    if (f < 0) f = 0;
    const a = Math.min(Math.floor(f), size - 1);
    i0[j] = a;
    i1[j] = Math.min(a + 1, size - 1);
    wt[j] = Math.round((f - a) * COEF_ONE);
  }
  return { i0, i1, wt };
}

/**
 * The `box` region of the bilinear resize of an RGB HWC image to outWidth x outHeight (the same
 * bytes as `resizeImageBilinear` then cropping), optionally mirrored. Only the crop is computed:
 * each needed source row is interpolated horizontally once, in integers.
 */
export function resizeCropBilinear(options: {
  image: Uint8Array;
  width: number;
  height: number;
  outWidth: number;
  outHeight: number;
  box: { x: number; y: number; width: number; height: number };
  flip?: boolean;
}): Uint8Array {
  const { image, width: w, height: h, outWidth: ow, outHeight: oh, box } = options;
  const bw = box.width;
  const bh = box.height;
  const n3 = bw * 3;
  const out = new Uint8Array(bh * n3);
  // per output byte (already mirrored when flipping): source byte offsets and weight
  const cx = bilinearTaps(bw, box.x, w, w / ow);
  const x0s = new Int32Array(n3);
  const x1s = new Int32Array(n3);
  const wxs = new Int32Array(n3);
  for (let j = 0; j < bw; j++) {
    const k = (options.flip ? bw - 1 - j : j) * 3;
    for (let c = 0; c < 3; c++) {
      x0s[k + c] = cx.i0[j]! * 3 + c;
      x1s[k + c] = cx.i1[j]! * 3 + c;
      wxs[k + c] = cx.wt[j]!;
    }
  }
  const cy = bilinearTaps(bh, box.y, h, h / oh);
  // two horizontally interpolated rows (values x 2^11), swapped as the window moves down
  let rowA = new Int32Array(n3);
  let rowB = new Int32Array(n3);
  let idxA = -1;
  let idxB = -1;
  for (let y = 0; y < bh; y++) {
    const y0 = cy.i0[y]!;
    const y1 = cy.i1[y]!;
    if (idxA !== y0) {
      if (idxB === y0) {
        const t = rowA;
        rowA = rowB;
        rowB = t;
        idxA = y0;
        idxB = -1;
      } else {
        horizontalTaps(image, y0 * w * 3, x0s, x1s, wxs, rowA);
        idxA = y0;
      }
    }
    if (idxB !== y1) {
      horizontalTaps(image, y1 * w * 3, x0s, x1s, wxs, rowB);
      idxB = y1;
    }
    verticalTaps(rowA, rowB, cy.wt[y]!, out, y * n3);
  }
  return out;
}

function horizontalTaps(
  image: Uint8Array,
  base: number,
  x0s: Int32Array,
  x1s: Int32Array,
  wxs: Int32Array,
  dst: Int32Array,
): void {
  for (let k = 0; k < dst.length; k++) {
    const a = image[base + x0s[k]!]!;
    dst[k] = (a << COEF_BITS) + (image[base + x1s[k]!]! - a) * wxs[k]!;
  }
}

/** Blends two rows (values x 2^11) with weight wy / 2^11, rounding to the nearest byte. */
function verticalTaps(
  rowA: Int32Array,
  rowB: Int32Array,
  wy: number,
  out: Uint8Array,
  at: number,
): void {
  const half = 1 << (2 * COEF_BITS - 1);
  for (let k = 0; k < rowA.length; k++) {
    const t = rowA[k]!;
    out[at + k] = ((t << COEF_BITS) + (rowB[k]! - t) * wy + half) >> (2 * COEF_BITS);
  }
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

export interface CropBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface RandomCropOptions {
  /** [height, width] (an int means square). */
  cropSize?: number | readonly [number, number];
  /** Retry (up to 10 times) while one class covers >= this share of the crop (1 = off). */
  catMaxRatio?: number;
  ignoreIndex?: number;
}

export const DEFAULT_RANDOM_CROP_OPTIONS = {
  cropSize: 512,
  catMaxRatio: 0.75,
  ignoreIndex: CELEBAMASK_IGNORE_INDEX,
} as const;

function cropHw(cropSize: number | readonly [number, number]): [number, number] {
  const hw: [number, number] =
    typeof cropSize === 'number' ? [cropSize, cropSize] : [cropSize[0], cropSize[1]];
  if (!hw.every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error(
      `randomCrop: cropSize ${JSON.stringify(cropSize)} must be a positive integer or [h, w]`,
    );
  }
  return hw;
}

/**
 * mmseg `RandomCrop.crop_bbox`: a random box (clipped to the image), redrawn up to 10 times
 * while it holds fewer than 2 classes or one class has `catMaxRatio` or more of its labelled
 * pixels; after 10 redraws the last box is kept.
 */
export function randomCropBox(
  options: {
    labels: Uint8Array | LazyResizedLabels;
    width: number;
    height: number;
    rng: Rng;
  } & RandomCropOptions,
): CropBox {
  const [ch, cw] = cropHw(options.cropSize ?? DEFAULT_RANDOM_CROP_OPTIONS.cropSize);
  const catMaxRatio = options.catMaxRatio ?? DEFAULT_RANDOM_CROP_OPTIONS.catMaxRatio;
  const ignoreIndex = options.ignoreIndex ?? DEFAULT_RANDOM_CROP_OPTIONS.ignoreIndex;
  if (!(catMaxRatio > 0 && catMaxRatio <= 1)) {
    throw new Error(`randomCrop: catMaxRatio ${catMaxRatio} must be in (0, 1]`);
  }
  const { width, height, rng } = options;
  // a materialised map is a lazy one with identity index maps
  const view: LazyResizedLabels =
    options.labels instanceof Uint8Array
      ? lazyResizeLabels({
          labels: options.labels,
          width,
          height,
          outWidth: width,
          outHeight: height,
        })
      : options.labels;
  if (view.width !== width || view.height !== height) {
    throw new Error(
      `randomCrop: labels are ${view.width}x${view.height}, expected ${width}x${height}`,
    );
  }
  const { source, xs, ys } = view;
  const draw = (): CropBox => {
    const x = rng.int(0, Math.max(width - cw, 0));
    const y = rng.int(0, Math.max(height - ch, 0));
    return { x, y, width: Math.min(cw, width - x), height: Math.min(ch, height - y) };
  };
  let box = draw();
  if (catMaxRatio < 1) {
    const counts = new Uint32Array(256);
    // an upscaled map repeats source columns and rows: count each source label once, times the
    // number of output pixels it covers (same counts, a quarter of the reads at 2x)
    const cols = new Int32Array(cw);
    const colMul = new Uint32Array(cw);
    for (let attempt = 0; attempt < 10; attempt++) {
      counts.fill(0);
      let nc = 0;
      for (let xx = box.x; xx < box.x + box.width; xx++) {
        const sx = xs[xx]!;
        if (nc > 0 && cols[nc - 1] === sx) colMul[nc - 1]!++;
        else {
          cols[nc] = sx;
          colMul[nc++] = 1;
        }
      }
      for (let yy = box.y; yy < box.y + box.height; ) {
        const row = ys[yy]!;
        let rowMul = 1;
        for (yy++; yy < box.y + box.height && ys[yy] === row; yy++) rowMul++;
        // label maps are runs: add each run once (no back-to-back increments of one bin)
        let prev = source[row + cols[0]!]!;
        let run = colMul[0]!;
        for (let k = 1; k < nc; k++) {
          const v = source[row + cols[k]!]!;
          if (v === prev) run += colMul[k]!;
          else {
            counts[prev]! += run * rowMul;
            prev = v;
            run = colMul[k]!;
          }
        }
        counts[prev]! += run * rowMul;
      }
      counts[ignoreIndex] = 0;
      let classes = 0;
      let max = 0;
      let sum = 0;
      for (let c = 0; c < 256; c++) {
        const n = counts[c]!;
        if (n === 0) continue;
        classes++;
        sum += n;
        if (n > max) max = n;
      }
      if (classes > 1 && max / sum < catMaxRatio) break;
      box = draw();
    }
  }
  return box;
}

/** Crops image and labels to `box`. */
export function cropSample(options: {
  sample: SegSample;
  box: CropBox;
  labelsOnly?: boolean;
}): SegSample {
  const { sample, box } = options;
  const { width: W } = sample;
  const image = new Uint8Array(options.labelsOnly ? 0 : box.width * box.height * 3);
  const labels = new Uint8Array(box.width * box.height);
  for (let y = 0; y < box.height; y++) {
    const src = (box.y + y) * W + box.x;
    if (!options.labelsOnly) {
      image.set(sample.image.subarray(src * 3, (src + box.width) * 3), y * box.width * 3);
    }
    labels.set(sample.labels.subarray(src, src + box.width), y * box.width);
  }
  return { image, labels, width: box.width, height: box.height };
}

export interface FlipOptions {
  /**
   * Left/right label pairs swapped by the flip (a face's left eye becomes its right eye).
   * Default `CELEBAMASK_FLIP_PAIRS`; `[]` reproduces mmseg's plain flip.
   */
  pairs?: readonly (readonly [number, number])[];
}

/** Horizontal mirror of a label map, swapping the L/R label pairs. */
export function flipLabels(
  options: { labels: Uint8Array; width: number; height: number } & FlipOptions,
): Uint8Array {
  const table = flipLabelTable({ pairs: options.pairs ?? CELEBAMASK_FLIP_PAIRS });
  const { labels: src, width: w, height: h } = options;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) out[row + (w - 1 - x)] = table[src[row + x]!]!;
  }
  return out;
}

/** Horizontal mirror of an RGB HWC image. */
export function flipImage(options: {
  image: Uint8Array;
  width: number;
  height: number;
}): Uint8Array {
  const { image: src, width: w, height: h } = options;
  const out = new Uint8Array(src.length);
  for (let y = 0; y < h; y++) {
    const row = y * w * 3;
    for (let x = 0; x < w; x++) {
      const s = row + 3 * x;
      const d = row + 3 * (w - 1 - x);
      out[d] = src[s]!;
      out[d + 1] = src[s + 1]!;
      out[d + 2] = src[s + 2]!;
    }
  }
  return out;
}

/** Horizontal mirror of image and labels, swapping the L/R label pairs. */
export function flipSample(options: { sample: SegSample } & FlipOptions): SegSample {
  const { sample } = options;
  const table = flipLabelTable({ pairs: options.pairs ?? CELEBAMASK_FLIP_PAIRS });
  const { width: w, height: h } = sample;
  const image = new Uint8Array(sample.image.length);
  const labels = new Uint8Array(sample.labels.length);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const s = row + x;
      const d = row + (w - 1 - x);
      labels[d] = table[sample.labels[s]!]!;
      image[3 * d] = sample.image[3 * s]!;
      image[3 * d + 1] = sample.image[3 * s + 1]!;
      image[3 * d + 2] = sample.image[3 * s + 2]!;
    }
  }
  return { image, labels, width: w, height: h };
}

export interface PhotoMetricDistortionOptions {
  brightnessDelta?: number;
  contrastRange?: readonly [number, number];
  saturationRange?: readonly [number, number];
  hueDelta?: number;
}

export const DEFAULT_PHOTO_METRIC_DISTORTION_OPTIONS = {
  brightnessDelta: 32,
  contrastRange: [0.5, 1.5] as readonly [number, number],
  saturationRange: [0.5, 1.5] as readonly [number, number],
  hueDelta: 18,
} as const;

export function resolvePhotoMetricDistortionOptions(
  options: PhotoMetricDistortionOptions = {},
): Required<PhotoMetricDistortionOptions> {
  const d = DEFAULT_PHOTO_METRIC_DISTORTION_OPTIONS;
  const r = {
    brightnessDelta: options.brightnessDelta ?? d.brightnessDelta,
    contrastRange: options.contrastRange ?? d.contrastRange,
    saturationRange: options.saturationRange ?? d.saturationRange,
    hueDelta: options.hueDelta ?? d.hueDelta,
  };
  if (!(r.brightnessDelta >= 0))
    throw new Error(`photoMetricDistortion: brightnessDelta ${r.brightnessDelta} must be >= 0`);
  if (!Number.isInteger(r.hueDelta) || r.hueDelta < 0 || r.hueDelta > 90) {
    throw new Error(`photoMetricDistortion: hueDelta ${r.hueDelta} must be an integer in 0..90`);
  }
  checkRange('photoMetricDistortion: contrastRange', r.contrastRange, '0 < lo <= hi');
  checkRange('photoMetricDistortion: saturationRange', r.saturationRange, '0 < lo <= hi');
  return r;
}

/** What one `photoMetricDistortion` call drew (null = step not applied). */
export interface PhotoMetricDraw {
  brightness: number | null;
  contrastFirst: boolean;
  contrast: number | null;
  saturation: number | null;
  hue: number | null;
}

/** The random draws of mmseg's PhotoMetricDistortion, in its order (each step p = 0.5). */
export function drawPhotoMetric(
  options: { rng: Rng } & PhotoMetricDistortionOptions,
): PhotoMetricDraw {
  const o = resolvePhotoMetricDistortionOptions(options);
  const { rng } = options;
  const brightness = rng.random() < 0.5 ? rng.uniform(-o.brightnessDelta, o.brightnessDelta) : null;
  const contrastFirst = rng.random() < 0.5; // mmseg mode == 1
  let contrast: number | null = null;
  if (contrastFirst && rng.random() < 0.5)
    contrast = rng.uniform(o.contrastRange[0], o.contrastRange[1]);
  const saturation =
    rng.random() < 0.5 ? rng.uniform(o.saturationRange[0], o.saturationRange[1]) : null;
  // numpy randint(-d, d) excludes d
  const hue = rng.random() < 0.5 ? rng.int(-o.hueDelta, o.hueDelta - 1) : null;
  if (!contrastFirst && rng.random() < 0.5)
    contrast = rng.uniform(o.contrastRange[0], o.contrastRange[1]);
  return { brightness, contrastFirst, contrast, saturation, hue };
}

/** `x * alpha + beta`, clipped to 0..255 and truncated to uint8 (mmseg `convert`), as a LUT. */
function convertLut(alpha: number, beta: number, before?: Uint8Array): Uint8Array {
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) {
    const y = (before ? before[v]! : v) * alpha + beta;
    lut[v] = y <= 0 ? 0 : y >= 255 ? 255 : Math.floor(y);
  }
  return lut;
}

/** `image[i] = lut[image[i]]`, four bytes per 32-bit word (each byte lane maps on its own). */
function applyLut(image: Uint8Array, lut: Uint8Array): void {
  const n = image.length;
  let i = 0;
  while (i < n && ((image.byteOffset + i) & 3) !== 0) {
    image[i] = lut[image[i]!]!;
    i++;
  }
  const words = (n - i) >> 2;
  const w = new Uint32Array(image.buffer, image.byteOffset + i, words);
  for (let k = 0; k < words; k++) {
    const v = w[k]!;
    w[k] =
      lut[v & 255]! |
      (lut[(v >>> 8) & 255]! << 8) |
      (lut[(v >>> 16) & 255]! << 16) |
      (lut[v >>> 24]! << 24);
  }
  for (i += words * 4; i < n; i++) image[i] = lut[image[i]!]!;
}

// OpenCV's fixed-point tables for 8-bit RGB -> HSV (H in 0..179), so S and H match cv2 exactly.
const HSV_SHIFT = 12;
const SDIV = new Int32Array(256);
const HDIV = new Int32Array(256);
for (let i = 1; i < 256; i++) {
  SDIV[i] = Math.round((255 << HSV_SHIFT) / i);
  HDIV[i] = Math.round((180 << HSV_SHIFT) / (6 * i));
}

const IDENTITY_LUT = Uint8Array.from({ length: 256 }, (_, v) => v);

/** Saturation table of a draw: v -> clip(floor(v * scale)) (identity without the step). */
function saturationLut(saturation: number | null): Uint8Array {
  const satLut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) {
    const y = saturation === null ? v : v * saturation;
    satLut[v] = y <= 0 ? 0 : y >= 255 ? 255 : Math.floor(y);
  }
  return satLut;
}

/**
 * Saturation scale and hue shift through 8-bit HSV with OpenCV's arithmetic (H in 0..179, S and
 * V in 0..255), one RGB→HSV→RGB round trip per pixel, on `count` pixels from `src[srcAt]`:
 * channel bytes go through `pre` first; the resulting bytes r, g, b are written as
 * `f0[r], f1[g], f2[b]` at `out[outAt]` (bytes in place, or normalised floats in one pass).
 */
function hsvInto(o: {
  src: Uint8Array;
  srcAt: number;
  count: number;
  pre: Uint8Array;
  satLut: Uint8Array;
  hue: number | null;
  out: Uint8Array | Float32Array;
  outAt: number;
  f0: Uint8Array | Float32Array;
  f1: Uint8Array | Float32Array;
  f2: Uint8Array | Float32Array;
}): void {
  const { src, pre, satLut, out, f0, f1, f2 } = o;
  const dh = o.hue ?? 0;
  const hscale = 6 / 180;
  const end = o.srcAt + 3 * o.count;
  for (let i = o.srcAt, k = o.outAt; i < end; i += 3, k += 3) {
    const r = pre[src[i]!]!;
    const g = pre[src[i + 1]!]!;
    const b = pre[src[i + 2]!]!;
    let v = r;
    if (g > v) v = g;
    if (b > v) v = b;
    let mn = r;
    if (g < mn) mn = g;
    if (b < mn) mn = b;
    const diff = v - mn;
    const s = satLut[(diff * SDIV[v]! + (1 << (HSV_SHIFT - 1))) >> HSV_SHIFT]!;
    if (s === 0) {
      out[k] = f0[v]!;
      out[k + 1] = f1[v]!;
      out[k + 2] = f2[v]!;
      continue;
    }
    let h: number;
    if (v === r) h = g - b;
    else if (v === g) h = b - r + 2 * diff;
    else h = r - g + 4 * diff;
    h = (h * HDIV[diff]! + (1 << (HSV_SHIFT - 1))) >> HSV_SHIFT;
    if (h < 0) h += 180;
    h += dh;
    if (h >= 180) h -= 180;
    else if (h < 0) h += 180;
    // cv2 HSV2RGB_f on (h * 6/180, s/255, v/255), then rounded back to bytes (all values >= 0)
    let hh = h * hscale;
    let sector = hh | 0;
    hh -= sector;
    if (sector >= 6) {
      sector = 0;
      hh = 0;
    }
    const ss = s / 255;
    const p = (v * (1 - ss) + 0.5) | 0;
    const q = (v * (1 - ss * hh) + 0.5) | 0;
    const t = (v * (1 - ss * (1 - hh)) + 0.5) | 0;
    let R: number;
    let G: number;
    let B: number;
    switch (sector) {
      case 0:
        R = v;
        G = t;
        B = p;
        break;
      case 1:
        R = q;
        G = v;
        B = p;
        break;
      case 2:
        R = p;
        G = v;
        B = t;
        break;
      case 3:
        R = p;
        G = q;
        B = v;
        break;
      case 4:
        R = t;
        G = p;
        B = v;
        break;
      default:
        R = v;
        G = p;
        B = q;
    }
    out[k] = f0[R]!;
    out[k + 1] = f1[G]!;
    out[k + 2] = f2[B]!;
  }
}

/**
 * mmseg `PhotoMetricDistortion` on RGB bytes, in place: brightness, contrast (first or last, by a
 * coin), saturation, hue; each applied with probability 0.5. Saturation and hue share one HSV
 * round trip (mmseg does one each; results agree up to rounding). Returns what was drawn.
 */
export function photoMetricDistortion(
  options: { image: Uint8Array; rng: Rng } & PhotoMetricDistortionOptions,
): PhotoMetricDraw {
  const d = drawPhotoMetric(options);
  applyPhotoMetric({ image: options.image, draw: d });
  return d;
}

/** Applies a `drawPhotoMetric` result in place. */
/**
 * A draw as per-value tables around its HSV step: `pre` (brightness, contrast in mode 1) before
 * it, `post` (contrast in mode 0) after it. Without an HSV step, `pre` holds all of it.
 * Consecutive per-value steps compose into one table: the same bytes in one pass.
 */
function photoMetricTables(d: PhotoMetricDraw): {
  pre: Uint8Array | undefined;
  post: Uint8Array | undefined;
  hsv: boolean;
} {
  let pre: Uint8Array | undefined;
  if (d.brightness !== null) pre = convertLut(1, d.brightness);
  if (d.contrastFirst && d.contrast !== null) pre = convertLut(d.contrast, 0, pre);
  const post = !d.contrastFirst && d.contrast !== null ? convertLut(d.contrast, 0) : undefined;
  const hsv = d.saturation !== null || d.hue !== null;
  if (!hsv && post) return { pre: convertLut(d.contrast!, 0, pre), post: undefined, hsv };
  return { pre, post, hsv };
}

export function applyPhotoMetric(options: { image: Uint8Array; draw: PhotoMetricDraw }): void {
  const { image, draw: d } = options;
  const { pre, post, hsv } = photoMetricTables(d);
  if (hsv) {
    const f = post ?? IDENTITY_LUT;
    hsvInto({
      src: image,
      srcAt: 0,
      count: image.length / 3,
      pre: pre ?? IDENTITY_LUT,
      satLut: saturationLut(d.saturation),
      hue: d.hue,
      out: image,
      outAt: 0,
      f0: f,
      f1: f,
      f2: f,
    });
  } else if (pre) applyLut(image, pre);
}

export interface NormalizeOptions {
  mean?: readonly [number, number, number];
  std?: readonly [number, number, number];
}

export const DEFAULT_NORMALIZE_OPTIONS = {
  mean: [123.675, 116.28, 103.53] as readonly [number, number, number],
  std: [58.395, 57.12, 57.375] as readonly [number, number, number],
} as const;

/** Per-channel tables byte -> (byte - mean) / std, after an optional per-value table `before`. */
function normalizationLuts(
  mean: readonly number[],
  std: readonly number[],
  before?: Uint8Array,
): [Float32Array, Float32Array, Float32Array] {
  const luts = [0, 1, 2].map((c) => {
    const l = new Float32Array(256);
    for (let v = 0; v < 256; v++) l[v] = ((before ? before[v]! : v) - mean[c]!) / std[c]!;
    return l;
  });
  return luts as [Float32Array, Float32Array, Float32Array];
}

/** `(x - mean) / std` per RGB channel into float32 (optionally into `out` at `offset`). */
export function normalizeImage(
  options: { image: Uint8Array; out?: Float32Array; offset?: number } & NormalizeOptions,
): Float32Array {
  const mean = options.mean ?? DEFAULT_NORMALIZE_OPTIONS.mean;
  const std = options.std ?? DEFAULT_NORMALIZE_OPTIONS.std;
  if (mean.length !== 3 || std.length !== 3 || std.some((s) => !(s > 0))) {
    throw new Error(
      `normalizeImage: mean [${mean.join(', ')}] and std [${std.join(', ')}] must be 3 values, std > 0`,
    );
  }
  const { image } = options;
  const out = options.out ?? new Float32Array(image.length);
  const off = options.offset ?? 0;
  if (off + image.length > out.length) {
    throw new Error(`normalizeImage: out has ${out.length} values, needs ${off + image.length}`);
  }
  const [l0, l1, l2] = normalizationLuts(mean, std);
  for (let i = 0; i < image.length; i += 3) {
    out[off + i] = l0[image[i]!]!;
    out[off + i + 1] = l1[image[i + 1]!]!;
    out[off + i + 2] = l2[image[i + 2]!]!;
  }
  return out;
}

/**
 * Normalises an RGB byte image into a float32 buffer of [outHeight, outWidth] at `offset`
 * (top-left aligned) and fills the rest with `padValue`; labels likewise with `segPadValue`.
 * One pass, no intermediate copies (used for batches).
 */
export function normalizePadInto(options: {
  image: Uint8Array;
  labels: Uint8Array;
  width: number;
  height: number;
  outImage: Float32Array;
  outLabels: Uint8Array | Int32Array;
  outWidth: number;
  outHeight: number;
  imageOffset?: number;
  labelOffset?: number;
  mean?: readonly [number, number, number];
  std?: readonly [number, number, number];
  padValue?: number;
  segPadValue?: number;
  /**
   * A photometric distortion applied on the way (the same floats as `applyPhotoMetric` on the
   * bytes first, in one pass instead of two or three over the image).
   */
  photoMetric?: PhotoMetricDraw | null;
}): void {
  const mean = options.mean ?? DEFAULT_NORMALIZE_OPTIONS.mean;
  const std = options.std ?? DEFAULT_NORMALIZE_OPTIONS.std;
  const {
    image,
    labels,
    width: w,
    height: h,
    outImage,
    outLabels,
    outWidth: W,
    outHeight: H,
  } = options;
  if (w > W || h > H) throw new Error(`normalizePadInto: ${w}x${h} is larger than ${W}x${H}`);
  const io = options.imageOffset ?? 0;
  const lo = options.labelOffset ?? 0;
  if (io + W * H * 3 > outImage.length || lo + W * H > outLabels.length) {
    throw new Error('normalizePadInto: output buffers are too small');
  }
  const pad = options.padValue ?? 0;
  const segPad = options.segPadValue ?? CELEBAMASK_IGNORE_INDEX;
  const draw = options.photoMetric ?? null;
  const t = draw ? photoMetricTables(draw) : { pre: undefined, post: undefined, hsv: false };
  // bytes -> normalised floats, with the last per-value step of the distortion folded in
  const [l0, l1, l2] = normalizationLuts(mean, std, t.hsv ? t.post : t.pre);
  const satLut = t.hsv ? saturationLut(draw!.saturation) : null;
  for (let y = 0; y < h; y++) {
    let src = y * w * 3;
    let dst = io + y * W * 3;
    if (satLut) {
      hsvInto({
        src: image,
        srcAt: src,
        count: w,
        pre: t.pre ?? IDENTITY_LUT,
        satLut,
        hue: draw!.hue,
        out: outImage,
        outAt: dst,
        f0: l0,
        f1: l1,
        f2: l2,
      });
    } else {
      for (let x = 0; x < w; x++) {
        outImage[dst] = l0[image[src]!]!;
        outImage[dst + 1] = l1[image[src + 1]!]!;
        outImage[dst + 2] = l2[image[src + 2]!]!;
        src += 3;
        dst += 3;
      }
    }
    if (w < W) outImage.fill(pad, io + (y * W + w) * 3, io + (y + 1) * W * 3);
    const lrow = lo + y * W;
    outLabels.set(labels.subarray(y * w, (y + 1) * w), lrow);
    if (w < W) outLabels.fill(segPad, lrow + w, lrow + W);
  }
  if (h < H) {
    outImage.fill(pad, io + h * W * 3, io + H * W * 3);
    outLabels.fill(segPad, lo + h * W, lo + H * W);
  }
}

/**
 * Pads a normalised float image (value `padValue`) and labels (`segPadValue`, 255) at the
 * bottom/right to [height, width], like mmseg's SegDataPreProcessor.
 */
export function padSample(options: {
  image: Float32Array;
  labels: Uint8Array;
  width: number;
  height: number;
  size: readonly [number, number];
  padValue?: number;
  segPadValue?: number;
}): { image: Float32Array; labels: Uint8Array; width: number; height: number } {
  const [H, W] = options.size;
  const { width: w, height: h } = options;
  if (w > W || h > H) throw new Error(`padSample: ${w}x${h} is larger than the pad size ${W}x${H}`);
  if (w === W && h === H)
    return { image: options.image, labels: options.labels, width: w, height: h };
  const image = new Float32Array(W * H * 3).fill(options.padValue ?? 0);
  const labels = new Uint8Array(W * H).fill(options.segPadValue ?? CELEBAMASK_IGNORE_INDEX);
  for (let y = 0; y < h; y++) {
    image.set(options.image.subarray(y * w * 3, (y + 1) * w * 3), y * W * 3);
    labels.set(options.labels.subarray(y * w, (y + 1) * w), y * W);
  }
  return { image, labels, width: W, height: H };
}
