// Only what the user asked for reaches the terminal: no tfjs Node banner, ever, and no Dawn
// instance (whose native code prints Vulkan and limits warnings) unless WebGPU is activated.
import '../register.js';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { initBackend } from './init-backend.js';

afterEach(() => vi.restoreAllMocks());

describe('quiet backends', () => {
  it('a fresh cpu backend never prints the "running TensorFlow.js in Node.js" banner', async () => {
    const warn = vi.spyOn(console, 'warn');
    const cpu = (await tf.findBackendFactory('cpu')!()) as tf.KernelBackend;
    cpu.write(new Float32Array([1, 2]), [2], 'float32');
    cpu.dispose();
    await initBackend({ backend: 'cpu' });
    await tf.add(tf.scalar(1), tf.scalar(2)).data();
    expect(warn.mock.calls.flat().join('\n')).not.toMatch(/TensorFlow\.js in Node\.js/);
  });

  it('probes WebGPU without a Dawn instance here; auto picks wasm over a software adapter', async () => {
    const report = await initBackend({ backend: 'wasm' });
    const auto = await initBackend();
    const gpu = (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu;
    expect(gpu).toBeUndefined();
    const webgpu = auto.candidates.find((c) => c.name === 'webgpu')!;
    expect(report.candidates.find((c) => c.name === 'webgpu')?.available).toBe(webgpu.available);
    if (webgpu.available) {
      // the child process's adapter facts came back (llvmpipe where CI installs Mesa)
      expect(typeof webgpu.detail?.software).toBe('boolean');
      if (webgpu.detail?.software) expect(auto.chosen).toBe('wasm');
    } else expect(webgpu.reason).toMatch(/not installed|no WebGPU adapter|failed/);
  }, 60_000);
});
