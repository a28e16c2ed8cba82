import { describe, it } from 'vitest';

/** One entry of core's `listBackends()` (structurally; test-utils imports no facepar package). */
export interface BackendProbe {
  name: string;
  available: boolean;
  reason: string;
  detail?: Record<string, unknown>;
}

/**
 * The gate of every WebGPU test file (top level: `await requireWebGpuUnderCi({ listBackends })`
 * with core's `listBackends`): without a webgpu adapter it declares one test that fails under
 * `CI=true` (CI installs Mesa's llvmpipe and must not skip the WebGPU checks) and is skipped
 * elsewhere. Returns whether to run the WebGPU tests and the adapter's name for their titles.
 */
export async function requireWebGpuUnderCi(options: {
  listBackends: () => Promise<readonly BackendProbe[]>;
}): Promise<{ available: boolean; adapter: string }> {
  const webgpu = (await options.listBackends()).find((c) => c.name === 'webgpu');
  if (webgpu?.available === true) {
    const d = webgpu.detail ?? {};
    return { available: true, adapter: String(d.description ?? d.device ?? 'adapter') };
  }
  const reason = webgpu?.reason ?? 'no webgpu candidate';
  describe('webgpu', () => {
    it.runIf(Boolean(process.env.CI))('has an adapter under CI', () => {
      throw new Error(`CI must run the WebGPU checks, but: ${reason}`);
    });
    it.skipIf(Boolean(process.env.CI))(`skipped: ${reason}`, () => {});
  });
  return { available: false, adapter: '' };
}
