import '../register.js';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { randomArray, relativeError } from '../gradients/reference.test-helper.js';
import { initBackend } from './init-backend.js';
import { UNREF_MARK } from './wasm-threads.js';

// One wasm backend per process: this file starts it threaded (vitest runs each file in its own
// worker), every other wasm test file runs the single-threaded build.

interface PthreadModule {
  PThread?: { unusedWorkers: object[]; runningWorkers: object[] };
}

function convStep(backend: 'cpu' | 'wasm'): Promise<Float32Array[]> {
  return (async () => {
    await tf.setBackend(backend);
    const x = tf.tensor4d(Float32Array.from(randomArray(2 * 12 * 12 * 16, 1)), [2, 12, 12, 16]);
    const w = tf.tensor4d(Float32Array.from(randomArray(3 * 3 * 16 * 24, 2)), [3, 3, 16, 24]);
    const m = tf.tensor2d(Float32Array.from(randomArray(24 * 8, 3)), [24, 8]);
    const [gx, gw] = tf.grads((a: tf.Tensor, f: tf.Tensor) => {
      const y = tf.relu(tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, 2, 'same'));
      return tf.sum(tf.square(tf.matMul(tf.reshape(y, [-1, 24]), m)));
    })([x, w]);
    const out = [await (gx as tf.Tensor).data(), await (gw as tf.Tensor).data()] as Float32Array[];
    tf.dispose([x, w, m, gx as tf.Tensor, gw as tf.Tensor]);
    return out;
  })();
}

describe('wasm with threads (Node worker shim)', () => {
  it('starts the threaded SIMD build with the requested threads and trains like cpu', async () => {
    const report = await initBackend({ backend: 'wasm', threads: 2 });
    const wasm = report.candidates.find((c) => c.name === 'wasm');
    expect(wasm?.detail).toMatchObject({ threads: 2, build: 'threaded-simd' });
    expect(wasm?.reason).toMatch(/threaded SIMD build, 2 threads/);
    const threaded = await convStep('wasm');
    const cpu = await convStep('cpu');
    for (let i = 0; i < cpu.length; i++) {
      expect(relativeError(threaded[i] as Float32Array, cpu[i] as Float32Array)).toBeLessThan(1e-5);
    }
    await tf.setBackend('wasm');
    // the pthread workers exist and none keeps the process alive
    const mod = (tf.backend() as unknown as { wasm: PthreadModule }).wasm;
    const workers = [...(mod.PThread?.unusedWorkers ?? []), ...(mod.PThread?.runningWorkers ?? [])];
    expect(mod.PThread?.runningWorkers.length).toBe(1); // XNNPACK's pool: main thread + 1
    expect(workers.length).toBeGreaterThan(0);
    for (const w of workers) expect((w as Record<symbol, unknown>)[UNREF_MARK]).toBe(true);
  });

  it('keeps the count fixed once wasm runs, and says so', async () => {
    const report = await initBackend({ backend: 'wasm', threads: 1 });
    const wasm = report.candidates.find((c) => c.name === 'wasm');
    expect(wasm?.detail).toMatchObject({ threads: 2, build: 'threaded-simd' });
    expect(wasm?.reason).toMatch(/already initialised in this process with 2 thread/);
  });

  it('rejects a bad thread count with the option named', async () => {
    await expect(initBackend({ backend: 'wasm', threads: 0 })).rejects.toThrow(
      /initBackend: threads must be an integer >= 1, got 0/,
    );
  });
});
