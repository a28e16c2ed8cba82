import { constants } from 'node:os';

/** The signals that stop a run cleanly: Ctrl-C, `kill`/docker/Slurm/timeout, a closed terminal. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** The shell's exit code for a process ended by `signal`: 128 + its number (130, 143, 129). */
export function signalExitCode(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}

/**
 * Runs `fn` with the stop signals turned into its `AbortSignal` (the reason is the signal's
 * name), so a training loop saves a checkpoint after the current iteration and returns; a
 * second signal calls `onSignal` with `again: true` (e.g. to exit at once). The listeners are
 * removed when `fn` settles. `signal` in the result: the first signal received, if any.
 */
export async function withStopSignals<T>(options: {
  fn: (signal: AbortSignal) => Promise<T>;
  onSignal?: (info: { signal: StopSignal; again: boolean }) => void;
  signals?: readonly StopSignal[];
}): Promise<{ value: T; signal?: StopSignal }> {
  const { signals = STOP_SIGNALS } = options;
  const controller = new AbortController();
  let first: StopSignal | undefined;
  const handlers = signals.map((signal) => {
    const handler = () => {
      const again = first !== undefined;
      first ??= signal;
      options.onSignal?.({ signal, again });
      if (!again) controller.abort(signal);
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  try {
    const value = await options.fn(controller.signal);
    return first === undefined ? { value } : { value, signal: first };
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}
