import { parentPort } from 'worker_threads';
import { decodeConfigDir } from './decode-dir';
import type { DecodeReply, DecodeRequest } from './decoder';
import { packConfig } from './wire';

/**
 * The decode worker (see decoder.ts): reads, inflates, hashes, parses and validates a config
 * directory off the main thread, and answers with the config packed for a sliced unpack.
 */
parentPort?.on('message', (request: DecodeRequest) => {
  const decoded = decodeConfigDir(request.dir);
  if (!decoded.ok) {
    parentPort!.postMessage({ id: request.id, ok: false, reason: decoded.reason } satisfies DecodeReply);
    return;
  }
  const { packed, transfer } = packConfig(decoded.config);
  parentPort!.postMessage({ id: request.id, ok: true, hash: decoded.hash, packed } satisfies DecodeReply, transfer);
});
