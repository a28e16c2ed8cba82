// node:fs is imported lazily so that the package's browser bundles never touch it.
async function fs(): Promise<typeof import('node:fs/promises')> {
  return import('node:fs/promises');
}

async function path(): Promise<typeof import('node:path')> {
  return import('node:path');
}

/** Test hook: called between writing the temp file and renaming it into place. */
export type BeforeRenameHook = (tempPath: string, finalPath: string) => void;

export interface WriteFileAtomicOptions {
  path: string;
  data: Uint8Array | string;
  /** For tests: simulates a crash after the temp file is written, before the rename. */
  beforeRename?: BeforeRenameHook;
}

/** Flushes a directory entry (new or renamed files) to disk; ignored where unsupported. */
export async function fsyncDir(dir: string): Promise<void> {
  const f = await fs();
  let handle: Awaited<ReturnType<typeof f.open>> | undefined;
  try {
    handle = await f.open(dir, 'r');
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
  } finally {
    await handle?.close();
  }
}

/**
 * Writes `data` to `path` so that readers see either the old file or the complete new one:
 * a temp file in the same folder (created with its parents), fsync, rename over `path`, fsync
 * the folder. On any error the temp file is removed and the old file is untouched.
 */
export async function writeFileAtomic(options: WriteFileAtomicOptions): Promise<void> {
  const { data, beforeRename } = options;
  const f = await fs();
  const p = await path();
  const dir = p.dirname(options.path);
  await f.mkdir(dir, { recursive: true });
  const base = p.basename(options.path);
  const temp = p.join(dir, `.${base}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
  try {
    const handle = await f.open(temp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    beforeRename?.(temp, options.path);
    await f.rename(temp, options.path);
  } catch (error) {
    await f.rm(temp, { force: true });
    throw error;
  }
  await fsyncDir(dir);
}
