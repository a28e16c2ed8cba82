import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic-write.js';

describe('writeFileAtomic', () => {
  it('writes new content and leaves no temp files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'facepar-atomic-'));
    const path = join(dir, 'a', 'b.json');
    writeFileAtomic({ path, data: '{"v":1}' });
    writeFileAtomic({ path, data: new Uint8Array([1, 2, 3]) });
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    expect(readdirSync(join(dir, 'a'))).toEqual(['b.json']);
  });

  it('a crash before the rename keeps the old file intact', () => {
    const dir = mkdtempSync(join(tmpdir(), 'facepar-atomic-'));
    const path = join(dir, 'state.json');
    writeFileAtomic({ path, data: 'old' });
    let sawTemp = '';
    expect(() =>
      writeFileAtomic({
        path,
        data: 'new content',
        beforeRename: (temp) => {
          sawTemp = readFileSync(temp, 'utf8');
          throw new Error('simulated crash');
        },
      }),
    ).toThrow('simulated crash');
    expect(sawTemp).toBe('new content');
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['state.json']);
  });
});
