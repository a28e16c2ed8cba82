import { fileURLToPath } from 'node:url';
import { type BackendChoice, type BackendReport, initBackend } from '@facepar/core';

/** The trainer's package folder: where `pnpm --filter @facepar/trainer add` puts tfjs-node-gpu. */
const TRAINER_DIR = fileURLToPath(new URL('..', import.meta.url));

/**
 * Core's `initBackend`, resolving the optional GPU packages from the trainer's folder (so a
 * tfjs-node-gpu installed into the trainer is found from any working directory).
 */
export async function initTrainerBackend(options: {
  backend: BackendChoice;
}): Promise<BackendReport> {
  return initBackend({ backend: options.backend, resolveFrom: TRAINER_DIR });
}
