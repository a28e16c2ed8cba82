// Shared checks of the fuzz suites (malformed and hostile inputs for the file readers): every
// case must end in a clean acceptance or a clean, typed error that names the file and quotes
// little of the input, within a time and memory bound.
import { expect } from 'vitest';

/** Seeded xorshift32 generator: deterministic fuzz inputs. */
export function fuzzRng(seed: number): {
  next(): number;
  int(n: number): number;
  bytes(n: number): Uint8Array;
  pick<T>(xs: readonly T[]): T;
} {
  let s = seed >>> 0 || 0x9e3779b9;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    bytes: (n: number) => Uint8Array.from({ length: n }, () => int(256)),
    pick: (xs) => xs[int(xs.length)]!,
  };
}

export interface FuzzBounds {
  /** Longest a case may take (default 2000 ms: generous for 2 shared cores). */
  maxMs?: number;
  /**
   * Most memory a case may allocate, in MB (default 64): the growth of ArrayBuffer memory
   * (typed arrays, Buffers) and of the process's peak RSS across the call.
   */
  maxMb?: number;
  /** Longest error message accepted, in bytes (default 800: prefix + ≤ 200 quoted bytes). */
  maxMessageBytes?: number;
}

export interface FuzzOutcome<T> {
  /** The value when the reader accepted the input. */
  value?: T;
  /** The error when it refused it. */
  error?: Error;
  ms: number;
  mb: number;
}

const MB = 1024 * 1024;

/**
 * Runs one fuzz case and checks that it ended cleanly: either it returned (the caller checks
 * the value) or it threw an instance of `errorType` whose message contains `source` and is at
 * most `maxMessageBytes` long, and that is neither a stack overflow nor an engine error
 * (RangeError/TypeError from deep inside). Time and memory are bounded in both cases.
 */
export async function expectCleanOutcome<T>(
  options: {
    run: () => T | Promise<T>;
    /** The error class the reader throws. */
    errorType: new (
      ...args: never[]
    ) => Error;
    /** The file name the message must contain. */
    source: string;
    /** A pattern the refusal must match (omit when acceptance is also fine). */
    refusal?: RegExp;
    /** True when the input must be refused. */
    mustRefuse?: boolean;
  } & FuzzBounds,
): Promise<FuzzOutcome<T>> {
  const maxMs = options.maxMs ?? 2000;
  const maxMb = options.maxMb ?? 64;
  const maxMessageBytes = options.maxMessageBytes ?? 800;
  const ab0 = process.memoryUsage().arrayBuffers;
  const rss0 = process.resourceUsage().maxRSS; // KiB, the process's peak so far
  const t0 = performance.now();
  let value: T | undefined;
  let error: Error | undefined;
  try {
    value = await options.run();
  } catch (e) {
    error = e as Error;
  }
  const ms = performance.now() - t0;
  const grown = Math.max(
    process.memoryUsage().arrayBuffers - ab0,
    (process.resourceUsage().maxRSS - rss0) * 1024,
  );
  const mb = grown / MB;
  expect(ms, `took ${ms.toFixed(0)} ms`).toBeLessThan(maxMs);
  expect(mb, `allocated ${mb.toFixed(1)} MB`).toBeLessThan(maxMb);
  if (error === undefined) {
    if (options.mustRefuse) {
      expect.fail(`accepted an input that must be refused (${options.refusal ?? 'any error'})`);
    }
    return { value, ms, mb };
  }
  const message = String(error.message);
  if (!(error instanceof options.errorType)) {
    const name = (error as { name?: string }).name ?? typeof error;
    expect.fail(`threw ${name} instead of ${options.errorType.name}: ${message.slice(0, 300)}`);
  }
  expect(message).not.toMatch(/Maximum call stack|out of memory|Invalid array length/i);
  expect(
    message.includes(options.source),
    `message names ${options.source}: ${message.slice(0, 300)}`,
  ).toBe(true);
  const bytes = new TextEncoder().encode(message).length;
  expect(bytes, `message is ${bytes} bytes: ${message.slice(0, 300)}…`).toBeLessThanOrEqual(
    maxMessageBytes,
  );
  if (options.refusal) expect(message).toMatch(options.refusal);
  return { error, ms, mb };
}

/** One fuzz case of a reader: the input, and what must happen. */
export interface FuzzCase<O, T> extends FuzzBounds {
  /** The input (a function for inputs worth building only when the case runs). */
  bytes: Uint8Array | (() => Uint8Array);
  /** A pattern the refusal must match; implies `mustRefuse`. */
  refusal?: RegExp;
  mustRefuse?: boolean;
  /** Options for this case's read. */
  options?: O;
  /** Extra checks of an accepted value. */
  check?: (value: T) => void;
}

/**
 * A fuzz-case runner for one reader: `read(bytes, { ...options, source })` must accept the
 * input (then `accepted(value, bytes)` checks it, and the case's own `check`) or refuse it
 * cleanly (`expectCleanOutcome`).
 */
export function fuzzReader<O, T>(reader: {
  read: (bytes: Uint8Array, options: O & { source: string }) => T | Promise<T>;
  errorType: new (...args: never[]) => Error;
  source: string;
  accepted?: (value: T, bytes: Uint8Array) => void;
}): (c: FuzzCase<O, T>) => Promise<FuzzOutcome<T>> {
  return async (c) => {
    const bytes = typeof c.bytes === 'function' ? c.bytes() : c.bytes;
    const out = await expectCleanOutcome({
      run: () => reader.read(bytes, { ...(c.options as O), source: reader.source }),
      errorType: reader.errorType,
      source: reader.source,
      refusal: c.refusal,
      mustRefuse: c.mustRefuse ?? c.refusal !== undefined,
      maxMs: c.maxMs,
      maxMb: c.maxMb,
      maxMessageBytes: c.maxMessageBytes,
    });
    if (out.value !== undefined) {
      reader.accepted?.(out.value, bytes);
      c.check?.(out.value);
    }
    return out;
  };
}
