import type { Stage } from './stage';
import { inspectHead } from '../waf/inspection';

/**
 * The WAF (waf/inspection.ts), on the route's settings: the request line, headers, cookies and the client's address,
 * before the endpoint, the caller's key or the body are looked at, so that an attack on a path that would be a 404
 * is still a 403. A request no route matches is inspected by the route stage on the gateway's settings before its 404.
 * The body is inspected by its read (read stage, MCP front), which continues this inspection.
 */
export const inspect: Stage = {
  name: 'inspect',
  run: (ctx, deps) => {
    const waf = ctx.route!.waf;
    if (waf !== undefined) inspectHead(ctx, deps, waf);
  },
};
