import { createRng, mixSeed, type Rng } from './rng.js';

export interface SyntheticFaceOptions {
  /** Any integer; the same seed and size give the same face, byte for byte. */
  seed: number;
  /** Width and height in pixels (square). */
  size?: number;
}

export const DEFAULT_SYNTHETIC_FACE_OPTIONS = { size: 128 } as const;

export const SYNTHETIC_FACE_MIN_SIZE = 32;
export const SYNTHETIC_FACE_MAX_SIZE = 4096;

export interface SyntheticFace {
  /** RGB, HWC, row-major. */
  image: Uint8Array;
  /** One class id (official CelebAMask-HQ order) per pixel. */
  labels: Uint8Array;
  width: number;
  height: number;
}

export function resolveSyntheticFaceOptions(
  options: SyntheticFaceOptions,
): Required<SyntheticFaceOptions> {
  const size = options.size ?? DEFAULT_SYNTHETIC_FACE_OPTIONS.size;
  if (!Number.isInteger(size) || size < SYNTHETIC_FACE_MIN_SIZE || size > SYNTHETIC_FACE_MAX_SIZE) {
    throw new Error(
      `generateSyntheticFace: size ${size} must be an integer in ${SYNTHETIC_FACE_MIN_SIZE}..${SYNTHETIC_FACE_MAX_SIZE}`,
    );
  }
  if (!Number.isInteger(options.seed)) {
    throw new Error(`generateSyntheticFace: seed ${options.seed} must be an integer`);
  }
  return { seed: options.seed, size };
}

type Rgb = [number, number, number];

interface Canvas {
  size: number;
  labels: Uint8Array;
  rgb: Float32Array;
  noiseSeed: number;
}

/** Writes the colour of pixel (x, y) into `out` (may read the current colour from the canvas). */
type Fill = (x: number, y: number, out: Float32Array, at: number) => void;

function hash2(x: number, y: number, s: number): number {
  let h = (Math.imul(x | 0, 374761393) + Math.imul(y | 0, 668265263) + Math.imul(s, 982451653)) | 0;
  h = Math.imul(h ^ (h >>> 13), 1274126177);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/**
 * Smooth value noise in [0, 1) at scale `cell` pixels over a size x size canvas (lattice hashes
 * computed once, smoothstep interpolation).
 */
function noiseField(size: number, cell: number, s: number): (x: number, y: number) => number {
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

function paint(
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

interface Ellipse {
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
function ellipseFrame(e: Ellipse): (x: number, y: number) => Float64Array {
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
function ellipseUv(e: Ellipse, x: number, y: number): Float64Array {
  let f = frames.get(e);
  if (f === undefined) {
    f = ellipseFrame(e);
    frames.set(e, f);
  }
  return f(x, y);
}

function ellipseBox(e: Ellipse): { x0: number; y0: number; x1: number; y1: number } {
  const r = Math.max(e.rx, e.ry);
  return { x0: e.cx - r, y0: e.cy - r, x1: e.cx + r, y1: e.cy + r };
}

function paintEllipse(
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

function jitter(rng: Rng, rgb: readonly number[], amount: number): Rgb {
  return rgb.map((v) => clamp255(v + rng.uniform(-amount, amount))) as Rgb;
}

function clamp255(v: number): number {
  return v < 0 ? 0 : Math.min(v, 255);
}

function hsv(h: number, s: number, v: number): Rgb {
  const i = Math.floor(h * 6) % 6;
  const f = h * 6 - Math.floor(h * 6);
  const p = v * (1 - s);
  const q = v * (1 - f * s);
  const t = v * (1 - (1 - f) * s);
  const table: Rgb[] = [
    [v, t, p],
    [q, v, p],
    [p, v, t],
    [p, q, v],
    [t, p, v],
    [v, p, q],
  ];
  return table[i]!.map((x) => x * 255) as Rgb;
}

function mix(a: readonly number[], b: readonly number[], t: number): Rgb {
  return [a[0]! + (b[0]! - a[0]!) * t, a[1]! + (b[1]! - a[1]!) * t, a[2]! + (b[2]! - a[2]!) * t];
}

const SKIN_TONES: readonly Rgb[] = [
  [255, 224, 196],
  [241, 194, 160],
  [224, 172, 125],
  [198, 134, 96],
  [141, 85, 54],
  [92, 58, 40],
];
const HAIR_COLOURS: readonly Rgb[] = [
  [22, 16, 12],
  [58, 38, 24],
  [105, 72, 40],
  [182, 140, 82],
  [222, 198, 140],
  [150, 62, 30],
  [128, 128, 128],
  [225, 225, 222],
];
const IRIS_COLOURS: readonly Rgb[] = [
  [60, 40, 20],
  [40, 90, 140],
  [60, 110, 60],
  [28, 28, 28],
];
const METALS: readonly Rgb[] = [
  [212, 175, 55],
  [192, 192, 200],
  [240, 235, 225],
];

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng.random() * items.length)]!;
}

/** Solid colour modulated by a shading factor and a smooth texture. */
function texturedFill(
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

/**
 * A deterministic procedural face-like image with its label map in the official CelebAMask-HQ
 * order: skin ellipse, hair (short, long or none), eyes, brows, nose, lips (mouth when open),
 * ears, neck and clothes, and sometimes glasses, hat, earrings and necklace. Colours, sizes,
 * positions, tilt and textures vary with the seed. `l_*` parts lie on the image's right.
 */
export function generateSyntheticFace(options: SyntheticFaceOptions): SyntheticFace {
  const { seed, size: S } = resolveSyntheticFaceOptions(options);
  const rng = createRng({ seed: mixSeed(0x5f4ace, seed) });
  const c: Canvas = {
    size: S,
    labels: new Uint8Array(S * S),
    rgb: new Float32Array(S * S * 3),
    noiseSeed: rng.nextUint32() & 0x7fffffff,
  };
  const px = S / 128; // texture scale relative to a 128 px face

  // Head geometry.
  const cx = S * (0.5 + rng.uniform(-0.06, 0.06));
  const cy = S * (0.44 + rng.uniform(-0.04, 0.05));
  const a = S * rng.uniform(0.16, 0.22);
  const b = a * rng.uniform(1.22, 1.4);
  const tilt = rng.uniform(-0.14, 0.14);
  const yaw = rng.uniform(-0.1, 0.1);
  const cos = Math.cos(tilt);
  const sin = Math.sin(tilt);
  /** Image position of a face-frame offset (dx right, dy down), after tilt and yaw. */
  const at = (dx: number, dy: number): [number, number] => {
    const x = dx + yaw * a;
    return [cx + x * cos - dy * sin, cy + x * sin + dy * cos];
  };

  // Palette of this face.
  const skin = jitter(rng, pick(rng, SKIN_TONES), 12);
  const hair = jitter(rng, pick(rng, HAIR_COLOURS), 14);
  const cloth = hsv(rng.random(), rng.uniform(0.2, 0.9), rng.uniform(0.25, 0.95));
  const bgA = hsv(rng.random(), rng.uniform(0, 0.5), rng.uniform(0.3, 1));
  const bgB = hsv(rng.random(), rng.uniform(0, 0.5), rng.uniform(0.3, 1));
  const lips = mix(skin, [185, 60, 75], rng.uniform(0.35, 0.7));
  const iris = jitter(rng, pick(rng, IRIS_COLOURS), 10);
  const hairStyle = rng.random() < 0.06 ? 'none' : rng.random() < 0.45 ? 'long' : 'short';

  // 1. Background: two-colour gradient with soft blobs.
  {
    const gAngle = rng.uniform(0, Math.PI * 2);
    const gx = Math.cos(gAngle);
    const gy = Math.sin(gAngle);
    const bgSeed = c.noiseSeed ^ 0x1234;
    const blob = rng.uniform(0.05, 0.35);
    const bgNoise = noiseField(S, 20 * px, bgSeed);
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        const t = Math.min(1, Math.max(0, 0.5 + ((x / S - 0.5) * gx + (y / S - 0.5) * gy)));
        const k = 1 + blob * (bgNoise(x, y) - 0.5);
        const i = 3 * (y * S + x);
        c.rgb[i] = (bgA[0] + (bgB[0] - bgA[0]) * t) * k;
        c.rgb[i + 1] = (bgA[1] + (bgB[1] - bgA[1]) * t) * k;
        c.rgb[i + 2] = (bgA[2] + (bgB[2] - bgA[2]) * t) * k;
      }
    }
  }

  const hairFill: Fill = (() => {
    const freq = rng.uniform(0.5, 1.2) / px;
    const dir = rng.uniform(-0.6, 0.6);
    const seedH = c.noiseSeed ^ 0x4a11;
    const wave = noiseField(S, 9 * px, seedH);
    const grain = noiseField(S, 3 * px, seedH + 1);
    const cd = Math.cos(dir);
    const sd = Math.sin(dir);
    return (x, y, out, o) => {
      const s = Math.sin((x * cd + y * sd) * freq + 6 * wave(x, y));
      const k = 0.82 + 0.18 * s + 0.15 * (grain(x, y) - 0.5);
      out[o] = hair[0] * k + 8;
      out[o + 1] = hair[1] * k + 6;
      out[o + 2] = hair[2] * k + 4;
    };
  })();

  // 2. Hair behind the head.
  if (hairStyle !== 'none') {
    const [hx, hy] = at(0, -b * (hairStyle === 'long' ? 0.1 : 0.22));
    paintEllipse(
      c,
      {
        cx: hx,
        cy: hy,
        rx: a * rng.uniform(1.1, 1.3),
        ry: b * rng.uniform(0.95, 1.15),
        angle: tilt,
      },
      13,
      hairFill,
    );
  }

  // 3. Clothes: shoulders below the chin with a neckline.
  const chinY = cy + b * cos;
  const clothTop = chinY + S * rng.uniform(0.04, 0.1);
  const clothRx = S * rng.uniform(0.36, 0.5);
  const clothPattern = rng.int(0, 2);
  const clothAlt = mix(cloth, [255, 255, 255], rng.uniform(0.2, 0.5));
  const stripe = rng.uniform(4, 9) * px;
  const clothNoise = noiseField(S, 6 * px, c.noiseSeed ^ 0xc10);
  paintEllipse(
    c,
    { cx, cy: clothTop + S * 0.45, rx: clothRx, ry: S * 0.45 },
    18,
    (x, y, out, o) => {
      let base: readonly number[] = cloth;
      if (clothPattern === 1 && Math.floor(y / stripe) % 2 === 1) base = clothAlt;
      if (clothPattern === 2 && (Math.floor(x / stripe) + Math.floor(y / stripe)) % 2 === 1)
        base = clothAlt;
      const k = 0.9 + 0.2 * clothNoise(x, y);
      out[o] = base[0]! * k;
      out[o + 1] = base[1]! * k;
      out[o + 2] = base[2]! * k;
    },
  );

  // 4. Neck: a column from under the jaw to the neckline.
  const neckW = a * rng.uniform(0.5, 0.68);
  const neckSkin = mix(skin, [0, 0, 0], 0.12);
  const neckFill = texturedFill(c, neckSkin, {
    cell: 8 * px,
    amp: 0.08,
    shade: (x) => 1 - 0.25 * ((x - cx) / neckW) ** 2,
  });
  const necklineDepth = S * rng.uniform(0.02, 0.09);
  paint(
    c,
    { x0: cx - neckW, y0: cy, x1: cx + neckW, y1: clothTop + necklineDepth },
    (x, y) => {
      if (Math.abs(x - cx) > neckW) return false;
      if (y <= clothTop) return true;
      const u = (x - cx) / (neckW * 1.05);
      const v = (y - clothTop) / necklineDepth;
      return u * u + v * v <= 1;
    },
    17,
    neckFill,
  );

  // 5. Necklace: a thin arc on the neck base.
  if (rng.random() < 0.22) {
    const metal = jitter(rng, pick(rng, METALS), 10);
    const e = { cx, cy: clothTop - S * 0.03, rx: neckW * 1.02, ry: S * rng.uniform(0.04, 0.07) };
    const thick = Math.max(1.2, S * 0.012);
    const necklaceFrame = ellipseFrame(e);
    paint(
      c,
      ellipseBox(e),
      (x, y) => {
        if (y < e.cy) return false;
        const uv = necklaceFrame(x, y);
        const r = Math.sqrt(uv[0]! * uv[0]! + uv[1]! * uv[1]!);
        return Math.abs(r - 1) * Math.min(e.rx, e.ry) < thick;
      },
      16,
      texturedFill(c, metal, { cell: 2 * px, amp: 0.5 }),
    );
  }

  // 6. Long hair falling over the shoulders, beside the face.
  if (hairStyle === 'long') {
    const len = b * rng.uniform(1.2, 1.9);
    for (const side of [-1, 1]) {
      const [sx, sy] = at(side * a * 0.98, b * 0.1);
      paintEllipse(
        c,
        { cx: sx, cy: sy + len * 0.35, rx: a * 0.32, ry: len * 0.75, angle: tilt },
        13,
        hairFill,
      );
    }
  }

  // 7. Ears (l_ear = subject's left = image right) and earrings.
  const earP = hairStyle === 'long' ? 0.45 : 0.9;
  const earrings = rng.random() < 0.25;
  const earringMetal = jitter(rng, pick(rng, METALS), 10);
  const earSkin = mix(skin, [120, 40, 30], 0.12);
  for (const [side, label] of [
    [1, 8],
    [-1, 9],
  ] as const) {
    if (rng.random() >= earP) continue;
    const [ex, ey] = at(side * a * 1.01, b * 0.02);
    const e = {
      cx: ex,
      cy: ey,
      rx: a * rng.uniform(0.17, 0.23),
      ry: b * rng.uniform(0.18, 0.24),
      angle: tilt,
    };
    paintEllipse(
      c,
      e,
      label,
      texturedFill(c, earSkin, {
        cell: 5 * px,
        amp: 0.15,
        shade: (x, y) => {
          const uv = ellipseUv(e, x, y);
          const u = uv[0]!;
          const v = uv[1]!;
          return 1 - 0.25 * (u * u + v * v);
        },
      }),
    );
    if (earrings) {
      const [rx, ry] = at(side * a * 1.06, b * 0.02 + e.ry * 1.05);
      const r = Math.max(1.5, S * rng.uniform(0.012, 0.022));
      paintEllipse(
        c,
        { cx: rx, cy: ry, rx: r, ry: r * 1.3 },
        15,
        texturedFill(c, earringMetal, { cell: 1.5 * px, amp: 0.6 }),
      );
    }
  }

  // 8. Face skin.
  const face = { cx, cy, rx: a, ry: b, angle: tilt };
  const blush = rng.uniform(0, 0.25);
  const skinNoise = noiseField(S, 6 * px, c.noiseSeed ^ 0x5c1);
  paintEllipse(c, face, 1, (x, y, out, o) => {
    const uv = ellipseUv(face, x, y);
    const u = uv[0]!;
    const v = uv[1]!;
    const r2 = u * u + v * v;
    const cheek = Math.exp(-((Math.abs(u) - 0.55) ** 2 + (v - 0.25) ** 2) / 0.03) * blush;
    const k = (1.05 - 0.22 * r2) * (1 + 0.08 * (skinNoise(x, y) - 0.5));
    out[o] = skin[0] * k + 40 * cheek;
    out[o + 1] = skin[1] * k - 10 * cheek;
    out[o + 2] = skin[2] * k - 5 * cheek;
  });

  // 9. Fringe: hair over the top of the face down to a wavy hairline.
  if (hairStyle !== 'none') {
    const line = rng.uniform(0.3, 0.62);
    const waveA = rng.uniform(0, 0.12);
    const waveF = rng.uniform(2, 6);
    const part = rng.uniform(-0.5, 0.5);
    paintEllipse(c, face, 13, hairFill, (u, v) => {
      const hairline =
        -line + waveA * Math.sin(waveF * u) - 0.18 * Math.exp(-((u - part) ** 2) / 0.02);
      return v < hairline || (Math.abs(u) > 0.88 && v < 0.1);
    });
  }

  // 10. Hat over the top of the head.
  if (rng.random() < 0.12) {
    const hatC = hsv(rng.random(), rng.uniform(0.3, 1), rng.uniform(0.2, 0.9));
    const brim = rng.uniform(0.3, 0.55);
    const [hx, hy] = at(0, -b * 0.6);
    const e = { cx: hx, cy: hy, rx: a * rng.uniform(1.2, 1.45), ry: b * 0.75, angle: tilt };
    const brimV = (b * (brim - 0.6)) / e.ry; // hat stops at this height in the face frame
    paintEllipse(
      c,
      e,
      14,
      texturedFill(c, hatC, { cell: 4 * px, amp: 0.25 }),
      (_u, v) => v < brimV,
    );
  }

  // 11. Glasses (lens areas and the bridge); eyes and brows paint over them.
  const eyeDx = a * rng.uniform(0.36, 0.44);
  const eyeDy = -b * rng.uniform(0.08, 0.18);
  if (rng.random() < 0.2) {
    const frame = rng.random() < 0.6 ? jitter(rng, [25, 25, 25], 15) : hsv(rng.random(), 0.8, 0.6);
    const tint = rng.uniform(0, 0.6);
    const lrx = a * rng.uniform(0.25, 0.32);
    const lry = b * rng.uniform(0.12, 0.17);
    for (const side of [-1, 1]) {
      const [gx, gy] = at(side * eyeDx, eyeDy);
      const e = { cx: gx, cy: gy, rx: lrx, ry: lry, angle: tilt };
      paintEllipse(c, e, 3, (x, y, out, o) => {
        const uv = ellipseUv(e, x, y);
        const u = uv[0]!;
        const v = uv[1]!;
        if (u * u + v * v > 0.72) {
          out[o] = frame[0];
          out[o + 1] = frame[1];
          out[o + 2] = frame[2];
        } else {
          out[o] = out[o]! * (1 - tint) + 40 * tint;
          out[o + 1] = out[o + 1]! * (1 - tint) + 45 * tint;
          out[o + 2] = out[o + 2]! * (1 - tint) + 60 * tint;
        }
      });
    }
    const [bx, by] = at(0, eyeDy - lry * 0.3);
    const bw = eyeDx - lrx * 0.9;
    const th = Math.max(1, b * 0.025);
    paint(
      c,
      { x0: bx - bw - th, y0: by - bw - th, x1: bx + bw + th, y1: by + bw + th },
      (x, y) => {
        const dx = x - bx;
        const dy = y - by;
        return Math.abs(dx * cos + dy * sin) < bw && Math.abs(-dx * sin + dy * cos) < th;
      },
      3,
      (_x, _y, out, o) => {
        out[o] = frame[0];
        out[o + 1] = frame[1];
        out[o + 2] = frame[2];
      },
    );
  }

  // 12. Brows (l_brow at image right).
  const browC = mix(hair, [0, 0, 0], 0.3);
  const browDy = eyeDy - b * rng.uniform(0.13, 0.2);
  const browRx = a * rng.uniform(0.22, 0.3);
  const browRy = b * rng.uniform(0.03, 0.055);
  const browArch = rng.uniform(0, 0.25);
  for (const [side, label] of [
    [1, 6],
    [-1, 7],
  ] as const) {
    const [bx, by] = at(side * eyeDx * 1.05, browDy);
    paintEllipse(
      c,
      { cx: bx, cy: by, rx: browRx, ry: browRy, angle: tilt - side * browArch },
      label,
      texturedFill(c, browC, { cell: 2 * px, amp: 0.3 }),
    );
  }

  // 13. Eyes (l_eye at image right): sclera with an iris.
  const eyeRx = a * rng.uniform(0.15, 0.21);
  const eyeRy = b * rng.uniform(0.045, 0.075);
  const gaze = rng.uniform(-0.3, 0.3);
  for (const [side, label] of [
    [1, 4],
    [-1, 5],
  ] as const) {
    const [ex, ey] = at(side * eyeDx, eyeDy);
    const e = { cx: ex, cy: ey, rx: eyeRx, ry: eyeRy, angle: tilt };
    paintEllipse(c, e, label, (x, y, out, o) => {
      const uv = ellipseUv(e, x, y);
      const u = uv[0]!;
      const v = uv[1]!;
      const du = (u - gaze) * (eyeRx / eyeRy);
      const d2 = du * du + v * v;
      if (d2 < 0.25) {
        out[o] = 15;
        out[o + 1] = 12;
        out[o + 2] = 12;
      } else if (d2 < 1.1) {
        out[o] = iris[0];
        out[o + 1] = iris[1];
        out[o + 2] = iris[2];
      } else {
        out[o] = 235;
        out[o + 1] = 232;
        out[o + 2] = 228;
      }
    });
  }

  // 14. Nose: bridge and tip.
  const noseSkin = mix(skin, [90, 40, 30], 0.12);
  const noseLen = b * rng.uniform(0.22, 0.32);
  const noseW = a * rng.uniform(0.14, 0.2);
  const noseDy = b * 0.08 + noseLen * 0.3;
  const [tx] = at(0, noseDy);
  const noseFill: Fill = (x, _y, out, o) => {
    const k = 0.98 - (0.25 * Math.abs(x - tx)) / noseW;
    out[o] = noseSkin[0] * k;
    out[o + 1] = noseSkin[1] * k;
    out[o + 2] = noseSkin[2] * k;
  };
  {
    const [nx, ny] = at(0, noseDy - noseLen * 0.35);
    paintEllipse(
      c,
      { cx: nx, cy: ny, rx: noseW * 0.45, ry: noseLen * 0.7, angle: tilt },
      2,
      noseFill,
    );
    const [tx, ty] = at(0, noseDy + noseLen * 0.3);
    paintEllipse(c, { cx: tx, cy: ty, rx: noseW, ry: noseLen * 0.35, angle: tilt }, 2, noseFill);
  }

  // 15. Mouth: upper lip, lower lip, and the inner mouth when open.
  const mouthDy = b * rng.uniform(0.5, 0.6);
  const mouthW = a * rng.uniform(0.32, 0.48);
  const open = rng.random() < 0.4 ? b * rng.uniform(0.015, 0.06) : 0;
  const lipFill = (shade: number) =>
    texturedFill(c, lips, { cell: 2 * px, amp: 0.12, shade: () => shade });
  {
    const [ux, uy] = at(0, mouthDy - open / 2);
    paintEllipse(
      c,
      { cx: ux, cy: uy, rx: mouthW, ry: b * rng.uniform(0.05, 0.08), angle: tilt },
      11,
      lipFill(0.92),
      (u, v) => v < 0 && v < -0.15 + 0.5 * u * u - 0.35 * Math.exp(-(u * u) / 0.02),
    );
    const [lx, ly] = at(0, mouthDy + open / 2);
    paintEllipse(
      c,
      { cx: lx, cy: ly, rx: mouthW * 0.9, ry: b * rng.uniform(0.07, 0.1), angle: tilt },
      12,
      lipFill(1.02),
      (_u, v) => v > 0,
    );
    if (open > 0) {
      const [mx, my] = at(0, mouthDy);
      const e = { cx: mx, cy: my, rx: mouthW * 0.82, ry: open / 2 + 1, angle: tilt };
      paintEllipse(c, e, 10, (x, y, out, o) => {
        const v = ellipseUv(e, x, y)[1]!;
        const teeth = v < -0.2;
        out[o] = teeth ? 230 : 70;
        out[o + 1] = teeth ? 225 : 20;
        out[o + 2] = teeth ? 215 : 25;
      });
    }
  }

  // Global light direction, colour cast and sensor noise; quantise.
  const lAngle = rng.uniform(0, Math.PI * 2);
  const lAmp = rng.uniform(0, 0.25);
  const lx = Math.cos(lAngle) * lAmp;
  const ly = Math.sin(lAngle) * lAmp;
  const cast = [rng.uniform(0.92, 1.08), rng.uniform(0.92, 1.08), rng.uniform(0.92, 1.08)];
  const noiseAmp = rng.uniform(2, 10);
  const noiseSeed = c.noiseSeed ^ 0x9e37;
  const image = new Uint8Array(S * S * 3);
  const [c0, c1, c2] = cast as [number, number, number];
  const rgb = c.rgb;
  for (let y = 0; y < S; y++) {
    const ky = 1 + ly * (y / S - 0.5) * 2;
    for (let x = 0; x < S; x++) {
      const k = ky + lx * (x / S - 0.5) * 2;
      const o = 3 * (y * S + x);
      const nz = (hash2(x, y, noiseSeed) - 0.5) * 2 * noiseAmp;
      const r = rgb[o]! * k * c0 + nz;
      const g = rgb[o + 1]! * k * c1 + nz;
      const b = rgb[o + 2]! * k * c2 + nz;
      image[o] = r <= 0 ? 0 : r >= 255 ? 255 : Math.round(r);
      image[o + 1] = g <= 0 ? 0 : g >= 255 ? 255 : Math.round(g);
      image[o + 2] = b <= 0 ? 0 : b >= 255 ? 255 : Math.round(b);
    }
  }
  return { image, labels: c.labels, width: S, height: S };
}
