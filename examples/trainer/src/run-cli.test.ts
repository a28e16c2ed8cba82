import { describe, expect, it } from 'vitest';
import { UsageError } from './args.js';
import { COMMANDS, findCommand } from './commands/index.js';
import type { Command } from './commands/types.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, readVersion, runCli } from './run-cli.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, sinks: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
}

const calls: string[][] = [];
const fake: readonly Command[] = [
  {
    name: 'echo',
    summary: 'records its arguments',
    usage: 'Usage: facepar echo [args]',
    run: async (argv) => {
      calls.push(argv);
      return argv.length;
    },
  },
  {
    name: 'boom',
    summary: 'fails',
    usage: 'Usage: facepar boom',
    run: async () => {
      throw new Error('file /x/y.json is missing\nsecond line');
    },
  },
  {
    name: 'bad',
    summary: 'usage error',
    usage: 'Usage: facepar bad',
    run: async () => {
      throw new UsageError('bad: --n must be 1');
    },
  },
];

describe('runCli', () => {
  it('prints help listing every command', async () => {
    const c = capture();
    expect(await runCli({ argv: ['--help'], commands: fake, ...c.sinks })).toBe(EXIT_OK);
    expect(c.out.join('\n')).toMatch(/echo\s+records its arguments/);
    expect(c.out.join('\n')).toMatch(/boom\s+fails/);
    const none = capture();
    expect(await runCli({ argv: [], commands: fake, ...none.sinks })).toBe(EXIT_USAGE);
  });

  it('prints the package.json version', async () => {
    const c = capture();
    expect(await runCli({ argv: ['--version'], commands: fake, ...c.sinks })).toBe(EXIT_OK);
    expect(c.out).toEqual([readVersion()]);
    expect(readVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('shows a command usage with help <cmd> and <cmd> --help', async () => {
    const c = capture();
    await runCli({ argv: ['help', 'echo'], commands: fake, ...c.sinks });
    await runCli({ argv: ['echo', '--help'], commands: fake, ...c.sinks });
    expect(c.out).toEqual(['Usage: facepar echo [args]', 'Usage: facepar echo [args]']);
  });

  it('dispatches and returns the command exit code', async () => {
    const c = capture();
    calls.length = 0;
    expect(await runCli({ argv: ['echo', 'a', 'b', 'c'], commands: fake, ...c.sinks })).toBe(3);
    expect(calls).toEqual([['a', 'b', 'c']]);
  });

  it('turns errors into one line without a stack unless FACEPAR_DEBUG=1', async () => {
    const c = capture();
    const code = await runCli({ argv: ['boom'], commands: fake, env: {}, ...c.sinks });
    expect(code).toBe(EXIT_FAILURE);
    expect(c.err).toEqual(['facepar: error: file /x/y.json is missing second line']);
    const d = capture();
    await runCli({ argv: ['boom'], commands: fake, env: { FACEPAR_DEBUG: '1' }, ...d.sinks });
    expect(d.err.join('\n')).toMatch(/at .*run-cli\.test\.ts/);
  });

  it('exits 2 on usage errors and unknown commands, naming the known ones', async () => {
    const c = capture();
    expect(await runCli({ argv: ['bad'], commands: fake, env: {}, ...c.sinks })).toBe(EXIT_USAGE);
    expect(await runCli({ argv: ['nope'], commands: fake, env: {}, ...c.sinks })).toBe(EXIT_USAGE);
    expect(c.err).toContain(
      "facepar: error: unknown command 'nope'; known commands: echo, boom, bad",
    );
    expect(await runCli({ argv: ['--frob'], commands: fake, env: {}, ...c.sinks })).toBe(
      EXIT_USAGE,
    );
  });
});

describe('COMMANDS registry', () => {
  it('has unique kebab-case names with summaries and usage', () => {
    const names = COMMANDS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const c of COMMANDS) {
      expect(c.name).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(c.summary.length).toBeGreaterThan(0);
      expect(c.usage).toContain(`facepar ${c.name}`);
    }
  });

  it('findCommand fails with the list of known names', () => {
    expect(() => findCommand({ name: 'zzz', commands: fake })).toThrow(
      "unknown command 'zzz'; known commands: echo, boom, bad",
    );
    expect(findCommand({ name: 'boom', commands: fake }).summary).toBe('fails');
  });
});
