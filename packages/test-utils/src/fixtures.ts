import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The path of a workspace package's committed fixture (`packages/<pkg>/src/fixtures/<name>`),
 * e.g. heads' `deeplab-w32.pth`, for tests of the packages above it. Throws when it is absent.
 */
export function packageFixture(options: { pkg: string; name: string }): string {
  const path = fileURLToPath(
    new URL(`../../${options.pkg}/src/fixtures/${options.name}`, import.meta.url),
  );
  if (!existsSync(path)) throw new Error(`fixture ${path} does not exist`);
  return path;
}
