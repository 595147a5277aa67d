#!/usr/bin/env node
import { UsageError } from './args';
import { DEV_USAGE, dev } from './dev';
import { PRESTOP_USAGE, prestop } from './prestop';
import { SERVE_USAGE, serve } from './serve';

const USAGE = `usage:
  ${SERVE_USAGE}
  ${DEV_USAGE}
  ${PRESTOP_USAGE}
`;

/** The `aigw` command: `serve` runs a gateway from its synthesized config; `dev` runs a whole app locally; `prestop` is the pod's preStop hook. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(rest);
      case 'dev':
        return await dev(rest);
      case 'prestop':
        return await prestop(rest);
      case undefined:
      case '--help':
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
