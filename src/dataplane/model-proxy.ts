/**
 * The model proxy, as the pipeline calls it. Each job has its file under `model/`: reading the
 * request (read-request.ts), the attempt policy (attempts.ts: pick, retries, fallbacks, breaker),
 * one attempt (send.ts), relaying bodies and streams (relay*.ts), upstream errors
 * (upstream-errors.ts); the types they share are in model/types.ts.
 */
export { forwardModelRequest } from './model/attempts';
export { readModelRequest, readMultipartModelRequest } from './model/read-request';
export type { ModelRequest, ProxyEvents } from './model/types';
