import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as metrics from './index.js';

// Runs the first ```ts block of README.md against this package's source, so the example
// cannot rot. The example is plain JavaScript apart from its import line.
const readme = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';

describe('README example', () => {
  it('runs and prints the values its comment promises', () => {
    const importLine = /^import \{([^}]*)\} from '@facepar\/metrics';\n/m.exec(block);
    expect(importLine, 'the example imports from @facepar/metrics').not.toBeNull();
    const names = (importLine?.[1] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const exports = metrics as unknown as Record<string, unknown>;
    for (const n of names) expect(exports[n], `export ${n}`).toBeDefined();
    const body = block.replace(importLine?.[0] ?? '', '');
    const lines: string[] = [];
    const fakeConsole = { log: (...args: unknown[]) => lines.push(args.join(' ')) };
    new Function(...names, 'console', body)(...names.map((n) => exports[n]), fakeConsole);
    // hand-computed: I = [3,4,3], union = [4,6,4] -> mIoU (0.75 + 2/3 + 0.75) / 3; aAcc 10/12
    expect(lines.at(-1)).toBe('mIoU 72.22, aAcc 83.33');
    expect(lines[0]).toContain('| background | 75.00 | 75.00  |');
  });
});
