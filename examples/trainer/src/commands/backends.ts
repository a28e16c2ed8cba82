import { formatBackendTable, initBackend } from '@facepar/core';
import { bool } from '../args.js';
import { FLAGS } from '../flags.js';
import { type Command, command } from './types.js';

const FLAG_TABLE = {
  backend: FLAGS.backend,
  json: { ...FLAGS.json, help: 'print the report as JSON: { chosen, candidates: [...] }' },
  verbose: bool("probe WebGPU in this process (Dawn's own warnings shown)"),
};

export const createBackendsCommand = command(FLAG_TABLE, ({ out }) => ({
  name: 'backends',
  summary: 'list tfjs backends with availability and the reason each was chosen or skipped',
  usage: 'facepar backends [--backend NAME] [--json] [--verbose]',
  description: `Probes every tfjs backend (tfjs-node-gpu / tfjs-node if installed, WebGPU through Dawn, wasm
with facepar's training kernels, cpu), activates the one --backend picks, and prints each
backend's availability and why it was chosen or skipped. auto prefers WebGPU on a hardware
adapter (software adapters such as llvmpipe are skipped), then tensorflow, then wasm, then cpu.
WebGPU is probed in a child process (Dawn's warnings hidden) unless --verbose.`,
  async run({ values }) {
    const report = await initBackend({ backend: values.backend, verbose: values.verbose });
    out(values.json ? JSON.stringify(report, null, 2) : formatBackendTable(report));
    return 0;
  },
}));

export const backendsCommand: Command = createBackendsCommand();
