import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { throttleDawnPolling } from './dawn-polling.js';

// Dawn's poll callback is an anonymous native function; `Function.prototype` is one too.
const nativeAnonymous = Function.prototype as () => void;
const kind = (handle: unknown) => (handle as object).constructor.name;

afterEach(() => {
  throttleDawnPolling({ intervalMs: 0 });
});

describe('throttleDawnPolling', () => {
  it("defers Dawn's poll callbacks to timers after the spin window, nothing else", async () => {
    const original = globalThis.setImmediate;
    throttleDawnPolling({ intervalMs: 1, spinMs: 0 });
    expect(globalThis.setImmediate).not.toBe(original);
    const polled = globalThis.setImmediate(nativeAnonymous);
    expect(kind(polled)).toBe('Timeout');
    clearTimeout(polled as unknown as NodeJS.Timeout);
    let ran = false;
    const js = globalThis.setImmediate(() => {
      ran = true;
    });
    expect(kind(js)).toBe('Immediate');
    const withArgs = globalThis.setImmediate((v: number) => void v, 1);
    expect(kind(withArgs)).toBe('Immediate');
    await setImmediatePromise();
    expect(ran).toBe(true);
    // promisified setImmediate keeps working through the replacement
    expect(await promisify(globalThis.setImmediate)('v')).toBe('v');
  });

  it('spins during the first spinMs of a wait, and restores the original on intervalMs 0', () => {
    const original = globalThis.setImmediate;
    throttleDawnPolling({ intervalMs: 1, spinMs: 60_000 });
    throttleDawnPolling({ intervalMs: 1, spinMs: 60_000 }); // idempotent: wraps the original once
    const h = globalThis.setImmediate(nativeAnonymous);
    expect(kind(h)).toBe('Immediate');
    clearImmediate(h);
    throttleDawnPolling({ intervalMs: 0 });
    expect(globalThis.setImmediate).toBe(original);
    expect(() => throttleDawnPolling({ intervalMs: -1 })).toThrow(
      /intervalMs must be a number >= 0, got -1/,
    );
  });
});
