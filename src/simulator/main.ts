/**
 * Manual runs: `node lib/simulator/main.js --port 8080 --name openai` starts a simulator and prints its URL.
 */
import { UpstreamSimulator } from './simulator';
import type { SimulatorOptions } from './types';

export const SIMULATOR_CLI_USAGE = [
  'Usage: simulator [--port N] [--host H] [--name NAME] [--latency-ms N] [--chunk-delay-ms N] [--stream-chunks N] [--rest-echo]',
  '',
  'Starts an upstream simulator (OpenAI-compatible chat, completions, the Responses API, embeddings, images and audio; Anthropic Messages;',
  'Dify apps under any base path, e.g. <url>/v1/chat-messages; Model Studio applications, <url>/api/v1/apps/<id>/completion)',
  'and prints its URL (default port 0: a free port). --rest-echo answers any other request with a JSON echo of it.',
].join('\n');

/**
 * Starts a simulator from command-line arguments and prints its URL with `print`.
 * Resolves to the running simulator (the caller may close it), or `undefined` after `--help`.
 * Rejects on an unknown flag or an invalid value.
 */
export async function runSimulatorCli(
  argv: string[],
  print: (line: string) => void = (line) => console.log(line),
): Promise<UpstreamSimulator | undefined> {
  const options = parseSimulatorArgs(argv);
  if (options === undefined) {
    print(SIMULATOR_CLI_USAGE);
    return undefined;
  }
  const simulator = await UpstreamSimulator.start(options);
  print(simulator.url);
  return simulator;
}

/** Parses `--flag value` and `--flag=value` arguments; `undefined` means help was requested. */
export function parseSimulatorArgs(argv: readonly string[]): SimulatorOptions | undefined {
  const options: { -readonly [K in keyof SimulatorOptions]: SimulatorOptions[K] } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return undefined;
    if (arg === '--rest-echo') {
      options.restEcho = true;
      continue;
    }
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`Unexpected argument '${arg}'.\n${SIMULATOR_CLI_USAGE}`);
    const flag = match[1];
    let value = match[2];
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new Error(`--${flag} needs a value.`);
    }
    switch (flag) {
      case 'port': options.port = integer(flag, value, 0, 65535); break;
      case 'host': options.host = value; break;
      case 'name': options.name = value; break;
      case 'latency-ms': options.latencyMs = integer(flag, value, 0); break;
      case 'chunk-delay-ms': options.chunkDelayMs = integer(flag, value, 0); break;
      case 'stream-chunks': options.streamChunks = integer(flag, value, 1); break;
      default: throw new Error(`Unknown flag --${flag}.\n${SIMULATOR_CLI_USAGE}`);
    }
  }
  return options;
}

function integer(flag: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new Error(`--${flag} must be an integer from ${min} to ${max}, got '${value}'.`);
  return n;
}

function failCli(error: unknown): void {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
}

if (require.main === module) {
  runSimulatorCli(process.argv.slice(2)).catch(failCli);
}
