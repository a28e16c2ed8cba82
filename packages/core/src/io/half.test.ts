import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  bf16BitsToNumber,
  f16BitsToNumber,
  float32ToBf16,
  float32ToF16,
  numberToBf16Bits,
  numberToF16Bits,
} from './half.js';

const half = (
  JSON.parse(readFileSync(new URL('./fixtures/io-expected.json', import.meta.url), 'utf8')) as {
    half: { f32: (number | string)[]; f16bits: number[]; f16values: (number | string)[] };
  }
).half;
const num = (v: number | string) => (v === 'inf' ? Number.POSITIVE_INFINITY : (v as number));

describe('float16 / bfloat16 conversion', () => {
  it('float32 -> float16 bits equals numpy astype(float16) (ties, subnormals, overflow)', () => {
    const got = Array.from(float32ToF16(half.f32.map(num)));
    expect(got).toEqual(half.f16bits);
  });

  it('float16 bits -> number equals numpy', () => {
    expect(half.f16bits.map(f16BitsToNumber)).toEqual(half.f16values.map(num));
    expect(Number.isNaN(f16BitsToNumber(0x7e00))).toBe(true);
    expect(numberToF16Bits(Number.NaN) & 0x7c00).toBe(0x7c00);
  });

  it('bfloat16 rounds to nearest even and decodes exactly', () => {
    // 1 + 2^-8 is a tie between 1 and 1 + 2^-7: even -> 1.0 (0x3f80)
    expect(numberToBf16Bits(1 + 2 ** -8)).toBe(0x3f80);
    // 1 + 3·2^-8 is a tie between 1 + 2^-7 and 1 + 2^-6: even -> 0x3f82
    expect(numberToBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(bf16BitsToNumber(0x3fc0)).toBe(1.5);
    expect(bf16BitsToNumber(0xc000)).toBe(-2);
    expect(Array.from(float32ToBf16([1.5, -2, 0.15625]))).toEqual([0x3fc0, 0xc000, 0x3e20]);
    expect(Number.isNaN(bf16BitsToNumber(numberToBf16Bits(Number.NaN)))).toBe(true);
  });
});
