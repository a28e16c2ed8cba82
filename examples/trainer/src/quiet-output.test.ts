// What reaches the terminal from a real `facepar` process: Dawn prints its Vulkan and limits
// warnings from native code (nothing in-process can catch them), so only a child process
// shows whether they appear. Runs the built CLI (`pnpm build`; CI builds before testing).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeRgbPng } from '@facepar/celebamask-data';
import { packageFixture } from '@facepar/test-utils';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const DAWN = /Warning: max|Vulkan|dawn/i;
const BANNER = /TensorFlow\.js in Node\.js/;

function facepar(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? Number((error as { code?: number }).code ?? 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe.skipIf(!existsSync(CLI))('facepar prints only what was asked for (built CLI)', () => {
  it('no Dawn warnings unless WebGPU is probed verbosely, and never the tfjs Node banner', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'facepar-quiet-'));
    const rgb = new Uint8Array(32 * 32 * 3).map((_, i) => (i * 7) % 256);
    writeFileSync(join(dir, 'face.png'), encodeRgbPng({ rgb, width: 32, height: 32 }));
    const weights = packageFixture({ pkg: 'heads', name: 'deeplab-w32.pth' });
    const predict = ['predict', '--weights', weights, '--model', 'deeplabv3plus_r50-d8@x0.03125'];
    for (const backend of ['auto', 'cpu']) {
      const args = [...predict, '--input', join(dir, 'face.png'), '--out', join(dir, backend)];
      const r = await facepar([...args, '--backend', backend]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr, backend).not.toMatch(DAWN);
      expect(r.stderr + r.stdout, backend).not.toMatch(BANNER);
      expect(existsSync(join(dir, backend, 'face.png'))).toBe(true);
    }
    const quiet = await facepar(['backends', '--json']);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).not.toMatch(DAWN);
    const webgpu = JSON.parse(quiet.stdout).candidates.find(
      (c: { name: string }) => c.name === 'webgpu',
    );
    if (webgpu.available) {
      // probed in this process on request: Dawn's own messages are part of what was asked
      const verbose = await facepar(['backends', '--verbose']);
      expect(verbose.code).toBe(0);
      expect(verbose.stdout).toMatch(/webgpu\s+yes/);
    }
  }, 300_000);
});
