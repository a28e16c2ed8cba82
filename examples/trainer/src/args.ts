import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { Shard } from '@facepar/train';

/**
 * A mistake in how the CLI was called (bad flag, missing value). The CLI prints its message as
 * one line and exits with code 2; any other error exits with code 1.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** One flag as data: how it parses, what `--help` says and, when mandatory, what to pass. */
export type Flag = { help: string; arg?: string; required?: string } & (
  | { kind: 'string'; default?: string; check?: (value: string) => void }
  | { kind: 'boolean' }
  | { kind: 'int'; min?: number; max?: number; default?: number }
  | {
      kind: 'number';
      min: number;
      max: number;
      openMin?: boolean;
      openMax?: boolean;
      default?: number;
    }
  | { kind: 'choice'; choices: readonly string[]; default?: string }
  | { kind: 'shard' } // `i/n`: the items whose index % n === i
  | { kind: 'list' } // repeatable: every value given, in order
);

type Extra<D> = { required?: string; default?: D; check?: (value: D) => void };
type None = Record<never, never>;
type Bounds = { min?: number; max?: number; openMin?: boolean; openMax?: boolean };
/** Flag constructors: one line per flag in a table, their types kept for `FlagValue`. */
export const str = <const E extends Extra<string> = None>(arg: string, help: string, extra?: E) =>
  ({ kind: 'string', arg, help, ...extra }) as { kind: 'string'; arg: string; help: string } & E;
export const bool = (help: string) => ({ kind: 'boolean', help }) as const;
export const list = (arg: string, help: string) => ({ kind: 'list', arg, help }) as const;
export const int = <const E extends Extra<number> & Bounds = None>(help: string, extra?: E) =>
  ({ kind: 'int', help, ...extra }) as { kind: 'int'; help: string } & E;
export const num = <const E extends Extra<number> & Bounds = None>(
  arg: string,
  [min, max]: [number, number],
  help: string,
  extra?: E,
) =>
  ({ kind: 'number', arg, min, max, help, ...extra }) as {
    kind: 'number';
    arg: string;
    min: number;
    max: number;
    help: string;
  } & E;
export const choice = <const C extends string, const E extends Extra<C> = None>(
  arg: string,
  choices: readonly C[],
  help: string,
  extra?: E,
) =>
  ({ kind: 'choice', arg, choices, help, ...extra }) as {
    kind: 'choice';
    arg: string;
    choices: readonly C[];
    help: string;
  } & E;

type Given<F, T> = F extends { default: unknown } | { required: string } ? T : T | undefined;
/** The parsed type of a flag. */
export type FlagValue<F extends Flag> = F extends { kind: 'boolean' }
  ? boolean
  : F extends { kind: 'list' }
    ? string[]
    : F extends { kind: 'shard' }
      ? Shard
      : F extends { kind: 'int' | 'number' }
        ? Given<F, number>
        : F extends { kind: 'choice'; choices: readonly (infer C)[] }
          ? Given<F, C>
          : Given<F, string>;
export type FlagValues<T extends Record<string, Flag>> = {
  -readonly [K in keyof T]: FlagValue<T[K]>;
};

/** Parses one flag's text by its kind; errors name the flag, what it takes and what was given. */
export function parseFlagValue(options: {
  command: string;
  name: string;
  flag: Flag;
  value: string;
}): unknown {
  const { command, name, flag: f, value } = options;
  const fail = (what: string): never => {
    throw new UsageError(`${command}: --${name} must be ${what}, got '${value}'`);
  };
  const n = value.trim() === '' ? Number.NaN : Number(value);
  if (f.kind === 'int') {
    const { min = 1, max = Number.MAX_SAFE_INTEGER } = f;
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      fail(
        max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`,
      );
    }
    return n;
  }
  if (f.kind === 'number') {
    if (!((f.openMin ? n > f.min : n >= f.min) && (f.openMax ? n < f.max : n <= f.max))) {
      fail(`a number in ${f.openMin ? '(' : '['}${f.min}, ${f.max}${f.openMax ? ')' : ']'}`);
    }
    return n;
  }
  if (f.kind === 'choice' && !f.choices.includes(value)) {
    throw new UsageError(
      `${command}: --${name} must be one of ${f.choices.join(', ')}; got '${value}'`,
    );
  }
  try {
    if (f.kind === 'string') f.check?.(value);
  } catch (error) {
    throw new UsageError(`${command}: --${name}: ${(error as Error).message}`);
  }
  if (f.kind === 'shard') {
    const m = /^(\d+)\/(\d+)$/.exec(value.trim());
    if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2]))
      fail('i/n with 0 <= i < n (e.g. 0/4)');
    return { index: Number(m![1]), count: Number(m![2]) } satisfies Shard;
  }
  return value;
}

/**
 * `node:util` `parseArgs` over a flag table, strict (unknown flags list the known ones); values
 * parsed by kind, defaults filled, required flags checked unless `--help` (always accepted).
 */
export function parseFlags<T extends Record<string, Flag>>(options: {
  command: string;
  argv: readonly string[];
  flags: T;
  allowPositionals?: boolean;
}): { values: FlagValues<T>; help: boolean; positionals: string[] } {
  const { command, flags } = options;
  const specs: ParseArgsConfig['options'] = { help: { type: 'boolean', short: 'h' } };
  for (const [name, f] of Object.entries(flags))
    specs[name] = {
      type: f.kind === 'boolean' ? 'boolean' : 'string',
      multiple: f.kind === 'list',
    };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    const args = [...options.argv];
    parsed = parseArgs({
      args,
      options: specs,
      allowPositionals: options.allowPositionals ?? false,
      strict: true,
    });
  } catch (error) {
    const known = Object.keys(flags).map((n) => `--${n}`);
    // node's messages include a long hint about `--`; keep the first sentence
    const first = String((error as Error).message)
      .split('\n')[0]!
      .replace(/\. To specify a positional.*$/, '');
    throw new UsageError(`${command}: ${first} (known flags: ${known.join(', ') || 'none'})`);
  }
  const help = parsed.values.help === true;
  const values: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(flags)) {
    const raw = parsed.values[name];
    if (f.kind === 'boolean') values[name] = raw === true;
    else if (f.kind === 'list') values[name] = Array.isArray(raw) ? raw : [];
    else if (typeof raw === 'string' && raw !== '')
      values[name] = parseFlagValue({ command, name, flag: f, value: raw });
    else if (f.required !== undefined && !help)
      throw new UsageError(`${command}: --${name} is required (${f.required})`);
    else
      values[name] =
        f.kind === 'shard' ? { index: 0, count: 1 } : 'default' in f ? f.default : undefined;
  }
  return { values: values as FlagValues<T>, help, positionals: parsed.positionals };
}

/** `Usage: ...`, the description, and one line per flag from the table. */
export function formatUsage(options: {
  usage: string | readonly string[];
  description: string;
  flags: Record<string, Flag>;
}): string {
  const lines = [options.usage].flat().map((u, i) => `${i === 0 ? 'Usage:' : '      '} ${u}`);
  const rows = Object.entries(options.flags).map(([name, f]) => {
    const arg = f.arg ?? (f.kind === 'boolean' ? '' : f.kind === 'shard' ? 'i/n' : 'N');
    const def = 'default' in f && f.default !== undefined ? ` (default ${f.default})` : '';
    const list = f.kind === 'list' ? ' (repeatable)' : '';
    const choices = f.kind === 'choice' ? ` (${f.choices.join(' | ')})` : list;
    return [`--${name}${arg ? ` ${arg}` : ''}`, `${f.help}${choices}${def}`] as const;
  });
  const width = Math.max(0, ...rows.map(([a]) => a.length));
  const table = rows.map(([a, h]) => `  ${a.padEnd(width)}  ${h}`);
  return [...lines, '', options.description, '', 'Flags:', ...table].join('\n');
}
