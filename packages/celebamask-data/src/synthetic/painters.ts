// The named part painters of `generateSyntheticFace`, in painting order (later parts win).
// Each draws its random numbers in a fixed order, so a seed gives the same face byte for byte.

import type { Rng } from '../rng.js';
import {
  type Canvas,
  ellipseBox,
  ellipseFrame,
  ellipseUv,
  type Fill,
  hash2,
  noiseField,
  paint,
  paintEllipse,
  texturedFill,
} from './canvas.js';
import {
  HAIR_COLOURS,
  hsv,
  IRIS_COLOURS,
  jitter,
  METALS,
  mix,
  pick,
  type Rgb,
  SKIN_TONES,
} from './colour.js';

/** One face's geometry and palette, drawn first; every painter reads it. */
export interface Face {
  /** Canvas size in pixels. */
  S: number;
  /** Texture scale relative to a 128 px face. */
  px: number;
  cx: number;
  cy: number;
  /** Face ellipse half-width and half-height. */
  a: number;
  b: number;
  tilt: number;
  cos: number;
  sin: number;
  /** Image position of a face-frame offset (dx right, dy down), after tilt and yaw. */
  at: (dx: number, dy: number) => [number, number];
  skin: Rgb;
  hair: Rgb;
  cloth: Rgb;
  bgA: Rgb;
  bgB: Rgb;
  lips: Rgb;
  iris: Rgb;
  hairStyle: 'none' | 'long' | 'short';
}

/** Head geometry, then the palette of this face. */
export function drawFace(rng: Rng, S: number): Face {
  const px = S / 128; // texture scale relative to a 128 px face
  const cx = S * (0.5 + rng.uniform(-0.06, 0.06));
  const cy = S * (0.44 + rng.uniform(-0.04, 0.05));
  const a = S * rng.uniform(0.16, 0.22);
  const b = a * rng.uniform(1.22, 1.4);
  const tilt = rng.uniform(-0.14, 0.14);
  const yaw = rng.uniform(-0.1, 0.1);
  const cos = Math.cos(tilt);
  const sin = Math.sin(tilt);
  const at = (dx: number, dy: number): [number, number] => {
    const x = dx + yaw * a;
    return [cx + x * cos - dy * sin, cy + x * sin + dy * cos];
  };
  const skin = jitter(rng, pick(rng, SKIN_TONES), 12);
  const hair = jitter(rng, pick(rng, HAIR_COLOURS), 14);
  const cloth = hsv(rng.random(), rng.uniform(0.2, 0.9), rng.uniform(0.25, 0.95));
  const bgA = hsv(rng.random(), rng.uniform(0, 0.5), rng.uniform(0.3, 1));
  const bgB = hsv(rng.random(), rng.uniform(0, 0.5), rng.uniform(0.3, 1));
  const lips = mix(skin, [185, 60, 75], rng.uniform(0.35, 0.7));
  const iris = jitter(rng, pick(rng, IRIS_COLOURS), 10);
  const hairStyle = rng.random() < 0.06 ? 'none' : rng.random() < 0.45 ? 'long' : 'short';
  return {
    S,
    px,
    cx,
    cy,
    a,
    b,
    tilt,
    cos,
    sin,
    at,
    skin,
    hair,
    cloth,
    bgA,
    bgB,
    lips,
    iris,
    hairStyle,
  };
}

/** Background: two-colour gradient with soft blobs. */
export function paintBackground(c: Canvas, f: Face, rng: Rng): void {
  const { S, px, bgA, bgB } = f;
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

/** The hair texture: waves along a random direction with a fine grain. */
export function hairFillOf(c: Canvas, f: Face, rng: Rng): Fill {
  const { S, px, hair } = f;
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
}

/** Hair behind the head. */
export function paintHairBehind(c: Canvas, f: Face, rng: Rng, hairFill: Fill): void {
  const { a, b, tilt, at, hairStyle } = f;
  if (hairStyle === 'none') return;
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

/** Clothes: shoulders below the chin with a neckline. Returns the top of the clothes. */
export function paintClothes(c: Canvas, f: Face, rng: Rng): number {
  const { S, px, cx, cy, b, cos, cloth } = f;
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
  return clothTop;
}

/** Neck: a column from under the jaw to the neckline. Returns its half-width. */
export function paintNeck(c: Canvas, f: Face, rng: Rng, clothTop: number): number {
  const { S, px, cx, cy, a, skin } = f;
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
  return neckW;
}

/** Necklace (sometimes): a thin arc on the neck base. */
export function paintNecklace(
  c: Canvas,
  f: Face,
  rng: Rng,
  neck: { clothTop: number; neckW: number },
): void {
  const { S, px, cx } = f;
  if (rng.random() >= 0.22) return;
  const metal = jitter(rng, pick(rng, METALS), 10);
  const e = {
    cx,
    cy: neck.clothTop - S * 0.03,
    rx: neck.neckW * 1.02,
    ry: S * rng.uniform(0.04, 0.07),
  };
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

/** Long hair falling over the shoulders, beside the face. */
export function paintLongHair(c: Canvas, f: Face, rng: Rng, hairFill: Fill): void {
  const { a, b, tilt, at } = f;
  if (f.hairStyle !== 'long') return;
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

/** Ears (l_ear = subject's left = image right) and sometimes earrings. */
export function paintEars(c: Canvas, f: Face, rng: Rng): void {
  const { S, px, a, b, tilt, at, skin, hairStyle } = f;
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
}

/** Face skin, shaded towards the edge, with blushed cheeks. */
export function paintSkin(c: Canvas, f: Face, rng: Rng): void {
  const { S, px, cx, cy, a, b, tilt, skin } = f;
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
}

/** Fringe: hair over the top of the face down to a wavy hairline. */
export function paintFringe(c: Canvas, f: Face, rng: Rng, hairFill: Fill): void {
  if (f.hairStyle === 'none') return;
  const face = { cx: f.cx, cy: f.cy, rx: f.a, ry: f.b, angle: f.tilt };
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

/** Hat (sometimes) over the top of the head. */
export function paintHat(c: Canvas, f: Face, rng: Rng): void {
  const { px, a, b, tilt, at } = f;
  if (rng.random() >= 0.12) return;
  const hatC = hsv(rng.random(), rng.uniform(0.3, 1), rng.uniform(0.2, 0.9));
  const brim = rng.uniform(0.3, 0.55);
  const [hx, hy] = at(0, -b * 0.6);
  const e = { cx: hx, cy: hy, rx: a * rng.uniform(1.2, 1.45), ry: b * 0.75, angle: tilt };
  const brimV = (b * (brim - 0.6)) / e.ry; // hat stops at this height in the face frame
  paintEllipse(c, e, 14, texturedFill(c, hatC, { cell: 4 * px, amp: 0.25 }), (_u, v) => v < brimV);
}

/** Where the eyes sit in the face frame (glasses, brows and eyes use it). */
export interface EyePlacement {
  eyeDx: number;
  eyeDy: number;
}

export function drawEyePlacement(f: Face, rng: Rng): EyePlacement {
  const eyeDx = f.a * rng.uniform(0.36, 0.44);
  const eyeDy = -f.b * rng.uniform(0.08, 0.18);
  return { eyeDx, eyeDy };
}

/** Glasses (sometimes): lens areas and the bridge; eyes and brows paint over them. */
export function paintGlasses(c: Canvas, f: Face, rng: Rng, eyes: EyePlacement): void {
  const { a, b, tilt, cos, sin, at } = f;
  const { eyeDx, eyeDy } = eyes;
  if (rng.random() >= 0.2) return;
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

/** Brows (l_brow at image right). */
export function paintBrows(c: Canvas, f: Face, rng: Rng, eyes: EyePlacement): void {
  const { px, a, b, tilt, at, hair } = f;
  const browC = mix(hair, [0, 0, 0], 0.3);
  const browDy = eyes.eyeDy - b * rng.uniform(0.13, 0.2);
  const browRx = a * rng.uniform(0.22, 0.3);
  const browRy = b * rng.uniform(0.03, 0.055);
  const browArch = rng.uniform(0, 0.25);
  for (const [side, label] of [
    [1, 6],
    [-1, 7],
  ] as const) {
    const [bx, by] = at(side * eyes.eyeDx * 1.05, browDy);
    paintEllipse(
      c,
      { cx: bx, cy: by, rx: browRx, ry: browRy, angle: tilt - side * browArch },
      label,
      texturedFill(c, browC, { cell: 2 * px, amp: 0.3 }),
    );
  }
}

/** Eyes (l_eye at image right): sclera with an iris and a pupil. */
export function paintEyes(c: Canvas, f: Face, rng: Rng, eyes: EyePlacement): void {
  const { a, b, tilt, at, iris } = f;
  const eyeRx = a * rng.uniform(0.15, 0.21);
  const eyeRy = b * rng.uniform(0.045, 0.075);
  const gaze = rng.uniform(-0.3, 0.3);
  for (const [side, label] of [
    [1, 4],
    [-1, 5],
  ] as const) {
    const [ex, ey] = at(side * eyes.eyeDx, eyes.eyeDy);
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
}

/** Nose: bridge and tip. */
export function paintNose(c: Canvas, f: Face, rng: Rng): void {
  const { a, b, tilt, at, skin } = f;
  const noseSkin = mix(skin, [90, 40, 30], 0.12);
  const noseLen = b * rng.uniform(0.22, 0.32);
  const noseW = a * rng.uniform(0.14, 0.2);
  const noseDy = b * 0.08 + noseLen * 0.3;
  const [tipX] = at(0, noseDy);
  const noseFill: Fill = (x, _y, out, o) => {
    const k = 0.98 - (0.25 * Math.abs(x - tipX)) / noseW;
    out[o] = noseSkin[0] * k;
    out[o + 1] = noseSkin[1] * k;
    out[o + 2] = noseSkin[2] * k;
  };
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

/** Mouth: upper lip, lower lip, and the inner mouth (with teeth) when open. */
export function paintMouth(c: Canvas, f: Face, rng: Rng): void {
  const { px, a, b, tilt, at, lips } = f;
  const mouthDy = b * rng.uniform(0.5, 0.6);
  const mouthW = a * rng.uniform(0.32, 0.48);
  const open = rng.random() < 0.4 ? b * rng.uniform(0.015, 0.06) : 0;
  const lipFill = (shade: number) =>
    texturedFill(c, lips, { cell: 2 * px, amp: 0.12, shade: () => shade });
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

/** Global light direction, colour cast and sensor noise, quantised to bytes. */
export function exposeImage(c: Canvas, rng: Rng): Uint8Array {
  const S = c.size;
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
  return image;
}
