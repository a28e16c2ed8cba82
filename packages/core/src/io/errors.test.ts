import { describe, expect, it } from 'vitest';
import { FileFormatError, formatFailer, MAX_QUOTE_BYTES, quote } from './errors.js';

describe('quote', () => {
  it('JSON-quotes short strings unchanged and prints other primitives as they are', () => {
    expect(quote('F32')).toBe('"F32"');
    expect(quote('a"b')).toBe('"a\\"b"');
    expect(quote(12)).toBe('12');
    expect(quote(5n)).toBe('5n');
    expect(quote(null)).toBe('null');
    expect(quote('ab', { truncated: true })).toBe('"ab"…');
  });

  it('cuts long values at 200 UTF-8 bytes, on a character boundary, and gives the full length', () => {
    const long = 'x'.repeat(5_000_000);
    const q = quote(long);
    expect(q).toBe(`"${'x'.repeat(MAX_QUOTE_BYTES)}"…(5000000 bytes)`);
    // 3-byte characters: 66 fit in 200 bytes, the 67th would not
    const euro = quote('€'.repeat(100));
    expect(euro).toBe(`"${'€'.repeat(66)}"…(300 bytes)`);
    // a surrogate pair (4 bytes) is never split
    const emoji = quote('😀'.repeat(60));
    expect(emoji).toBe(`"${'😀'.repeat(50)}"…(240 bytes)`);
  });

  it('decodes byte arrays as UTF-8 and quotes at most 200 of them', () => {
    const bytes = new TextEncoder().encode(`{"a":${'['.repeat(1000)}`);
    const q = quote(bytes);
    expect(q.startsWith('"{\\"a\\":[[[')).toBe(true);
    expect(q.endsWith('…(1005 bytes)')).toBe(true);
    expect(q.length).toBeLessThan(MAX_QUOTE_BYTES + 30);
  });
});

describe('FileFormatError', () => {
  it('names the file, the format and the problem', () => {
    const e = new FileFormatError({ format: 'npy', source: '/w/a.npy', problem: 'bad magic' });
    expect(e.message).toBe('/w/a.npy: npy: bad magic');
    expect([e.name, e.format, e.source, e.problem]).toEqual([
      'FileFormatError',
      'npy',
      '/w/a.npy',
      'bad magic',
    ]);
    expect(new FileFormatError({ format: 'npy', problem: 'x' }).message).toBe('npy: x');
    expect(() => formatFailer('safetensors', 'f')('boom')).toThrow(
      expect.objectContaining({ name: 'FileFormatError', message: 'f: safetensors: boom' }),
    );
  });
});

describe('parseJson', () => {
  it('parses ordinary JSON and refuses deep nesting, empty and malformed text with the file named', async () => {
    const { parseJson } = await import('./json.js');
    expect(parseJson('{"a": [1, {"b": "[[[["}]}')).toEqual({ a: [1, { b: '[[[[' }] });
    expect(() =>
      parseJson(`${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`, { source: 's.json' }),
    ).toThrow(/^s\.json: json: JSON nested deeper than 64 levels at character 64$/);
    expect(() => parseJson('  \n', { source: 'state.json' })).toThrow(
      /^state\.json: json: empty file \(expected JSON\)$/,
    );
    const bad = `{"x": "${'y'.repeat(10_000)}`;
    const err = (() => {
      try {
        parseJson(bad, { source: 'latest.json', format: 'checkpoint index' });
      } catch (e) {
        return e as Error;
      }
    })()!;
    expect(err.message).toMatch(/^latest\.json: checkpoint index: not valid JSON \(/);
    expect(err.message.length).toBeLessThan(400);
  });
});
