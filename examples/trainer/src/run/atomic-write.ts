import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Test hook: called between writing the temp file and renaming it into place. */
export type BeforeRenameHook = (tempPath: string, finalPath: string) => void;

export interface WriteFileAtomicOptions {
  path: string;
  data: Uint8Array | string;
  /** For tests: simulates a crash after the temp file is written, before the rename. */
  beforeRename?: BeforeRenameHook;
}

/** A temp name next to `path` (same filesystem, so `rename` is atomic). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Date.now()}`);
}

/** Flushes a directory entry (new or renamed files) to disk; ignored where unsupported. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function writeAllSync(fd: number, data: Uint8Array): void {
  let offset = 0;
  while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
}

/**
 * Writes `data` to `path` so that readers see either the old file or the complete new one:
 * temp file in the same folder, fsync, rename over `path`, fsync the folder. On any error the
 * temp file is removed and the old file is untouched.
 */
export function writeFileAtomic(options: WriteFileAtomicOptions): void {
  const { path, data, beforeRename } = options;
  mkdirSync(dirname(path), { recursive: true });
  const temp = tempPathFor(path);
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  try {
    const fd = openSync(temp, 'w');
    try {
      writeAllSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    beforeRename?.(temp, path);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  fsyncDir(dirname(path));
}
