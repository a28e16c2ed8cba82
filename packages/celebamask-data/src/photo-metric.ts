import type { Rng } from './rng.js';
import { checkRange } from './resize.js';

// mmseg `PhotoMetricDistortion` on RGB bytes, with OpenCV's 8-bit HSV arithmetic.

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

export const IDENTITY_LUT = Uint8Array.from({ length: 256 }, (_, v) => v);

/** Saturation table of a draw: v -> clip(floor(v * scale)) (identity without the step). */
export function saturationLut(saturation: number | null): Uint8Array {
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
export function hsvInto(o: {
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

/**
 * A draw as per-value tables around its HSV step: `pre` (brightness, contrast in mode 1) before
 * it, `post` (contrast in mode 0) after it. Without an HSV step, `pre` holds all of it.
 * Consecutive per-value steps compose into one table: the same bytes in one pass.
 */
export function photoMetricTables(d: PhotoMetricDraw): {
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

/** Applies a `drawPhotoMetric` result in place. */
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
