export { COMMANDS, findCommand } from './commands/index.js';
export { runCli } from './run-cli.js';
