import { BACKEND_NAMES, type BackendChoice, formatBackendTable, initBackend } from '@facepar/core';
import { choiceFlag, parseFlags } from '../args.js';
import type { Command } from './types.js';
import { writeLine } from './shared.js';

const NAME = 'backends';
const CHOICES: readonly BackendChoice[] = ['auto', ...BACKEND_NAMES];

const USAGE = `Usage: facepar backends [--backend NAME] [--json]

Probes every tfjs backend (tfjs-node-gpu / tfjs-node if installed, WebGPU through Dawn, wasm
with facepar's training kernels, cpu), activates the one --backend picks, and prints each
backend's availability and why it was chosen or skipped. auto prefers tensorflow, then WebGPU
on a hardware adapter (software adapters such as llvmpipe are skipped), then wasm, then cpu.

Flags:
  --backend NAME   ${CHOICES.join(', ')} (default: auto)
  --json           print the report as one JSON object: { chosen, candidates: [{ name, available, reason, detail? }] }`;

export interface BackendsCommandOptions {
  out?: (line: string) => void;
}

export function createBackendsCommand(options: BackendsCommandOptions = {}): Command {
  const out = options.out ?? writeLine;
  return {
    name: NAME,
    summary: 'list tfjs backends with availability and the reason each was chosen or skipped',
    usage: USAGE,
    async run(argv) {
      const { values } = parseFlags({
        command: NAME,
        argv,
        flags: { backend: { type: 'string' }, json: { type: 'boolean' } },
      });
      if (values.help) {
        out(USAGE);
        return 0;
      }
      const backend =
        choiceFlag({ command: NAME, flag: 'backend', value: values.backend, allowed: CHOICES }) ??
        'auto';
      const report = await initBackend({ backend });
      out(values.json ? JSON.stringify(report, null, 2) : formatBackendTable(report));
      return 0;
    },
  };
}

export const backendsCommand: Command = createBackendsCommand();
