import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic-write.js';

describe('writeFileAtomic', () => {
  it('writes new content and leaves no temp files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'facepar-atomic-'));
    const path = join(dir, 'a', 'b.json');
    await writeFileAtomic({ path, data: '{"v":1}' });
    expect(readFileSync(path, 'utf8')).toBe('{"v":1}');
    await writeFileAtomic({ path, data: new Uint8Array([1, 2, 3]) });
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    expect(readdirSync(join(dir, 'a'))).toEqual(['b.json']);
  });

  it('a crash before the rename keeps the old file intact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'facepar-atomic-'));
    const path = join(dir, 'state.json');
    await writeFileAtomic({ path, data: 'old' });
    let sawTemp = '';
    await expect(
      writeFileAtomic({
        path,
        data: 'new content',
        beforeRename: (temp) => {
          sawTemp = readFileSync(temp, 'utf8');
          throw new Error('simulated crash');
        },
      }),
    ).rejects.toThrow('simulated crash');
    expect(sawTemp).toBe('new content');
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['state.json']);
  });
});
