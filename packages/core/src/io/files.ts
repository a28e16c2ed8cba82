import { FileFormatError } from './errors.js';
import {
  type NpyArray,
  type NpyArrays,
  type NpyDtype,
  type ReadNpyOptions,
  readNpy,
  writeNpy,
} from './npy.js';
import {
  type ReadSafetensorsOptions,
  readSafetensors,
  type SafetensorsFile,
  writeSafetensors,
} from './safetensors.js';
import type { TensorEntry } from './tensor-entry.js';
import { writeFileAtomic } from './atomic-write.js';

// node:fs is imported lazily so that the package's browser bundles never touch it.
async function fs(): Promise<typeof import('node:fs/promises')> {
  return import('node:fs/promises');
}

/** Reads a whole file; a failure (missing, a folder, no permission) names the path. */
async function readBytes(path: string, format: string): Promise<Uint8Array> {
  let buf: Buffer;
  try {
    buf = await (await fs()).readFile(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === 'EISDIR' ? 'is a folder, not a file' : `cannot be read (${err.message})`;
    throw new FileFormatError({ format, source: path, problem: why, cause: e });
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

function withPath<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Reads `path` and parses it with `read`, which names the path in its errors. */
async function readFileWith<O, T>(
  path: string,
  format: string,
  read: (bytes: Uint8Array, options: O & { source: string }) => T,
  options: O,
): Promise<T> {
  return read(await readBytes(path, format), { ...options, source: path });
}

/** Reads and validates a `.safetensors` file; errors (`FileFormatError`) start with the path. */
export function readSafetensorsFile(
  path: string,
  options: Omit<ReadSafetensorsOptions, 'source'> = {},
): Promise<SafetensorsFile> {
  return readFileWith(path, 'safetensors', readSafetensors, options);
}

/** Writes a `.safetensors` file atomically (temp file + rename). */
export async function writeSafetensorsFile(
  path: string,
  entries: Map<string, TensorEntry> | Record<string, TensorEntry>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic({ path, data: withPath(path, () => writeSafetensors(entries, metadata)) });
}

/** Reads a `.npy` file; errors (`FileFormatError`) start with the path. */
export function readNpyFile(
  path: string,
  options: Omit<ReadNpyOptions, 'source'> = {},
): Promise<NpyArray> {
  return readFileWith(path, 'npy', readNpy, options);
}

/** Writes a `.npy` file atomically. */
export async function writeNpyFile(
  path: string,
  array: { shape: number[]; data: NpyArrays[NpyDtype]; dtype?: NpyDtype },
): Promise<void> {
  await writeFileAtomic({ path, data: withPath(path, () => writeNpy(array)) });
}
