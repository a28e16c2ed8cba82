import { FileFormatError, quote } from './errors.js';

/** Deepest nesting `parseJson` accepts by default (JSON.parse recurses per level). */
export const JSON_MAX_DEPTH = 64;

export interface ParseJsonOptions {
  /** The file (or other origin) named in error messages. */
  source?: string;
  /** The format named in error messages (default `json`). */
  format?: string;
  /** Deepest nesting of arrays and objects accepted (default `JSON_MAX_DEPTH`). */
  maxDepth?: number;
}

/**
 * `JSON.parse` for untrusted text: the nesting depth is measured first in one linear pass
 * (strings skipped), so a deeply nested value gives a clear error instead of a stack
 * overflow; an empty or malformed text gives a `FileFormatError` that names `source` and
 * quotes at most 200 bytes, never `Unexpected end of JSON input` alone.
 */
export function parseJson(text: string, options: ParseJsonOptions = {}): unknown {
  const format = options.format ?? 'json';
  const maxDepth = options.maxDepth ?? JSON_MAX_DEPTH;
  const fail = (problem: string): never => {
    throw new FileFormatError({ format, source: options.source, problem });
  };
  if (text.trim().length === 0) fail('empty file (expected JSON)');
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // skip the string, escapes included
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) {
        fail(`JSON nested deeper than ${maxDepth} levels at character ${i}`);
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    return fail(`not valid JSON (${quote((e as Error).message, { bare: true })})`);
  }
}
