import '../register.js';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  autoChoice,
  BACKEND_NAMES,
  type BackendCandidate,
  formatBackendTable,
  initBackend,
  isSoftwareAdapter,
  resolveInitBackendOptions,
} from './init-backend.js';

function tfjsNodeInstalled(): boolean {
  for (const p of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      import.meta.resolve(p);
      return true;
    } catch {
      // not installed
    }
  }
  return false;
}

describe('initBackend', () => {
  it('activates cpu on request and reports every backend with a reason', async () => {
    const report = await initBackend({ backend: 'cpu' });
    expect(report.chosen).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(report.candidates.map((c) => c.name)).toEqual([...BACKEND_NAMES]);
    for (const c of report.candidates) {
      expect(typeof c.available).toBe('boolean');
      expect(c.reason.length).toBeGreaterThan(5);
    }
    expect(report.candidates.find((c) => c.name === 'cpu')?.reason).toMatch(
      /^chosen \(requested\)/,
    );
    expect(report.candidates.find((c) => c.name === 'wasm')).toMatchObject({
      available: true,
      reason: "not requested ('cpu' was)",
    });
    if (!tfjsNodeInstalled()) {
      expect(report.candidates[0]).toMatchObject({ name: 'tensorflow', available: false });
      expect(report.candidates[0]?.reason).toMatch(
        /@tensorflow\/tfjs-node-gpu not installed.*opt in with: pnpm add/,
      );
    }
  });

  it('activates wasm with the training kernels registered', async () => {
    // one thread: the single-threaded SIMD build (the threaded one: wasm-threads.test.ts)
    const report = await initBackend({ backend: 'wasm', threads: 1 });
    expect(report.chosen).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    const wasm = report.candidates.find((c) => c.name === 'wasm');
    expect(wasm?.detail).toMatchObject({ simd: true, threads: 1, build: 'simd' });
    expect(wasm?.reason).toMatch(/single-threaded SIMD build: 1 thread requested$/);
    // a gradient that needs the facepar kernels now runs on wasm
    const g = tf.grad((x: tf.Tensor) =>
      tf.sum(tf.conv2d(x as tf.Tensor4D, tf.ones([3, 3, 1, 1]), 1, 'same')),
    )(tf.ones([1, 3, 3, 1]));
    expect([...(await g.data())]).toEqual([4, 6, 4, 6, 9, 6, 4, 6, 4]);
  });

  it('auto picks the first usable backend and explains the skipped ones', async () => {
    const report = await initBackend();
    expect(report.chosen).toBe(autoChoice(report.candidates));
    expect(tf.getBackend()).toBe(report.chosen);
    // wasm is always installed with @facepar/core, so auto never falls back to cpu here
    expect(report.chosen).not.toBe('cpu');
    expect(report.candidates.find((c) => c.name === 'cpu')?.reason).toBe(
      `available, but '${report.chosen}' ranks higher`,
    );
    const webgpu = report.candidates.find((c) => c.name === 'webgpu') as BackendCandidate;
    if (webgpu.available && webgpu.detail?.software === true) {
      expect(report.chosen).not.toBe('webgpu');
      expect(webgpu.reason).toMatch(/software adapter .*auto skips it/);
    }
  }, 60_000);

  it('rejects an unknown backend naming the allowed ones', () => {
    expect(() => resolveInitBackendOptions({ backend: 'gpu' as never })).toThrow(
      'initBackend: unknown backend "gpu"; allowed: auto, tensorflow, webgpu, wasm, cpu',
    );
  });

  it.skipIf(tfjsNodeInstalled())(
    'throws with the reason when a requested backend is missing',
    async () => {
      await expect(initBackend({ backend: 'tensorflow' })).rejects.toThrow(
        /backend 'tensorflow' is unavailable: @tensorflow\/tfjs-node-gpu not installed/,
      );
    },
  );
});

describe('autoChoice', () => {
  const c = (
    name: BackendCandidate['name'],
    available: boolean,
    detail?: BackendCandidate['detail'],
  ) => ({
    name,
    available,
    reason: 'x',
    ...(detail ? { detail } : {}),
  });
  it('prefers tensorflow, then hardware webgpu, then wasm, then cpu', () => {
    expect(
      autoChoice([c('tensorflow', true), c('webgpu', true), c('wasm', true), c('cpu', true)]),
    ).toBe('tensorflow');
    expect(
      autoChoice([
        c('tensorflow', false),
        c('webgpu', true, { software: false }),
        c('wasm', true),
        c('cpu', true),
      ]),
    ).toBe('webgpu');
    expect(
      autoChoice([
        c('tensorflow', false),
        c('webgpu', true, { software: true }),
        c('wasm', true),
        c('cpu', true),
      ]),
    ).toBe('wasm');
    expect(
      autoChoice([c('tensorflow', false), c('webgpu', false), c('wasm', false), c('cpu', true)]),
    ).toBe('cpu');
  });
});

describe('isSoftwareAdapter', () => {
  it('recognises llvmpipe, SwiftShader and fallback adapters', () => {
    const llvmpipe = {
      vendor: 'mesa',
      architecture: 'software',
      description: 'llvmpipe: Mesa 25.0.7',
    };
    expect(isSoftwareAdapter({ info: llvmpipe })).toBe(true);
    expect(
      isSoftwareAdapter({
        info: { vendor: 'google', description: 'SwiftShader Device (Subzero)' },
      }),
    ).toBe(true);
    const h200 = { vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' };
    expect(isSoftwareAdapter({ info: h200, isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter({ info: h200, isFallbackAdapter: false })).toBe(false);
    expect(isSoftwareAdapter({ info: h200 })).toBe(false);
  });
});

describe('formatBackendTable', () => {
  it('prints one aligned line per backend and marks the chosen one', () => {
    const text = formatBackendTable({
      chosen: 'wasm',
      candidates: [
        { name: 'tensorflow', available: false, reason: 'not installed' },
        { name: 'wasm', available: true, reason: 'chosen (auto)' },
      ],
    });
    expect(text).toBe(
      [
        '  backend     available  reason',
        '  tensorflow  no         not installed',
        '* wasm        yes        chosen (auto)',
      ].join('\n'),
    );
  });
});
