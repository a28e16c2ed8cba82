// cv2/mmcv image geometry on RGB bytes (HWC): what mmseg's Resize does to an image.

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
