import { formatBackendTable, initBackend } from '@facepar/core';
import { FLAGS } from '../flags.js';
import { type Command, command } from './types.js';

const FLAG_TABLE = {
  backend: FLAGS.backend,
  json: { ...FLAGS.json, help: 'print the report as JSON: { chosen, candidates: [...] }' },
};

export const createBackendsCommand = command(FLAG_TABLE, ({ out }) => ({
  name: 'backends',
  summary: 'list tfjs backends with availability and the reason each was chosen or skipped',
  usage: 'facepar backends [--backend NAME] [--json]',
  description: `Probes every tfjs backend (tfjs-node-gpu / tfjs-node if installed, WebGPU through Dawn, wasm
with facepar's training kernels, cpu), activates the one --backend picks, and prints each
backend's availability and why it was chosen or skipped. auto prefers WebGPU on a hardware
adapter (software adapters such as llvmpipe are skipped), then tensorflow, then wasm, then cpu.`,
  async run({ values }) {
    const report = await initBackend({ backend: values.backend });
    out(values.json ? JSON.stringify(report, null, 2) : formatBackendTable(report));
    return 0;
  },
}));

export const backendsCommand: Command = createBackendsCommand();
