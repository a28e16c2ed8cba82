import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJson } from '@facepar/core';
import { readCheckpointPointers } from '../checkpoint/run-checkpoint.js';
import type { TrainConfig } from '../config.js';

/**
 * A run that cannot start as asked: flags that contradict the run folder, a missing work dir,
 * a bad config change. The caller's mistake (a CLI exits with its usage code).
 */
export class TrainRunError extends Error {
  override name = 'TrainRunError';
}

/** The run folder's config file: everything a resume reads. */
export const RUN_CONFIG_FILE = 'config.json';

/** `runs/<name>-<UTC timestamp>` (e.g. `runs/demo-20261130-031500`). */
export function defaultWorkDir(options: { name: string; now?: Date }): string {
  const d = options.now ?? new Date();
  const stamp = d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return join('runs', `${options.name}-${stamp}`);
}

/**
 * The run folder of a training command: `workDir`, or a fresh `runs/<name>-<time>`. A resume
 * needs a folder with a checkpoint; a new run refuses a folder that already holds one.
 */
export function resolveRunFolder(options: {
  command: string;
  name: string;
  workDir?: string;
  resume: boolean;
}): string {
  const { command, resume } = options;
  if (resume && !options.workDir) {
    throw new TrainRunError(`${command}: --resume needs --work-dir (the run folder to continue)`);
  }
  const workDir = options.workDir ?? defaultWorkDir({ name: options.name });
  const running = readCheckpointPointers({ workDir }).latest !== undefined;
  if (resume && !running) {
    const latest = join(workDir, 'checkpoints', 'latest.json');
    throw new TrainRunError(
      `${command}: --resume: no checkpoint in '${workDir}' (expected ${latest}); drop --resume to start a new run`,
    );
  }
  if (!resume && running) {
    throw new TrainRunError(
      `${command}: '${workDir}' already holds a run; pass --resume to continue it or choose another --work-dir`,
    );
  }
  return workDir;
}

/** A run folder's `config.json` (the resolved config it trains); errors name the file. */
export function readRunConfig(options: { workDir: string }): TrainConfig {
  const file = join(options.workDir, RUN_CONFIG_FILE);
  if (!existsSync(file)) {
    throw new Error(`${file} does not exist: '${options.workDir}' is not a facepar run folder`);
  }
  const config = parseJson(readFileSync(file, 'utf8'), { source: file }) as TrainConfig | null;
  const ok = (v: unknown) => v !== null && typeof v === 'object';
  if (!ok(config) || typeof config?.name !== 'string' || !ok(config.model) || !ok(config.data)) {
    throw new Error(`${file}: not a facepar training config (no name, model or data)`);
  }
  return config;
}
