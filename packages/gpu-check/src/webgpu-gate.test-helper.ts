import { listBackends } from '@facepar/core';
import { describe, it } from 'vitest';

// WebGPU through Dawn (`webgpu` package). Users without a Vulkan driver skip; CI installs Mesa
// (llvmpipe) and must not skip: under CI=true a missing adapter fails.
const webgpu = (await listBackends()).find((c) => c.name === 'webgpu');

export const WEBGPU_AVAILABLE = webgpu?.available === true;
export const WEBGPU_ADAPTER = WEBGPU_AVAILABLE
  ? String(webgpu?.detail?.description ?? webgpu?.detail?.device ?? 'adapter')
  : '';

/** Declares the CI-fails / others-skip test when there is no adapter (call at top level). */
export function requireWebGpuUnderCi(): void {
  if (WEBGPU_AVAILABLE) return;
  describe('webgpu', () => {
    it.runIf(Boolean(process.env.CI))('has an adapter under CI', () => {
      throw new Error(`CI must run the WebGPU checks, but: ${webgpu?.reason}`);
    });
    it.skipIf(Boolean(process.env.CI))(`skipped: ${webgpu?.reason}`, () => {});
  });
}
