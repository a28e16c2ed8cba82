import { writeFileAtomic } from '../atomic-write.js';
import { readSafetensors, writeSafetensors } from '../safetensors.js';
import type { TensorEntry } from '../tensor-entry.js';
import { PthError } from './pth-error.js';
import {
  detectWeightsFileKind,
  type PthFile,
  type ReadPthOptions,
  readPth,
  type WeightsFileKind,
} from './read-pth.js';

// node:fs is imported lazily so that browser bundles of the package never touch it.
async function readBytes(path: string): Promise<Uint8Array> {
  const buf = await (await import('node:fs/promises')).readFile(path);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Reads a `.pth` file (see `readPth`); errors start with the path. */
export async function readPthFile(path: string, options: ReadPthOptions = {}): Promise<PthFile> {
  return readPth(await readBytes(path), { source: path, ...options });
}

export interface WeightsFile {
  kind: Exclude<WeightsFileKind, 'unknown' | 'pth-tar'>;
  /** PyTorch names → tensors in PyTorch layout, whichever the format. */
  tensors: Map<string, TensorEntry>;
  /** safetensors `__metadata__`; for a `.pth`, what `pthMetadata` gives. */
  metadata: Record<string, string>;
  /** The whole `.pth` reading (meta, optimizer summaries, skipped globals), for `.pth` files. */
  pth?: PthFile;
}

/**
 * Reads weights from a safetensors file or a PyTorch `.pth` (zip or legacy), told apart by
 * content, not by name: what `predict`, `eval` and `--load-from` accept.
 */
export function readWeights(bytes: Uint8Array, options: ReadPthOptions = {}): WeightsFile {
  const kind = detectWeightsFileKind(bytes);
  if (kind === 'safetensors') {
    try {
      const file = readSafetensors(bytes);
      return { kind, tensors: file.tensors, metadata: file.metadata };
    } catch (e) {
      const at = options.source ? `${options.source}: ` : '';
      throw new Error(`${at}${(e as Error).message}`, { cause: e });
    }
  }
  if (kind === 'unknown') {
    throw new PthError(
      'neither a safetensors file nor a PyTorch checkpoint (torch.save zip or legacy pickle)',
      { source: options.source },
    );
  }
  const pth = readPth(bytes, options);
  return {
    kind: kind as WeightsFile['kind'],
    tensors: pth.tensors,
    metadata: pthMetadata(pth),
    pth,
  };
}

/** `readWeights` on a file; errors start with the path. */
export async function readWeightsFile(
  path: string,
  options: ReadPthOptions = {},
): Promise<WeightsFile> {
  return readWeights(await readBytes(path), { source: path, ...options });
}

/** Replaces what JSON cannot hold: bigint → string, bytes → hex, Map → object. */
function jsonable(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array)
    return Array.from(v, (b) => b.toString(16).padStart(2, '0')).join('');
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), x]));
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return v;
}

/**
 * safetensors metadata for a converted `.pth`: `format: 'pt'` (the Hugging Face convention for
 * PyTorch-layout tensors), where the state dict came from, and an mmseg/mmcv `meta` entry as
 * JSON when the checkpoint has one (config text, classes, versions).
 */
export function pthMetadata(file: PthFile): Record<string, string> {
  const out: Record<string, string> = {
    format: 'pt',
    'pth.format': file.format,
    'pth.state_dict_key': file.stateDictKey,
  };
  if (file.extras.meta !== undefined) out['pth.meta'] = JSON.stringify(file.extras.meta, jsonable);
  return out;
}

export interface ConvertPthOptions extends Omit<ReadPthOptions, 'source'> {
  /** Extra `__metadata__` entries (added to `pthMetadata`'s). */
  metadata?: Record<string, string>;
}

/** A `.pth` as safetensors bytes: its state dict, in order, plus `pthMetadata`. */
export function pthToSafetensors(
  bytes: Uint8Array,
  options: ConvertPthOptions & { source?: string } = {},
): Uint8Array {
  const { metadata, ...read } = options;
  const file = readPth(bytes, read);
  return writeSafetensors(file.tensors, { ...pthMetadata(file), ...metadata });
}

export interface ConvertPthFileResult {
  /** Tensors written. */
  tensors: number;
  /** Size of the written file. */
  bytes: number;
  /** The `.pth` reading (state-dict key, skipped globals, non-tensor keys). */
  pth: PthFile;
}

export interface ConvertPthFileOptions extends ConvertPthOptions {
  /** The `.pth` to read. */
  input: string;
  /** The `.safetensors` to write (replaced atomically). */
  output: string;
}

/**
 * `facepar convert in.pth out.safetensors`: reads the `.pth` (nothing in it runs) and writes
 * its state dict as safetensors atomically (temp file + rename), so a failure leaves no file.
 */
export async function convertPthFile(
  options: ConvertPthFileOptions,
): Promise<ConvertPthFileResult> {
  const { input, output, metadata, ...read } = options;
  const pth = readPth(await readBytes(input), { source: input, ...read });
  const bytes = writeSafetensors(pth.tensors, { ...pthMetadata(pth), ...metadata });
  await writeFileAtomic({ path: output, data: bytes });
  return { tensors: pth.tensors.size, bytes: bytes.length, pth };
}
