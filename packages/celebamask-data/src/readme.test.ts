import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as data from './index.js';

// Runs the first ```ts block of README.md against this package's source, so the example
// cannot rot: its node imports and the package import are passed in as parameters.
const readme = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
  ...args: string[]
) => (...args: unknown[]) => Promise<void>;

describe('README example', () => {
  it('runs and prints the values its comments promise', async () => {
    expect(block).toContain("import * as data from '@facepar/celebamask-data';");
    // TS-only syntax -> JS: imports become parameters, `x!` and `as const` are dropped
    const body = block
      .replace(/^import [^;]*;\n/gm, '')
      .replace(/\b(\w+)!/g, '$1')
      .replace(/ as const/g, '');
    const lines: string[] = [];
    const fakeConsole = { log: (...args: unknown[]) => lines.push(args.join(' ')) };
    await new AsyncFunction('fs', 'os', 'path', 'data', 'console', body)(
      fs,
      os,
      path,
      data,
      fakeConsole,
    );
    // the values written in the example's comments
    const promised = [...block.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1]);
    expect(lines).toEqual(promised);
    expect(lines).toEqual(['course 10', '10 40960 10', '48 48 6912']);
    const code = block.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('//'));
    expect(code.length).toBeLessThanOrEqual(20);
  });
});
