import { CELEBAMASK_IGNORE_INDEX } from '@facepar/metrics';
import { DEFAULT_NORMALIZE_OPTIONS, normalizationLuts } from '@facepar/image';
import {
  hsvInto,
  IDENTITY_LUT,
  type PhotoMetricDraw,
  photoMetricTables,
  saturationLut,
} from './photo-metric.js';

// Normalise and pad training crops into batch memory (mmseg `SegDataPreProcessor`).

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
