/**
 * Dawn's Node binding (`webgpu` 0.6, `dawn.node`) resolves every pending promise (`mapAsync`,
 * `onSubmittedWorkDone`) by polling: while one is pending it calls `wgpuInstanceProcessEvents`
 * from a `setImmediate` callback that schedules itself again (Dawn `AsyncRunner`), so a wait for
 * the GPU keeps one CPU core at 100 %. On Mesa's llvmpipe the "GPU" is the CPU: on 2 cores that
 * spin took 1.3–2.0 s of CPU per 2–3.6 s readback wait of a training step, away from the
 * shader threads. `throttleDawnPolling` lets each wait spin for `spinMs`, then polls every
 * `intervalMs` through `setTimeout` instead: a wait ends at most about `intervalMs` later.
 */

/** Dawn's poll callback: an anonymous native function (`Napi::Function::New`). */
function isDawnPoll(fn: unknown): fn is (...args: unknown[]) => void {
  return (
    typeof fn === 'function' &&
    fn.name === '' &&
    Function.prototype.toString.call(fn) === 'function () { [native code] }'
  );
}

export interface DawnPollingOptions {
  /** Poll period once a wait has spun for `spinMs` (ms; default 1). 0 restores Dawn's spin. */
  intervalMs?: number;
  /** Busy polling at the start of each wait (ms; default 1), so short waits stay short. */
  spinMs?: number;
}

export const DEFAULT_DAWN_POLLING_OPTIONS = { intervalMs: 1, spinMs: 1 } as const;

const ORIGINAL = Symbol.for('facepar.dawnPolling.original');
type Scheduler = typeof globalThis.setImmediate & { [ORIGINAL]?: typeof globalThis.setImmediate };

/**
 * Replaces `globalThis.setImmediate` (the function Dawn looks up for each poll) with one that
 * defers Dawn's own poll callbacks as described above and passes every other call through
 * unchanged. Idempotent; `intervalMs: 0` restores the original.
 */
export function throttleDawnPolling(options: DawnPollingOptions = {}): void {
  const intervalMs = options.intervalMs ?? DEFAULT_DAWN_POLLING_OPTIONS.intervalMs;
  const spinMs = options.spinMs ?? DEFAULT_DAWN_POLLING_OPTIONS.spinMs;
  for (const [name, v] of [
    ['intervalMs', intervalMs],
    ['spinMs', spinMs],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new Error(`throttleDawnPolling: ${name} must be a number >= 0, got ${String(v)}`);
    }
  }
  const current = globalThis.setImmediate as Scheduler;
  const original = current[ORIGINAL] ?? current;
  if (intervalMs === 0) {
    globalThis.setImmediate = original;
    return;
  }
  let lastPoll = Number.NEGATIVE_INFINITY;
  let waitStart = 0;
  const throttled = ((fn: unknown, ...args: unknown[]) => {
    if (!isDawnPoll(fn)) return (original as (...a: unknown[]) => unknown)(fn, ...args);
    const now = performance.now();
    // A gap longer than a couple of periods means the previous wait ended: a new one starts.
    if (now - lastPoll > 2 * intervalMs + 1) waitStart = now;
    lastPoll = now;
    if (now - waitStart < spinMs) return original(fn, ...args);
    return setTimeout(fn, intervalMs, ...args);
  }) as Scheduler;
  // Keep what hangs off the original (`util.promisify.custom`, name, length).
  Object.defineProperties(throttled, Object.getOwnPropertyDescriptors(original));
  throttled[ORIGINAL] = original;
  globalThis.setImmediate = throttled;
}
