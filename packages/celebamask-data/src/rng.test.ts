import { describe, expect, it } from 'vitest';
import { createRng, mixSeed } from './rng.js';

describe('createRng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = createRng({ seed: 42 });
    const b = createRng({ seed: 42 });
    const c = createRng({ seed: 43 });
    const xa = Array.from({ length: 8 }, () => a.nextUint32());
    expect(Array.from({ length: 8 }, () => b.nextUint32())).toEqual(xa);
    expect(Array.from({ length: 8 }, () => c.nextUint32())).not.toEqual(xa);
    for (const v of xa) expect(Number.isInteger(v) && v >= 0 && v <= 0xffffffff).toBe(true);
  });

  it('restores its exact position from state()', () => {
    const a = createRng({ seed: 7 });
    for (let i = 0; i < 5; i++) a.random();
    const saved = JSON.parse(JSON.stringify(a.state()));
    const next = [a.random(), a.int(0, 9), a.uniform(-1, 1)];
    const b = createRng({ state: saved });
    expect([b.random(), b.int(0, 9), b.uniform(-1, 1)]).toEqual(next);
    a.setState(saved);
    expect(a.random()).toBe(next[0]);
  });

  it('draws roughly uniform values in range', () => {
    const r = createRng({ seed: 1 });
    const bins = new Array(10).fill(0);
    let min = 1;
    let max = 0;
    for (let i = 0; i < 20000; i++) {
      const v = r.random();
      min = Math.min(min, v);
      max = Math.max(max, v);
      bins[Math.floor(v * 10)]++;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    for (const n of bins) expect(Math.abs(n - 2000)).toBeLessThan(200);
    const ints = new Set(Array.from({ length: 500 }, () => r.int(3, 5)));
    expect([...ints].sort()).toEqual([3, 4, 5]);
  });

  it('shuffles to a permutation', () => {
    const items = [...Array(50).keys()];
    const s = createRng({ seed: 3 }).shuffle([...items]);
    expect(s).not.toEqual(items);
    expect([...s].sort((x, y) => x - y)).toEqual(items);
  });

  it('rejects bad seeds and states', () => {
    expect(() => createRng({ seed: Number.NaN })).toThrow(/seed NaN/);
    expect(() => createRng({ state: [0, 0, 0, 0] })).toThrow(/all zero/);
    expect(() => createRng({ state: [1, 2, 3, -4] })).toThrow(/4 uint32 words/);
  });

  it('mixSeed separates nearby inputs', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 100; i++) for (let j = 0; j < 10; j++) seen.add(mixSeed(i, j));
    expect(seen.size).toBe(1000);
    expect(mixSeed(1, 2)).toBe(mixSeed(1, 2));
  });
});
