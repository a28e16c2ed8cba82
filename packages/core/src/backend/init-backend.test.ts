import '../register.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  autoChoice,
  BACKEND_NAMES,
  type BackendCandidate,
  describeNativeLoadError,
  formatBackendTable,
  initBackend,
  isSoftwareAdapter,
  listBackends,
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

describe('tfjs-node(-gpu) load failures name the missing library', () => {
  it('reads the soname from the dynamic loader message', () => {
    expect(
      describeNativeLoadError(
        'libcudnn.so.8: cannot open shared object file: No such file or directory',
      ),
    ).toMatchObject({ missingLibrary: 'libcudnn.so.8', hint: expect.stringMatching(/CUDA 11.2/) });
    expect(
      describeNativeLoadError('libtensorflow.so.2: cannot open shared object file: No such file'),
    ).toMatchObject({
      missingLibrary: 'libtensorflow.so.2',
      hint: expect.stringMatching(/install script/),
    });
    expect(describeNativeLoadError('Something else went wrong')).toEqual({});
  });

  it('listBackends reports it for an installed package that cannot load', async () => {
    const app = fs.mkdtempSync(path.join(os.tmpdir(), 'facepar-tfjs-node-'));
    const pkg = path.join(app, 'node_modules', '@tensorflow', 'tfjs-node-gpu');
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(
      path.join(pkg, 'package.json'),
      JSON.stringify({ name: '@tensorflow/tfjs-node-gpu', version: '4.22.0', main: 'index.js' }),
    );
    // what Node's dlopen of tfjs_binding.node throws on a CUDA 12 machine
    fs.writeFileSync(
      path.join(pkg, 'index.js'),
      "throw new Error('libcudart.so.11.0: cannot open shared object file: No such file or directory');\n",
    );
    try {
      const tensorflow = (await listBackends({ resolveFrom: app })).find(
        (c) => c.name === 'tensorflow',
      );
      expect(tensorflow).toMatchObject({
        available: false,
        detail: { missingLibrary: 'libcudart.so.11.0' },
      });
      expect(tensorflow?.reason).toMatch(
        /^@tensorflow\/tfjs-node-gpu failed to load: libcudart.so.11.0 not found \(libtensorflow 2.9.1 needs the CUDA 11.2 and cuDNN 8.1 runtimes/,
      );
    } finally {
      fs.rmSync(app, { recursive: true, force: true });
    }
  });
});

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
  // [tensorflow loads, webgpu adapter ('hw' | 'sw' | null), wasm loads] -> auto's choice
  it.each([
    [true, 'hw', true, 'webgpu'],
    [true, 'sw', true, 'tensorflow'],
    [false, 'hw', true, 'webgpu'],
    [false, 'sw', true, 'wasm'],
    [false, null, false, 'cpu'],
  ] as const)(
    'prefers hardware webgpu, tensorflow, wasm, cpu: %s %s %s -> %s',
    (tfjs, gpu, wasm, want) => {
      const webgpu =
        gpu == null ? c('webgpu', false) : c('webgpu', true, { software: gpu === 'sw' });
      expect(autoChoice([c('tensorflow', tfjs), webgpu, c('wasm', wasm), c('cpu', true)])).toBe(
        want,
      );
    },
  );
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
