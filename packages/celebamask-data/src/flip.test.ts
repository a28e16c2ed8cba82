import { describe, expect, it } from 'vitest';
import { flipSample } from './flip.js';
import type { SegSample } from './sample.js';

describe('flipSample', () => {
  const s: SegSample = {
    image: Uint8Array.from([
      1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6, 7, 7, 7, 8, 8, 8,
    ]),
    labels: Uint8Array.from([4, 6, 8, 1, 5, 7, 9, 255]),
    width: 4,
    height: 2,
  };

  it('mirrors pixels and swaps the L/R pairs exactly', () => {
    const f = flipSample({ sample: s });
    expect([...f.labels]).toEqual([1, 9, 7, 5, 255, 8, 6, 4]);
    expect([...f.image.filter((_, i) => i % 3 === 0)]).toEqual([4, 3, 2, 1, 8, 7, 6, 5]);
    const plain = flipSample({ sample: s, pairs: [] });
    expect([...plain.labels]).toEqual([1, 8, 6, 4, 255, 9, 7, 5]);
  });

  it('applied twice is the identity', () => {
    const twice = flipSample({ sample: flipSample({ sample: s }) });
    expect([...twice.labels]).toEqual([...s.labels]);
    expect([...twice.image]).toEqual([...s.image]);
  });
});
