#!/usr/bin/env node
import { UsageError } from './args';
import { DEV_USAGE, dev } from './dev';
import { PRESTOP_USAGE, prestop } from './prestop';
import { SERVE_USAGE, serve } from './serve';
import { LIBRARY_VERSION } from '../specs/version';

const USAGE = `usage:
  ${SERVE_USAGE}
  ${DEV_USAGE}
  ${PRESTOP_USAGE}
  aigw --version
`;

/** Each command's own usage, for `aigw <command> --help`. */
const COMMAND_USAGE: Readonly<Record<string, string>> = { serve: SERVE_USAGE, dev: DEV_USAGE, prestop: PRESTOP_USAGE };

const HELP_FLAGS = new Set(['--help', '-h']);

/** The `aigw` command: `serve` runs a gateway from its synthesized config; `dev` runs a whole app locally; `prestop` is the pod's preStop hook. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  // `aigw <command> --help` answers before the command parses (and refuses) its flags.
  if (command !== undefined && COMMAND_USAGE[command] !== undefined && rest.some((a) => HELP_FLAGS.has(a))) {
    process.stdout.write(`usage:\n  ${COMMAND_USAGE[command]}\n`);
    return 0;
  }
  try {
    switch (command) {
      case 'serve':
        return await serve(rest);
      case 'dev':
        return await dev(rest);
      case 'prestop':
        return await prestop(rest);
      case '--version':
      case '-v':
      case 'version':
        process.stdout.write(`aigw ${LIBRARY_VERSION}\n`);
        return 0;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`aigw: ${e.message}\n${USAGE}`);
      return 2;
    }
    throw e;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`aigw: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
