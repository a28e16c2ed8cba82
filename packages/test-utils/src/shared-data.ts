import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function sharedRoot(): string {
  return process.env.FACEPAR_SHARED_DIR ?? path.resolve(repoRoot, '..', 'shared');
}

/** `../shared/data/celebamask-mini` beside the checkout, or null when absent. */
export function sharedDataDir(): string | null {
  const dir = path.join(sharedRoot(), 'data', 'celebamask-mini');
  return fs.existsSync(dir) ? dir : null;
}

/** `../shared/fixtures` beside the checkout, or null when absent. */
export function sharedFixturesDir(): string | null {
  const dir = path.join(sharedRoot(), 'fixtures');
  return fs.existsSync(dir) ? dir : null;
}

/**
 * A describe block over real CelebAMask-HQ files, which may not be
 * redistributed and so live outside the repo. Skips with a message naming the
 * missing folder when it is absent (a user's fresh clone).
 */
export function describeWithSharedData(
  name: string,
  which: 'data' | 'fixtures',
  fn: (dir: string) => void,
): void {
  const dir = which === 'data' ? sharedDataDir() : sharedFixturesDir();
  if (dir === null) {
    const expected = which === 'data' ? 'shared/data/celebamask-mini' : 'shared/fixtures';
    describe.skip(`${name} [skipped: ../${expected} not found beside the checkout; set FACEPAR_SHARED_DIR]`, () => {});
    return;
  }
  describe(name, () => fn(dir));
}
