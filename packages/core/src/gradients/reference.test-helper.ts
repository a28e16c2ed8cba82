// Float64 reference implementations (NHWC) of the ops whose gradients facepar fixes, written
// from the definitions, independent of tfjs. Used by tests only.

export interface Pads {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** Deterministic pseudo-random numbers in [-1, 1) (mulberry32). */
export function randomArray(n: number, seed: number): Float64Array {
  let a = seed >>> 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** Pads of TF 'same' / 'valid' / explicit, computed from TF's definition. */
export function referencePads(options: {
  size: [number, number];
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  pad: 'same' | 'valid' | Pads;
}): Pads {
  const { pad } = options;
  if (pad === 'valid') return { top: 0, bottom: 0, left: 0, right: 0 };
  if (pad !== 'same') return pad;
  const total = (i: 0 | 1) => {
    const s = options.strides[i];
    const eff = (options.kernel[i] - 1) * options.dilations[i] + 1;
    const outSize = Math.ceil(options.size[i] / s);
    return Math.max((outSize - 1) * s + eff - options.size[i], 0);
  };
  const th = total(0);
  const tw = total(1);
  return {
    top: Math.floor(th / 2),
    bottom: th - Math.floor(th / 2),
    left: Math.floor(tw / 2),
    right: tw - Math.floor(tw / 2),
  };
}

export interface ConvGeometry {
  xShape: [number, number, number, number];
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  pads: Pads;
}

function outSize(g: ConvGeometry): [number, number] {
  const [, h, w] = g.xShape;
  const oh =
    Math.floor(
      (h + g.pads.top + g.pads.bottom - (g.kernel[0] - 1) * g.dilations[0] - 1) / g.strides[0],
    ) + 1;
  const ow =
    Math.floor(
      (w + g.pads.left + g.pads.right - (g.kernel[1] - 1) * g.dilations[1] - 1) / g.strides[1],
    ) + 1;
  return [oh, ow];
}

/**
 * Visits every (output, tap) pair of a convolution: cb(n, oy, ox, iy, ix, ky, kx) with the input
 * position inside the image (padding cells contribute zero and are skipped).
 */
function forEachTap(
  g: ConvGeometry,
  cb: (n: number, oy: number, ox: number, iy: number, ix: number, ky: number, kx: number) => void,
): void {
  const [n, h, w] = g.xShape;
  const [oh, ow] = outSize(g);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let ky = 0; ky < g.kernel[0]; ky++) {
          const iy = oy * g.strides[0] - g.pads.top + ky * g.dilations[0];
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < g.kernel[1]; kx++) {
            const ix = ox * g.strides[1] - g.pads.left + kx * g.dilations[1];
            if (ix < 0 || ix >= w) continue;
            cb(b, oy, ox, iy, ix, ky, kx);
          }
        }
}

/** Conv2D (filter [kh, kw, cin, cout]) forward and its gradients for upstream dy. */
export function conv2dReference(
  g: ConvGeometry,
  x: Float64Array,
  filter: Float64Array,
  cout: number,
  dy: Float64Array,
): { y: Float64Array; yShape: number[]; dx: Float64Array; dfilter: Float64Array } {
  const [n, h, w, cin] = g.xShape;
  const [oh, ow] = outSize(g);
  const y = new Float64Array(n * oh * ow * cout);
  const dx = new Float64Array(x.length);
  const dfilter = new Float64Array(filter.length);
  forEachTap(g, (b, oy, ox, iy, ix, ky, kx) => {
    const xo = ((b * h + iy) * w + ix) * cin;
    const yo = ((b * oh + oy) * ow + ox) * cout;
    const fo = (ky * g.kernel[1] + kx) * cin * cout;
    for (let ci = 0; ci < cin; ci++) {
      const xv = x[xo + ci] as number;
      for (let co = 0; co < cout; co++) {
        const f = fo + ci * cout + co;
        y[yo + co] = (y[yo + co] as number) + xv * (filter[f] as number);
        dx[xo + ci] = (dx[xo + ci] as number) + (dy[yo + co] as number) * (filter[f] as number);
        dfilter[f] = (dfilter[f] as number) + (dy[yo + co] as number) * xv;
      }
    }
  });
  return { y, yShape: [n, oh, ow, cout], dx, dfilter };
}

/** DepthwiseConv2dNative (filter [kh, kw, c, mult], output channel c*mult+m) and gradients. */
export function depthwiseReference(
  g: ConvGeometry,
  x: Float64Array,
  filter: Float64Array,
  mult: number,
  dy: Float64Array,
): { y: Float64Array; yShape: number[]; dx: Float64Array; dfilter: Float64Array } {
  const [n, h, w, c] = g.xShape;
  const [oh, ow] = outSize(g);
  const cout = c * mult;
  const y = new Float64Array(n * oh * ow * cout);
  const dx = new Float64Array(x.length);
  const dfilter = new Float64Array(filter.length);
  forEachTap(g, (b, oy, ox, iy, ix, ky, kx) => {
    const xo = ((b * h + iy) * w + ix) * c;
    const yo = ((b * oh + oy) * ow + ox) * cout;
    const fo = (ky * g.kernel[1] + kx) * c * mult;
    for (let ci = 0; ci < c; ci++) {
      const xv = x[xo + ci] as number;
      for (let m = 0; m < mult; m++) {
        const f = fo + ci * mult + m;
        const o = yo + ci * mult + m;
        y[o] = (y[o] as number) + xv * (filter[f] as number);
        dx[xo + ci] = (dx[xo + ci] as number) + (dy[o] as number) * (filter[f] as number);
        dfilter[f] = (dfilter[f] as number) + (dy[o] as number) * xv;
      }
    }
  });
  return { y, yShape: [n, oh, ow, cout], dx, dfilter };
}

/** Interpolation matrix [outSize][inSize] of PyTorch F.interpolate(mode='bilinear'). */
export function torchInterpolationMatrix(
  inSize: number,
  outSize: number,
  alignCorners: boolean,
): Float64Array[] {
  const rows: Float64Array[] = [];
  for (let o = 0; o < outSize; o++) {
    const row = new Float64Array(inSize);
    let src: number;
    if (alignCorners) src = outSize > 1 ? (o * (inSize - 1)) / (outSize - 1) : 0;
    else src = Math.max(((o + 0.5) * inSize) / outSize - 0.5, 0);
    const i0 = Math.floor(src);
    const i1 = i0 < inSize - 1 ? i0 + 1 : i0;
    const l1 = src - i0;
    row[i0] = (row[i0] as number) + (1 - l1);
    row[i1] = (row[i1] as number) + l1;
    rows.push(row);
  }
  return rows;
}

/** Bilinear resize y = Ry · x · Rxᵀ per (n, c) and its gradient dx = Ryᵀ · dy · Rx. */
export function resizeBilinearReference(
  xShape: [number, number, number, number],
  x: Float64Array,
  size: [number, number],
  alignCorners: boolean,
  dy: Float64Array,
): { y: Float64Array; dx: Float64Array } {
  const [n, h, w, c] = xShape;
  const [oh, ow] = size;
  const ry = torchInterpolationMatrix(h, oh, alignCorners);
  const rx = torchInterpolationMatrix(w, ow, alignCorners);
  const y = new Float64Array(n * oh * ow * c);
  const dx = new Float64Array(x.length);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let iy = 0; iy < h; iy++) {
          const wy = (ry[oy] as Float64Array)[iy] as number;
          if (wy === 0) continue;
          for (let ix = 0; ix < w; ix++) {
            const wgt = wy * ((rx[ox] as Float64Array)[ix] as number);
            if (wgt === 0) continue;
            for (let ch = 0; ch < c; ch++) {
              const yi = ((b * oh + oy) * ow + ox) * c + ch;
              const xi = ((b * h + iy) * w + ix) * c + ch;
              y[yi] = (y[yi] as number) + wgt * (x[xi] as number);
              dx[xi] = (dx[xi] as number) + wgt * (dy[yi] as number);
            }
          }
        }
  return { y, dx };
}

/** PyTorch MaxPool2d (floor mode, -inf padding) forward and gradient (first max wins). */
export function maxPoolReference(
  xShape: [number, number, number, number],
  x: Float64Array,
  kernel: [number, number],
  strides: [number, number],
  padding: [number, number],
  dy: Float64Array,
): { y: Float64Array; yShape: number[]; dx: Float64Array } {
  const [n, h, w, c] = xShape;
  const oh = Math.floor((h + 2 * padding[0] - kernel[0]) / strides[0]) + 1;
  const ow = Math.floor((w + 2 * padding[1] - kernel[1]) / strides[1]) + 1;
  const y = new Float64Array(n * oh * ow * c);
  const dx = new Float64Array(x.length);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let ch = 0; ch < c; ch++) {
          let best = Number.NEGATIVE_INFINITY;
          let arg = -1;
          for (let ky = 0; ky < kernel[0]; ky++)
            for (let kx = 0; kx < kernel[1]; kx++) {
              const iy = oy * strides[0] - padding[0] + ky;
              const ix = ox * strides[1] - padding[1] + kx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              const xi = ((b * h + iy) * w + ix) * c + ch;
              if ((x[xi] as number) > best) {
                best = x[xi] as number;
                arg = xi;
              }
            }
          const yi = ((b * oh + oy) * ow + ox) * c + ch;
          y[yi] = best;
          dx[arg] = (dx[arg] as number) + (dy[yi] as number);
        }
  return { y, yShape: [n, oh, ow, c], dx };
}

/** max|a − b| / max|b|, the error measure of every comparison here. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs((a[i] as number) - (b[i] as number)));
    den = Math.max(den, Math.abs(b[i] as number));
  }
  return den === 0 ? num : num / den;
}
