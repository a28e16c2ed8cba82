import { FileFormatError, MAX_QUOTE_BYTES, quote } from '../errors.js';

/** Longest excerpt of an offending value quoted in an error message. */
export const PTH_QUOTE_LIMIT = MAX_QUOTE_BYTES;

/**
 * A `.pth` file that cannot be read. The message starts with the file (`source`) and says what
 * is wrong and, where there is one, the fix.
 */
export class PthError extends FileFormatError {
  constructor(message: string, options: { source?: string; cause?: unknown } = {}) {
    super({
      format: 'pth',
      source: options.source || undefined,
      problem: message,
      cause: options.cause,
    });
    this.name = 'PthError';
  }
}

/**
 * A short printable excerpt of a value for an error message: pickle bytes as Python writes
 * them (`b'...'`, escaped latin-1, cut to `limit`), anything else through core's `quote`.
 */
export function quoteValue(value: unknown, limit = PTH_QUOTE_LIMIT): string {
  if (value instanceof Uint8Array) {
    let text = '';
    const n = Math.min(value.length, limit);
    for (let i = 0; i < n; i++) {
      const c = value[i]!;
      text +=
        c >= 0x20 && c < 0x7f && c !== 0x5c
          ? String.fromCharCode(c)
          : `\\x${c.toString(16).padStart(2, '0')}`;
    }
    if (value.length > n) text += '…';
    return `b'${text}'`;
  }
  return quote(value, { maxBytes: limit });
}
