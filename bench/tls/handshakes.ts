/** Runs the handshake client (bench/tls/handshake-client.ts) on the load-generator core and reads its result line. */
import { join } from 'path';
import type { HandshakeResult, HandshakeSpec } from './handshake-client';
import { LOADGEN_CPU } from '../dataplane/loadgen';
import { run } from '../dataplane/procs';

const CLIENT = join(__dirname, 'handshake-client.ts');

export async function handshakes(spec: HandshakeSpec): Promise<HandshakeResult> {
  const out = await run('handshake-client', process.execPath, ['-r', 'ts-node/register/transpile-only', CLIENT, JSON.stringify(spec)], {
    cpu: LOADGEN_CPU,
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' },
    timeoutMs: (spec.durationS + 60) * 1000,
  });
  const line = out.split('\n').find((l) => l.startsWith('@@handshakes@@ '));
  if (!line) throw new Error(`the handshake client printed no result:\n${out.slice(-2000)}`);
  return JSON.parse(line.slice('@@handshakes@@ '.length)) as HandshakeResult;
}
