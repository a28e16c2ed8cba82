import { describe, expect, it } from 'vitest';
import { type Flag, formatUsage, parseFlags, parseFlagValue, UsageError } from './args.js';

describe('parseFlags', () => {
  const flags = {
    data: { kind: 'string', arg: 'DIR', help: 'dataset root' },
    iters: { kind: 'int', help: 'iterations' },
    resume: { kind: 'boolean', help: 'continue' },
  } as const satisfies Record<string, Flag>;

  it('parses strings, typed values, booleans and --help from one table', () => {
    const parsed = parseFlags({
      command: 'train',
      argv: ['--data', 'd', '--resume', '--iters=5', '-h'],
      flags,
    });
    expect(parsed.values).toEqual({ data: 'd', resume: true, iters: 5 });
    expect(parsed.help).toBe(true);
    const none = parseFlags({ command: 'train', argv: [], flags });
    expect(none.values).toEqual({ data: undefined, resume: false, iters: undefined });
  });

  it('names the unknown flag and lists the known ones', () => {
    expect(() => parseFlags({ command: 'train', argv: ['--dta', 'x'], flags })).toThrow(
      /train: .*'--dta'.*known flags: --data, --iters, --resume/,
    );
    expect(() => parseFlags({ command: 'train', argv: ['--dta'], flags })).toThrow(UsageError);
  });

  it('rejects positionals unless allowed; fills defaults and checks required flags', () => {
    expect(() => parseFlags({ command: 'eval', argv: ['extra'], flags })).toThrow(UsageError);
    const ok = parseFlags({ command: 'miou', argv: ['a', 'b'], flags, allowPositionals: true });
    expect(ok.positionals).toEqual(['a', 'b']);
    const table = {
      data: { kind: 'string', help: 'root', required: 'a folder' },
      split: { kind: 'string', help: 'split', default: 'val' },
      shard: { kind: 'shard', help: 'part' },
    } as const satisfies Record<string, Flag>;
    expect(() => parseFlags({ command: 'c', argv: [], flags: table })).toThrow(
      'c: --data is required (a folder)',
    );
    const p = parseFlags({ command: 'c', argv: ['--data', 'x'], flags: table });
    expect(p.values).toEqual({ data: 'x', split: 'val', shard: { index: 0, count: 1 } });
    // --help does not need the required flags
    expect(parseFlags({ command: 'c', argv: ['--help'], flags: table }).help).toBe(true);
  });
});

describe('flag values', () => {
  const parse = (flag: Flag, value: string) =>
    parseFlagValue({ command: 'c', name: 'n', flag, value });

  it('ints parse and are bounded', () => {
    expect(parse({ kind: 'int', help: '' }, '12')).toBe(12);
    expect(() => parse({ kind: 'int', help: '' }, '0')).toThrow(
      "c: --n must be an integer >= 1, got '0'",
    );
    expect(() => parse({ kind: 'int', help: '' }, '1.5')).toThrow(/--n/);
    expect(() => parse({ kind: 'int', min: 0, max: 8, help: '' }, '9')).toThrow(
      "c: --n must be an integer in [0, 8], got '9'",
    );
  });

  it('numbers name their open or closed range', () => {
    const beta: Flag = { kind: 'number', min: 0, max: 1, openMax: true, help: '' };
    expect(parse(beta, '0.5')).toBe(0.5);
    expect(() => parse(beta, '1')).toThrow("c: --n must be a number in [0, 1), got '1'");
    expect(() => parse({ ...beta, openMin: true, max: 5, openMax: false }, '0')).toThrow(
      /\(0, 5\]/,
    );
    expect(() => parse(beta, 'x')).toThrow(/got 'x'/);
  });

  it('choices list the allowed values', () => {
    const f: Flag = { kind: 'choice', choices: ['auto', 'wasm', 'cpu'], help: '' };
    expect(parse(f, 'wasm')).toBe('wasm');
    expect(() => parse(f, 'gpu')).toThrow("c: --n must be one of auto, wasm, cpu; got 'gpu'");
  });

  it('a list flag takes every occurrence in order; a check names the flag', () => {
    const table = {
      set: { kind: 'list', arg: 'K=V', help: 'change' },
      model: {
        kind: 'string',
        help: 'model',
        check: (v: string) => {
          if (v !== 'a') throw new Error(`unknown '${v}'; known: a`);
        },
      },
    } as const satisfies Record<string, Flag>;
    const argv = ['--set', 'x=1', '--set', 'y=[1,2]', '--model', 'a'];
    expect(parseFlags({ command: 'c', argv, flags: table }).values).toEqual({
      set: ['x=1', 'y=[1,2]'],
      model: 'a',
    });
    expect(parseFlags({ command: 'c', argv: [], flags: table }).values.set).toEqual([]);
    expect(() => parseFlags({ command: 'c', argv: ['--model', 'b'], flags: table })).toThrow(
      new UsageError("c: --model: unknown 'b'; known: a"),
    );
  });

  it('shards parse i/n', () => {
    const f: Flag = { kind: 'shard', help: '' };
    expect(parse(f, '2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['4/4', '1/0', 'a/b', '1'])
      expect(() => parse(f, bad)).toThrow(/--n must be i\/n/);
  });

  it('usage lists every flag of the table with its argument, choices and default', () => {
    const text = formatUsage({
      usage: 'facepar x --data DIR',
      description: 'Does x.',
      flags: {
        data: { kind: 'string', arg: 'DIR', help: 'dataset root' },
        mode: { kind: 'choice', choices: ['a', 'b'], default: 'a', help: 'mode' },
        quiet: { kind: 'boolean', help: 'no output' },
      },
    });
    expect(text.split('\n')).toEqual([
      'Usage: facepar x --data DIR',
      '',
      'Does x.',
      '',
      'Flags:',
      '  --data DIR  dataset root',
      '  --mode N    mode (a | b) (default a)',
      '  --quiet     no output',
    ]);
  });
});
