/**
 * A small seeded RNG (xoshiro128**, seeded through splitmix32) whose whole state is four
 * uint32 words, so a loader can save and restore its exact position.
 */
export type RngState = readonly [number, number, number, number];

export interface Rng {
  /** Next uint32. */
  nextUint32(): number;
  /** Uniform float in [0, 1) with 32 bits of resolution. */
  random(): number;
  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number;
  /** True with probability p. */
  bernoulli(p: number): boolean;
  /** In-place Fisher-Yates shuffle. */
  shuffle<T>(items: T[]): T[];
  /** A copy of the current state. */
  state(): RngState;
  /** Restores a state from `state()`. */
  setState(state: RngState): void;
  /** A new independent generator derived from this one (advances this one). */
  fork(): Rng;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Mixes several integers into one 32-bit seed (e.g. dataset seed, epoch, sample index). */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    const next = splitmix32((h ^ (p >>> 0)) >>> 0);
    h = next() ^ Math.imul(h, 0x01000193);
    h >>>= 0;
    // fold in the high part of large numbers
    if (p > 0xffffffff || p < 0) h = (h ^ Math.floor(p / 0x100000000)) >>> 0;
  }
  return h >>> 0;
}

export function createRng(options: { seed: number } | { state: RngState }): Rng {
  let s0: number;
  let s1: number;
  let s2: number;
  let s3: number;
  const set = (st: RngState): void => {
    if (st.length !== 4 || st.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff)) {
      throw new Error(`createRng: state must be 4 uint32 words, got [${st.join(', ')}]`);
    }
    if ((st[0] | st[1] | st[2] | st[3]) === 0) {
      throw new Error('createRng: state must not be all zero');
    }
    [s0, s1, s2, s3] = st;
  };
  if ('state' in options) set(options.state);
  else {
    if (!Number.isFinite(options.seed)) {
      throw new Error(`createRng: seed ${options.seed} must be a finite number`);
    }
    const sm = splitmix32(mixSeed(options.seed));
    set([sm(), sm(), sm(), (sm() | 1) >>> 0]);
  }
  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s2 = (s2 ^ s0) >>> 0;
    s3 = (s3 ^ s1) >>> 0;
    s1 = (s1 ^ s2) >>> 0;
    s0 = (s0 ^ s3) >>> 0;
    s2 = (s2 ^ t) >>> 0;
    s3 = rotl(s3, 11);
    return result;
  };
  const random = (): number => nextUint32() / 0x100000000;
  const rng: Rng = {
    nextUint32,
    random,
    uniform: (lo, hi) => lo + (hi - lo) * random(),
    int: (lo, hi) => lo + Math.floor(random() * (hi - lo + 1)),
    bernoulli: (p) => random() < p,
    shuffle<T>(items: T[]): T[] {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        const tmp = items[i]!;
        items[i] = items[j]!;
        items[j] = tmp;
      }
      return items;
    },
    state: () => [s0, s1, s2, s3],
    setState: set,
    fork: () => createRng({ seed: nextUint32() ^ Math.imul(nextUint32(), 0x9e3779b9) }),
  };
  return rng;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
