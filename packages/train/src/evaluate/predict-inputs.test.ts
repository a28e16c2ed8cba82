import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandPredictInputs, predictionStem } from './predict-inputs.js';

function tree(files: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'facepar-inputs-'));
  for (const f of files) {
    mkdirSync(join(root, f, '..'), { recursive: true });
    writeFileSync(join(root, f), '');
  }
  return root;
}

describe('expandPredictInputs', () => {
  it('takes files as given, folders (photos and .npy, sorted) and globs, in order', () => {
    const root = tree([
      'a/2.jpg',
      'a/1.PNG',
      'a/notes.txt',
      'a/.hidden.jpg',
      'a/sub/3.jpg',
      'b/x.npy',
    ]);
    const r = (p: string) => join(root, p);
    expect(expandPredictInputs([r('b/x.npy'), r('a')])).toEqual([
      r('b/x.npy'),
      r('a/1.PNG'),
      r('a/2.jpg'),
    ]);
    expect(expandPredictInputs([r('a/*.jpg')])).toEqual([r('a/2.jpg')]);
    expect(expandPredictInputs([r('a/[12].*')])).toEqual([r('a/1.PNG'), r('a/2.jpg')]);
    expect(expandPredictInputs([r('**/*.jpg')])).toEqual([r('a/2.jpg'), r('a/sub/3.jpg')]);
    expect(expandPredictInputs([r('a/?.jpg'), r('a/2.jpg')])).toEqual([r('a/2.jpg')]);
  });

  it('names an input that matches nothing, and two inputs whose outputs would collide', () => {
    const root = tree(['a/1.jpg', 'b/1.png', 'empty/readme.md']);
    expect(() => expandPredictInputs([join(root, 'missing.jpg')])).toThrow(
      /input .*missing\.jpg does not exist/,
    );
    expect(() => expandPredictInputs([join(root, '*.gif')])).toThrow(/no file matches .*\*\.gif/);
    expect(() => expandPredictInputs([join(root, 'empty')])).toThrow(
      /folder .*empty holds no \.jpg\/\.jpeg\/\.png\/\.webp\/\.npy file/,
    );
    expect(() => expandPredictInputs([join(root, 'a'), join(root, 'b')])).toThrow(
      /a\/1\.jpg and .*b\/1\.png have the same stem '1'/,
    );
    expect(() => expandPredictInputs([])).toThrow(/no input/);
    expect(predictionStem('/x/y/face.01.jpg')).toBe('face.01');
  });
});
