import { type ParseArgsConfig, parseArgs } from 'node:util';

/**
 * A mistake in how the CLI was called (bad flag, missing value). The CLI prints its message as
 * one line and exits with code 2; any other error exits with code 1.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type FlagSpec =
  | { type: 'string'; short?: string; default?: string; multiple?: false }
  | { type: 'string'; short?: string; default?: string[]; multiple: true }
  | { type: 'boolean'; short?: string; default?: boolean };

export interface ParseFlagsOptions<T extends Record<string, FlagSpec>> {
  /** The command's name, used in error messages (`facepar train: ...`). */
  command: string;
  argv: readonly string[];
  flags: T;
  /** Whether bare words are accepted (default false). */
  allowPositionals?: boolean;
}

type FlagValue<S extends FlagSpec> = S extends { type: 'boolean' }
  ? boolean | undefined
  : S extends { multiple: true }
    ? string[] | undefined
    : string | undefined;

export interface ParsedFlags<T extends Record<string, FlagSpec>> {
  values: { [K in keyof T]: FlagValue<T[K]> } & { help?: boolean };
  positionals: string[];
}

/**
 * `node:util` `parseArgs` with strict checking and errors that name the bad flag and list the
 * known ones. `--help`/`-h` is always accepted and reported as `values.help`.
 */
export function parseFlags<T extends Record<string, FlagSpec>>(
  options: ParseFlagsOptions<T>,
): ParsedFlags<T> {
  const { command, argv, flags, allowPositionals = false } = options;
  const specs = { ...flags, help: { type: 'boolean', short: 'h' } } as Record<string, FlagSpec>;
  try {
    const parsed = parseArgs({
      args: [...argv],
      options: specs as ParseArgsConfig['options'],
      allowPositionals,
      strict: true,
    });
    return parsed as unknown as ParsedFlags<T>;
  } catch (error) {
    const known = Object.keys(flags)
      .map((name) => `--${name}`)
      .join(', ');
    const message = error instanceof Error ? error.message : String(error);
    // node's messages include a long hint about `--`; keep the first sentence.
    const first = message.split('\n')[0]!.replace(/\. To specify a positional.*$/, '');
    throw new UsageError(`${command}: ${first} (known flags: ${known || 'none'})`);
  }
}

export interface RequireFlagOptions {
  command: string;
  flag: string;
  value: string | undefined;
  /** What to pass, shown in the error, e.g. `a dataset folder`. */
  hint: string;
}

/** Returns the value of a mandatory string flag, or throws a `UsageError` naming it. */
export function requireFlag(options: RequireFlagOptions): string {
  const { command, flag, value, hint } = options;
  if (value === undefined || value === '') {
    throw new UsageError(`${command}: --${flag} is required (${hint})`);
  }
  return value;
}

export interface IntFlagOptions {
  command: string;
  flag: string;
  value: string | undefined;
  /** Smallest accepted value (default 1). */
  min?: number;
  max?: number;
}

/** Parses an integer flag; `undefined` passes through. Errors name the flag and the range. */
export function intFlag(options: IntFlagOptions): number | undefined {
  const { command, flag, value, min = 1, max = Number.MAX_SAFE_INTEGER } = options;
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    const range =
      max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
    throw new UsageError(`${command}: --${flag} must be ${range}, got '${value}'`);
  }
  return n;
}

export interface ChoiceFlagOptions<C extends string> {
  command: string;
  flag: string;
  value: string | undefined;
  allowed: readonly C[];
}

/** Checks a flag against a fixed list; `undefined` passes through. */
export function choiceFlag<C extends string>(options: ChoiceFlagOptions<C>): C | undefined {
  const { command, flag, value, allowed } = options;
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(
      `${command}: --${flag} must be one of ${allowed.join(', ')}; got '${value}'`,
    );
  }
  return value as C;
}

export interface ShardFlagOptions {
  command: string;
  value: string | undefined;
}

/** A `--shard i/n` value: process the items whose index % count === index. */
export interface Shard {
  index: number;
  count: number;
}

/** Parses `--shard i/n` (0 <= i < n). `undefined` means the whole set (`0/1`). */
export function shardFlag(options: ShardFlagOptions): Shard {
  const { command, value } = options;
  if (value === undefined) return { index: 0, count: 1 };
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!m || count < 1 || index >= count) {
    throw new UsageError(
      `${command}: --shard must be i/n with 0 <= i < n (e.g. 0/4), got '${value}'`,
    );
  }
  return { index, count };
}
