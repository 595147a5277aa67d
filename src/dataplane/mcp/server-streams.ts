import type { ServerResponse } from 'http';
import { type McpBus, replicaState } from './bus';

/**
 * The server-to-client streams this replica serves (a Streamable HTTP session's GET stream). They last as
 * long as their client wants, so a drain ends them at once, cleanly: their clients reconnect to another
 * replica (the SDKs do) rather than hold this one until the drain's deadline cuts them off.
 */
function streamsOn(bus: McpBus): Set<() => void> {
  return replicaState(bus, 'server-streams', () => new Set<() => void>());
}

/** `end` ends the stream (its answer ends; what it relays stops); it is forgotten when the response closes. */
export function holdServerStream(bus: McpBus, res: ServerResponse, end: () => void): void {
  const streams = streamsOn(bus);
  streams.add(end);
  res.once('close', () => streams.delete(end));
}

/** Ends every server-to-client stream held on `bus`'s replica; how many there were. */
export function endServerStreams(bus: McpBus): number {
  const streams = streamsOn(bus);
  const ends = [...streams];
  streams.clear();
  for (const end of ends) end();
  return ends.length;
}
