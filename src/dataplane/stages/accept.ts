import type { Stage } from './stage';

/**
 * The request as the edge read it: a request line, Host or method the gateway refuses
 * (request-target.ts) is answered here. Draining and the QPS ceiling are decided before a request
 * gets a context (server.ts), the connection cap before it is read (capacity.ts).
 */
export const accept: Stage = {
  name: 'accept',
  run: (ctx) => {
    if (ctx.refusal) throw ctx.refusal;
  },
};
