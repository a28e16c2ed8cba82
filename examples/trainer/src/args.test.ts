import { describe, expect, it } from 'vitest';
import { UsageError, choiceFlag, intFlag, parseFlags, requireFlag, shardFlag } from './args.js';

describe('parseFlags', () => {
  const flags = {
    data: { type: 'string' },
    iters: { type: 'string' },
    resume: { type: 'boolean' },
  } as const;

  it('parses strings, booleans and --help', () => {
    const parsed = parseFlags({
      command: 'train',
      argv: ['--data', 'd', '--resume', '--iters=5', '-h'],
      flags,
    });
    expect(parsed.values).toEqual({ data: 'd', resume: true, iters: '5', help: true });
  });

  it('names the unknown flag and lists the known ones', () => {
    expect(() => parseFlags({ command: 'train', argv: ['--dta', 'x'], flags })).toThrow(
      /train: .*'--dta'.*known flags: --data, --iters, --resume/,
    );
    expect(() => parseFlags({ command: 'train', argv: ['--dta'], flags })).toThrow(UsageError);
  });

  it('rejects positionals unless allowed', () => {
    expect(() => parseFlags({ command: 'eval', argv: ['extra'], flags })).toThrow(UsageError);
    const ok = parseFlags({ command: 'miou', argv: ['a', 'b'], flags, allowPositionals: true });
    expect(ok.positionals).toEqual(['a', 'b']);
  });
});

describe('flag validators', () => {
  it('intFlag parses and bounds', () => {
    expect(intFlag({ command: 'c', flag: 'iters', value: '12' })).toBe(12);
    expect(intFlag({ command: 'c', flag: 'iters', value: undefined })).toBeUndefined();
    expect(() => intFlag({ command: 'c', flag: 'iters', value: '0' })).toThrow(
      "c: --iters must be an integer >= 1, got '0'",
    );
    expect(() => intFlag({ command: 'c', flag: 'iters', value: '1.5' })).toThrow(/--iters/);
    expect(() => intFlag({ command: 'c', flag: 'n', value: '9', min: 0, max: 8 })).toThrow(
      "c: --n must be an integer in [0, 8], got '9'",
    );
  });

  it('choiceFlag lists the allowed values', () => {
    const allowed = ['auto', 'wasm', 'cpu'] as const;
    expect(choiceFlag({ command: 'c', flag: 'backend', value: 'wasm', allowed })).toBe('wasm');
    expect(() => choiceFlag({ command: 'c', flag: 'backend', value: 'gpu', allowed })).toThrow(
      "c: --backend must be one of auto, wasm, cpu; got 'gpu'",
    );
  });

  it('requireFlag names the missing flag', () => {
    expect(requireFlag({ command: 'c', flag: 'data', value: 'x', hint: 'a folder' })).toBe('x');
    expect(() =>
      requireFlag({ command: 'c', flag: 'data', value: undefined, hint: 'a folder' }),
    ).toThrow('c: --data is required (a folder)');
  });

  it('shardFlag parses i/n', () => {
    expect(shardFlag({ command: 'c', value: undefined })).toEqual({ index: 0, count: 1 });
    expect(shardFlag({ command: 'c', value: '2/4' })).toEqual({ index: 2, count: 4 });
    for (const bad of ['4/4', '1/0', 'a/b', '1']) {
      expect(() => shardFlag({ command: 'c', value: bad })).toThrow(/--shard must be i\/n/);
    }
  });
});
