import { PayloadCapture } from '../payload-log';
import type { Stage } from './stage';

/**
 * A model route that logs payloads (`logPayloads`): the prompt as the client sent it, and from here on
 * what the client gets, for the `payload` line the account writes. Nothing at all on other routes.
 */
export const capture: Stage = {
  name: 'capture',
  run: (ctx) => {
    const logs = ctx.snapshot.payloadLogs;
    if (logs.size === 0 || ctx.request === undefined) return;
    const log = logs.get(ctx.route!.name);
    if (log) ctx.payloads = new PayloadCapture(log, ctx.request.body, ctx.res);
  },
};
