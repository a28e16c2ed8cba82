import { fileURLToPath } from 'node:url';
import {
  type BackendReport,
  BACKEND_NAMES as CORE_BACKEND_NAMES,
  initBackend,
} from '@facepar/core';

/** `--backend` values: `auto` plus core's backends. */
export const BACKEND_NAMES = ['auto', ...CORE_BACKEND_NAMES] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export type { BackendReport };

/** The trainer's package folder: where `pnpm --filter @facepar/trainer add` puts tfjs-node-gpu. */
const TRAINER_DIR = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Core's `initBackend`, resolving the optional GPU packages from the trainer's folder (so a
 * tfjs-node-gpu installed into the trainer is found from any working directory).
 */
export async function initTrainerBackend(options: {
  backend: BackendName;
}): Promise<BackendReport> {
  return initBackend({ backend: options.backend, resolveFrom: TRAINER_DIR });
}
