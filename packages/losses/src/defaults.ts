/**
 * `{ ...defaults, ...options }` where an option explicitly set to `undefined` keeps its default
 * (a caller forwarding an unset CLI flag means "default", not "undefined").
 */
export function withDefaults<T extends object>(defaults: Readonly<T>, options: Partial<T>): T {
  const out = { ...defaults };
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}
