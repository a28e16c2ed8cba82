import { describe, expect, it } from 'vitest';
import { generateSyntheticFace } from './synthetic-face.js';

interface Stats {
  count: number;
  cx: number;
  cy: number;
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

function classStats(labels: Uint8Array, size: number): Map<number, Stats> {
  const m = new Map<number, Stats>();
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const l = labels[y * size + x]!;
      let s = m.get(l);
      if (!s) m.set(l, (s = { count: 0, cx: 0, cy: 0, x0: x, x1: x, y0: y, y1: y }));
      s.count++;
      s.cx += x;
      s.cy += y;
      s.x0 = Math.min(s.x0, x);
      s.x1 = Math.max(s.x1, x);
      s.y0 = Math.min(s.y0, y);
      s.y1 = Math.max(s.y1, y);
    }
  }
  for (const s of m.values()) {
    s.cx /= s.count;
    s.cy /= s.count;
  }
  return m;
}

const SIZE = 96;
const FACES = Array.from({ length: 48 }, (_, seed) => generateSyntheticFace({ seed, size: SIZE }));

describe('generateSyntheticFace', () => {
  it('returns RGB HWC bytes and one label per pixel', () => {
    const f = FACES[0]!;
    expect([f.width, f.height]).toEqual([SIZE, SIZE]);
    expect(f.image).toBeInstanceOf(Uint8Array);
    expect(f.image.length).toBe(SIZE * SIZE * 3);
    expect(f.labels.length).toBe(SIZE * SIZE);
    expect(Math.max(...f.labels)).toBeLessThanOrEqual(18);
  });

  it('is deterministic per seed, and seeds differ', () => {
    const again = generateSyntheticFace({ seed: 5, size: SIZE });
    expect(Buffer.from(again.image).equals(Buffer.from(FACES[5]!.image))).toBe(true);
    expect(Buffer.from(again.labels).equals(Buffer.from(FACES[5]!.labels))).toBe(true);
    expect(Buffer.from(FACES[6]!.labels).equals(Buffer.from(FACES[5]!.labels))).toBe(false);
  });

  it('shows all 19 classes across a small set; core parts in every face', () => {
    const seen = new Set<number>();
    for (const f of FACES) {
      const present = new Set(f.labels);
      for (const l of present) seen.add(l);
      for (const core of [0, 1, 2, 4, 5, 6, 7, 11, 12, 17, 18])
        expect(present.has(core)).toBe(true);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([...Array(19).keys()]);
  });

  it('has plausible geometry: l_* on the image right, brows over eyes over nose over lips', () => {
    for (const f of FACES) {
      const s = classStats(f.labels, SIZE);
      const g = (id: number) => s.get(id)!;
      const skin = g(1);
      expect(g(4).cx).toBeGreaterThan(g(5).cx); // l_eye right of r_eye
      expect(g(6).cx).toBeGreaterThan(g(7).cx); // l_brow right of r_brow
      if (s.has(8) && s.has(9)) expect(g(8).cx).toBeGreaterThan(g(9).cx);
      expect(g(4).cx).toBeGreaterThan(skin.cx - 1);
      expect(g(5).cx).toBeLessThan(skin.cx + 1);
      for (const eye of [4, 5]) {
        // eyes inside the skin's bounding box, in its upper half
        expect(g(eye).x0).toBeGreaterThanOrEqual(skin.x0);
        expect(g(eye).x1).toBeLessThanOrEqual(skin.x1);
        expect(g(eye).cy).toBeLessThan(g(2).cy);
        expect(g(eye).cy).toBeGreaterThan(g(eye + 2).cy); // brow above eye
      }
      expect(g(2).cy).toBeLessThan(g(11).cy); // nose above upper lip
      expect(g(11).cy).toBeLessThan(g(12).cy); // upper lip above lower lip
      expect(g(17).cy).toBeGreaterThan(g(12).cy); // neck below the mouth
      expect(g(18).cy).toBeGreaterThan(g(17).cy); // clothes below the neck
      const share = (id: number) => g(id).count / (SIZE * SIZE);
      expect(share(1)).toBeGreaterThan(0.04);
      expect(share(1)).toBeLessThan(0.3);
      expect(share(0)).toBeGreaterThan(0.15);
      expect(share(4)).toBeLessThan(0.01);
    }
  });

  it('has texture and colour variation', () => {
    const f = FACES[0]!;
    // pixels of the same class are not one flat colour
    let n = 0;
    let sum = 0;
    let sum2 = 0;
    for (let i = 0; i < f.labels.length; i++) {
      if (f.labels[i] !== 1) continue;
      const v = f.image[3 * i]!;
      n++;
      sum += v;
      sum2 += v * v;
    }
    expect(Math.sqrt(sum2 / n - (sum / n) ** 2)).toBeGreaterThan(2);
    // mean skin colour varies across faces
    const means = FACES.slice(0, 12).map((face) => {
      let t = 0;
      let k = 0;
      for (let i = 0; i < face.labels.length; i++) {
        if (face.labels[i] !== 1) continue;
        t += face.image[3 * i]!;
        k++;
      }
      return t / k;
    });
    expect(Math.max(...means) - Math.min(...means)).toBeGreaterThan(40);
  });

  it('rejects bad sizes and seeds, naming the value and the range', () => {
    expect(() => generateSyntheticFace({ seed: 1, size: 16 })).toThrow(
      /size 16 must be an integer in 32..4096/,
    );
    expect(() => generateSyntheticFace({ seed: 1.5 })).toThrow(/seed 1.5/);
  });
});
