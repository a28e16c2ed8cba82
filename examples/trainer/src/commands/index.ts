import { UsageError } from '../args.js';
import { backendsCommand } from './backends.js';
import { classWeightsCommand } from './class-weights.js';
import { convertCommand } from './convert.js';
import { dataCommand } from './data.js';
import { demoCommand } from './demo.js';
import { evalCommand } from './eval.js';
import { miouCommand } from './miou.js';
import { paramsCommand } from './params.js';
import { predictCommand } from './predict.js';
import { trainCommand } from './train.js';
import type { Command } from './types.js';

/** Every `facepar` subcommand, in the order `facepar --help` lists them (a new one: one line). */
export const COMMANDS: readonly Command[] = [
  demoCommand,
  trainCommand,
  evalCommand,
  backendsCommand,
  classWeightsCommand,
  dataCommand,
  miouCommand,
  paramsCommand,
  predictCommand,
  convertCommand,
];

/** Finds a command by name; an unknown name throws a `UsageError` listing the known ones. */
export function findCommand(options: { name: string; commands?: readonly Command[] }): Command {
  const { name, commands = COMMANDS } = options;
  const found = commands.find((c) => c.name === name);
  if (found) return found;
  const known = commands.map((c) => c.name).join(', ');
  throw new UsageError(`unknown command '${name}'; known commands: ${known || '(none)'}`);
}
