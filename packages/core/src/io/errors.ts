// Errors for untrusted input files (weights, arrays, archives): every message names the file
// (when one is known) and quotes at most `MAX_QUOTE_BYTES` bytes of the offending value, so a
// hostile 50 MB name or dtype never becomes a 50 MB line on stderr.

/** Most bytes of an offending value that an error message quotes. */
export const MAX_QUOTE_BYTES = 200;

/** UTF-8 length of `text`, counted without allocating (lone surrogates count 3, as encoded). */
function utf8Length(text: string, stopAfter: number): number {
  let n = 0;
  for (let i = 0; i < text.length && n <= stopAfter; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/** The longest prefix of `text` whose UTF-8 encoding fits `maxBytes` (never splits a pair). */
function utf8Prefix(text: string, maxBytes: number): string {
  let n = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    let w = 1;
    let units = 1;
    if (c >= 0x80) w = c < 0x800 ? 2 : 3;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        w = 4;
        units = 2;
      }
    }
    if (n + w > maxBytes) break;
    n += w;
    i += units;
  }
  return text.slice(0, i);
}

function escapeControls(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are the target
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) =>
    c === '\n' ? '\\n' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export interface QuoteOptions {
  /** Most bytes of the value to show (default `MAX_QUOTE_BYTES`). */
  maxBytes?: number;
  /**
   * The value is a prefix of something longer (e.g. the first bytes of a header), so the quote
   * ends with `…` even when the prefix itself fits.
   */
  truncated?: boolean;
  /**
   * Show a string as it is (for a snippet of JSON or Python source), without the surrounding
   * quotes; control characters are still escaped.
   */
  bare?: boolean;
}

/**
 * A value for an error message: strings JSON-quoted, byte arrays decoded as UTF-8 (invalid
 * bytes replaced), numbers and other primitives as `String(v)`. Anything longer than
 * `maxBytes` UTF-8 bytes is cut at a character boundary and marked `…(N bytes)` with its
 * full length, so a message stays short whatever the input.
 */
export function quote(value: unknown, options: QuoteOptions = {}): string {
  const maxBytes = options.maxBytes ?? MAX_QUOTE_BYTES;
  let text: string;
  let isString = true;
  let totalBytes: number | undefined;
  if (typeof value === 'string') text = value;
  else if (value instanceof Uint8Array) {
    totalBytes = value.length;
    text = new TextDecoder('utf-8').decode(value.subarray(0, maxBytes + 4));
  } else {
    isString = false;
    text = typeof value === 'bigint' ? `${value}n` : String(value);
  }
  // count only as far as needed to know the value is too long
  const length = totalBytes ?? utf8Length(text, maxBytes);
  const cut = length > maxBytes;
  const shown = cut ? utf8Prefix(text, maxBytes) : text;
  const body = !isString ? shown : options.bare ? escapeControls(shown) : JSON.stringify(shown);
  if (!cut) return options.truncated ? `${body}…` : body;
  const full = totalBytes ?? utf8Length(text, Number.POSITIVE_INFINITY);
  return `${body}…(${full} bytes)`;
}

/**
 * A malformed or hostile input file. `message` is `${source}: ${format}: ${problem}` (or
 * `${format}: ${problem}` for bytes of unknown origin); the parts stay available for callers
 * that format their own lines.
 */
export class FileFormatError extends Error {
  /** The format being read: `safetensors`, `npy`, `png`, ... */
  readonly format: string;
  /** The file (or other origin) the bytes came from, when the caller said. */
  readonly source: string | undefined;
  /** What is wrong, without the file and format prefix. */
  readonly problem: string;
  constructor(options: { format: string; source?: string; problem: string; cause?: unknown }) {
    const where = options.source === undefined ? '' : `${options.source}: `;
    super(
      `${where}${options.format}: ${options.problem}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'FileFormatError';
    this.format = options.format;
    this.source = options.source;
    this.problem = options.problem;
  }
}

/** A `fail(problem)` that throws a `FileFormatError` for `format` and `source`. */
export function formatFailer(format: string, source?: string): (problem: string) => never {
  return (problem: string): never => {
    throw new FileFormatError({ format, source, problem });
  };
}
