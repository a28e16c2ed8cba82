/** Longest excerpt of an offending value quoted in an error message. */
export const PTH_QUOTE_LIMIT = 200;

/**
 * A `.pth` file that cannot be read. The message starts with the file (`source`) and says what
 * is wrong and, where there is one, the fix.
 */
export class PthError extends Error {
  /** The file or name given as `source` (absent when none was given). */
  readonly source: string | undefined;

  constructor(message: string, options: { source?: string; cause?: unknown } = {}) {
    super(`${options.source ? `${options.source}: ` : ''}pth: ${message}`, {
      cause: options.cause,
    });
    this.name = 'PthError';
    this.source = options.source;
  }
}

/**
 * A short printable excerpt of a value for an error message: strings and bytes are cut to
 * `limit` characters and quoted (bytes as escaped latin-1), anything else through `String`.
 */
export function quoteValue(value: unknown, limit = PTH_QUOTE_LIMIT): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (value instanceof Uint8Array) {
    const n = Math.min(value.length, limit);
    text = '';
    for (let i = 0; i < n; i++) {
      const c = value[i]!;
      text +=
        c >= 0x20 && c < 0x7f && c !== 0x5c
          ? String.fromCharCode(c)
          : `\\x${c.toString(16).padStart(2, '0')}`;
    }
    if (value.length > n) text += '…';
    return `b'${text}'`;
  } else return String(value).slice(0, limit);
  const cut = text.length > limit ? `${text.slice(0, limit)}…` : text;
  return JSON.stringify(cut);
}
