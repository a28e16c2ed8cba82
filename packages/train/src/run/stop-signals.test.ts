import { describe, expect, it } from 'vitest';
import { signalExitCode, STOP_SIGNALS, withStopSignals } from './stop-signals.js';

describe('withStopSignals', () => {
  it('exit codes are 128 + the signal number', () => {
    expect(STOP_SIGNALS.map(signalExitCode)).toEqual([130, 143, 129]);
  });

  it.each(STOP_SIGNALS)(
    '%s aborts the run with its name; a second one is reported as again',
    async (name) => {
      const heard: string[] = [];
      const before = process.listenerCount(name);
      const { value, signal } = await withStopSignals({
        onSignal: ({ signal, again }) => heard.push(`${signal}${again ? ' again' : ''}`),
        fn: async (abort) => {
          process.emit(name as 'SIGINT');
          process.emit('SIGINT');
          return abort.reason;
        },
      });
      expect(value).toBe(name);
      expect(signal).toBe(name);
      expect(heard).toEqual([name, 'SIGINT again']);
      expect(process.listenerCount(name)).toBe(before);
    },
  );

  it('returns no signal when none came, and removes its listeners on failure too', async () => {
    expect(await withStopSignals({ fn: async (s) => s.aborted })).toEqual({ value: false });
    const before = process.listenerCount('SIGTERM');
    await expect(
      withStopSignals({
        fn: async () => {
          throw new Error('boom');
        },
      }),
    ).rejects.toThrow('boom');
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });
});
