import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as image from './index.js';

// Runs the first ```ts block of README.md against this package's source, so the example
// cannot rot. The example is plain JavaScript apart from its import lines.
const readme = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';

describe('README example', () => {
  it('runs and prints the values its comments promise', () => {
    const imports = [...block.matchAll(/^import \{([^}]*)\} from '@facepar\/image';\n/gm)];
    expect(imports.length, 'the example imports from @facepar/image').toBeGreaterThan(0);
    const names = imports.flatMap((m) =>
      m[1]!
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
    const exports = image as unknown as Record<string, unknown>;
    for (const n of names) expect(exports[n], `export ${n}`).toBeDefined();
    const body = imports.reduce((b, m) => b.replace(m[0], ''), block);
    const lines: unknown[][] = [];
    const fakeConsole = { log: (...args: unknown[]) => lines.push(args) };
    new Function(...names, 'console', body)(...names.map((n) => exports[n]), fakeConsole);
    expect(lines[0]).toEqual([{ width: 1024, height: 512 }]);
    // a flat 200 stays 200 through the resize; (200 - 123.675) / 58.395
    expect(lines[1]).toEqual([{ width: 2, height: 1 }, 6, ((200 - 123.675) / 58.395).toFixed(4)]);
  });
});
