// Colours and palettes of the synthetic faces.

import type { Rng } from '../rng.js';

export type Rgb = [number, number, number];

export function jitter(rng: Rng, rgb: readonly number[], amount: number): Rgb {
  return rgb.map((v) => clamp255(v + rng.uniform(-amount, amount))) as Rgb;
}

export function clamp255(v: number): number {
  return v < 0 ? 0 : Math.min(v, 255);
}

export function hsv(h: number, s: number, v: number): Rgb {
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

export function mix(a: readonly number[], b: readonly number[], t: number): Rgb {
  return [a[0]! + (b[0]! - a[0]!) * t, a[1]! + (b[1]! - a[1]!) * t, a[2]! + (b[2]! - a[2]!) * t];
}

export const SKIN_TONES: readonly Rgb[] = [
  [255, 224, 196],
  [241, 194, 160],
  [224, 172, 125],
  [198, 134, 96],
  [141, 85, 54],
  [92, 58, 40],
];
export const HAIR_COLOURS: readonly Rgb[] = [
  [22, 16, 12],
  [58, 38, 24],
  [105, 72, 40],
  [182, 140, 82],
  [222, 198, 140],
  [150, 62, 30],
  [128, 128, 128],
  [225, 225, 222],
];
export const IRIS_COLOURS: readonly Rgb[] = [
  [60, 40, 20],
  [40, 90, 140],
  [60, 110, 60],
  [28, 28, 28],
];
export const METALS: readonly Rgb[] = [
  [212, 175, 55],
  [192, 192, 200],
  [240, 235, 225],
];

export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng.random() * items.length)]!;
}
