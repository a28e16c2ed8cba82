// The synthetic face's canvas: a label map and float RGB painted shape by shape.

import type { Rgb } from './colour.js';

export interface Canvas {
  size: number;
  labels: Uint8Array;
  rgb: Float32Array;
  noiseSeed: number;
}

/** Writes the colour of pixel (x, y) into `out` (may read the current colour from the canvas). */
export type Fill = (x: number, y: number, out: Float32Array, at: number) => void;

export function hash2(x: number, y: number, s: number): number {
  let h = (Math.imul(x | 0, 374761393) + Math.imul(y | 0, 668265263) + Math.imul(s, 982451653)) | 0;
  h = Math.imul(h ^ (h >>> 13), 1274126177);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/**
 * Smooth value noise in [0, 1) at scale `cell` pixels over a size x size canvas (lattice hashes
 * computed once, smoothstep interpolation).
 */
export function noiseField(
  size: number,
  cell: number,
  s: number,
): (x: number, y: number) => number {
  const g = Math.floor((size - 1) / cell) + 2;
  const grid = new Float64Array(g * g);
  for (let iy = 0; iy < g; iy++)
    for (let ix = 0; ix < g; ix++) grid[iy * g + ix] = hash2(ix, iy, s);
  return (x, y) => {
    const fx = x / cell;
    const fy = y / cell;
    const ix = Math.min(Math.floor(fx), g - 2);
    const iy = Math.min(Math.floor(fy), g - 2);
    let tx = fx - ix;
    let ty = fy - iy;
    tx = tx * tx * (3 - 2 * tx);
    ty = ty * ty * (3 - 2 * ty);
    const o = iy * g + ix;
    const a = grid[o]!;
    const b = grid[o + 1]!;
    const c = grid[o + g]!;
    const d = grid[o + g + 1]!;
    return a + (b - a) * tx + (c - a) * ty + (a - b - c + d) * tx * ty;
  };
}

export function paint(
  c: Canvas,
  box: { x0: number; y0: number; x1: number; y1: number },
  inside: (x: number, y: number) => boolean,
  label: number,
  fill: Fill,
): void {
  const n = c.size;
  const x0 = Math.max(0, Math.floor(box.x0));
  const y0 = Math.max(0, Math.floor(box.y0));
  const x1 = Math.min(n - 1, Math.ceil(box.x1));
  const y1 = Math.min(n - 1, Math.ceil(box.y1));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      // sample at the pixel centre
      if (!inside(x + 0.5, y + 0.5)) continue;
      const i = y * n + x;
      c.labels[i] = label;
      fill(x, y, c.rgb, 3 * i);
    }
  }
}

export interface Ellipse {
  cx: number;
  cy: number;
  rx: number;
  ry: number;
  angle?: number;
}

/**
 * A function giving the coordinates of (x, y) in the ellipse frame, scaled so the boundary is
 * u² + v² = 1 (writes [u, v] into a shared pair to stay allocation-free per pixel).
 */
export function ellipseFrame(e: Ellipse): (x: number, y: number) => Float64Array {
  const cos = Math.cos(e.angle ?? 0) / e.rx;
  const sin = Math.sin(e.angle ?? 0);
  const sinX = sin / e.rx;
  const cosY = Math.cos(e.angle ?? 0) / e.ry;
  const sinY = sin / e.ry;
  const uv = new Float64Array(2);
  return (x, y) => {
    const dx = x - e.cx;
    const dy = y - e.cy;
    uv[0] = dx * cos + dy * sinX;
    uv[1] = -dx * sinY + dy * cosY;
    return uv;
  };
}

const frames = new WeakMap<Ellipse, (x: number, y: number) => Float64Array>();

/** `ellipseFrame(e)(x, y)`, cached per ellipse object. */
export function ellipseUv(e: Ellipse, x: number, y: number): Float64Array {
  let f = frames.get(e);
  if (f === undefined) {
    f = ellipseFrame(e);
    frames.set(e, f);
  }
  return f(x, y);
}

export function ellipseBox(e: Ellipse): { x0: number; y0: number; x1: number; y1: number } {
  const r = Math.max(e.rx, e.ry);
  return { x0: e.cx - r, y0: e.cy - r, x1: e.cx + r, y1: e.cy + r };
}

export function paintEllipse(
  c: Canvas,
  e: Ellipse,
  label: number,
  fill: Fill,
  clip?: (u: number, v: number, x: number, y: number) => boolean,
): void {
  const frame = ellipseFrame(e);
  paint(
    c,
    ellipseBox(e),
    (x, y) => {
      const uv = frame(x, y);
      const u = uv[0]!;
      const v = uv[1]!;
      if (u * u + v * v > 1) return false;
      return clip ? clip(u, v, x, y) : true;
    },
    label,
    fill,
  );
}

/** Solid colour modulated by a shading factor and a smooth texture. */
export function texturedFill(
  c: Canvas,
  base: Rgb,
  opts: { cell: number; amp: number; shade?: (x: number, y: number) => number },
): Fill {
  const seed = c.noiseSeed + Math.floor(base[0] * 7 + base[1] * 3 + base[2]);
  const noise = noiseField(c.size, opts.cell, seed);
  return (x, y, out, at) => {
    const k = (opts.shade ? opts.shade(x, y) : 1) * (1 + opts.amp * (noise(x, y) - 0.5));
    out[at] = base[0] * k;
    out[at + 1] = base[1] * k;
    out[at + 2] = base[2] * k;
  };
}
