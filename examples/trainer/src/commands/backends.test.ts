import { AUTO_PREFERENCE, BACKEND_NAMES } from '@facepar/core';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../args.js';
import { createBackendsCommand } from './backends.js';

async function run(argv: string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await createBackendsCommand({ out: (l) => lines.push(l) }).run(argv);
  return { code, text: lines.join('\n') };
}

describe('facepar backends', () => {
  it('prints JSON listing every backend with availability and reason', async () => {
    const { code, text } = await run(['--backend', 'cpu', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(text);
    expect(report.chosen).toBe('cpu');
    expect(report.candidates.map((c: { name: string }) => c.name)).toEqual([
      'tensorflow',
      'webgpu',
      'wasm',
      'cpu',
    ]);
    for (const c of report.candidates) {
      expect(typeof c.available).toBe('boolean');
      expect(typeof c.reason).toBe('string');
    }
    expect(report.candidates[3]).toMatchObject({ name: 'cpu', available: true });
    expect(report.candidates[3].reason).toMatch(/^chosen \(requested\)/);
  }, 60_000);

  it('prints a table marking the chosen backend', async () => {
    const { text } = await run(['--backend', 'wasm']);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^ {2}backend +available +reason$/);
    expect(lines).toHaveLength(5);
    expect(lines.find((l) => l.startsWith('* '))).toMatch(/^\* wasm +yes +chosen \(requested\)/);
  }, 60_000);

  it("describes auto's order as core's AUTO_PREFERENCE (hardware WebGPU first)", () => {
    const text = createBackendsCommand({ out: () => {} }).usage.replace(/\s+/g, ' ');
    const order = /auto prefers (.*?)\.(?: |$)/.exec(text)?.[1] ?? '';
    const named = order
      .split(/,? then /)
      .map((part) => BACKEND_NAMES.find((n) => part.toLowerCase().startsWith(n)));
    expect(named).toEqual([...AUTO_PREFERENCE]);
  });

  it('rejects an unknown backend listing the choices', async () => {
    await expect(run(['--backend', 'gpu'])).rejects.toThrow(UsageError);
    await expect(run(['--backend', 'gpu'])).rejects.toThrow(
      "backends: --backend must be one of auto, tensorflow, webgpu, wasm, cpu; got 'gpu'",
    );
  });
});
