import { readNpy, writeNpy, type NpyArray, type NpyArrays, type NpyDtype } from './npy.js';
import { readSafetensors, type SafetensorsFile, writeSafetensors } from './safetensors.js';
import type { TensorEntry } from './tensor-entry.js';
import { writeFileAtomic } from './atomic-write.js';

// node:fs is imported lazily so that the package's browser bundles never touch it.
async function fs(): Promise<typeof import('node:fs/promises')> {
  return import('node:fs/promises');
}

async function readBytes(path: string): Promise<Uint8Array> {
  const buf = await (await fs()).readFile(path);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

function withPath<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Reads and validates a `.safetensors` file; errors start with the path. */
export async function readSafetensorsFile(path: string): Promise<SafetensorsFile> {
  const bytes = await readBytes(path);
  return withPath(path, () => readSafetensors(bytes));
}

/** Writes a `.safetensors` file atomically (temp file + rename). */
export async function writeSafetensorsFile(
  path: string,
  entries: Map<string, TensorEntry> | Record<string, TensorEntry>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic({ path, data: withPath(path, () => writeSafetensors(entries, metadata)) });
}

/** Reads a `.npy` file; errors start with the path. */
export async function readNpyFile(path: string): Promise<NpyArray> {
  const bytes = await readBytes(path);
  return withPath(path, () => readNpy(bytes));
}

/** Writes a `.npy` file atomically. */
export async function writeNpyFile(
  path: string,
  array: { shape: number[]; data: NpyArrays[NpyDtype]; dtype?: NpyDtype },
): Promise<void> {
  await writeFileAtomic({ path, data: withPath(path, () => writeNpy(array)) });
}
